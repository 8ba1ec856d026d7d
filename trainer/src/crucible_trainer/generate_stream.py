"""`python -m crucible_trainer generate-stream`: a checkpoint loaded once, answering requests.

Requests (protocol/generation-request.schema.json) arrive one JSON object per line on stdin;
events (protocol/generation-events.schema.json) leave one per line on stdout: `ready` once the
model is loaded, then per request its `token`s (when it asked to stream), a `completion` per
prompt and `done`, or `failed` for a request refused (the session goes on with the next one).
It ends at the end of stdin. `crucible generate` sends one request, `crucible chat` one per turn.
The checkpoint is only read: nothing is written anywhere but stdout and stderr.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crucible_trainer.errors import InputError, TrainerError
from crucible_trainer.generate import Completion, Generator
from crucible_trainer.protocol import PROTOCOL_VERSION, problems
from crucible_trainer.sampling import Decoding

Emit = Callable[..., None]
DEFAULT_MAX_TOKENS = 256


@dataclass(frozen=True)
class Request:
    ids: list[str]
    prompts: list[dict[str, Any]]
    decoding: Decoding
    max_tokens: int | None
    stream: bool
    batch_size: int


def parse_request(line: str) -> Request:
    """A request line checked against the protocol; InputError naming every JSON path if not."""
    try:
        doc = json.loads(line)
    except ValueError as e:
        raise InputError(
            f"a request is not valid JSON ({e}); fix: send one JSON object per line"
        ) from e
    found = problems("generation-request", doc)
    if found:
        raise InputError("invalid generation request: " + "; ".join(found))
    ids = [p["id"] for p in doc["prompts"]]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputError(f"prompt id {repeated[0]!r} repeats; fix: give each prompt its own id")
    d = doc["decoding"]
    return Request(
        ids=ids,
        prompts=doc["prompts"],
        decoding=Decoding(float(d["temperature"]), float(d["top_p"]), int(d["seed"])),
        max_tokens=d.get("max_tokens"),
        stream=bool(doc.get("stream", False)),
        batch_size=int(doc.get("batch_size", 32)),
    )


def token_limits(generator: Generator, request: Request, prompts: list[list[int]]) -> list[int]:
    """Each prompt's token limit: max_tokens, or what the model's positions leave (at most 256).
    InputError names the prompt and the fix when nothing fits."""
    limits = []
    for prompt_id, tokens in zip(request.ids, prompts):
        room = generator.max_positions - len(tokens)
        wanted = request.max_tokens
        if (wanted or 1) > room:
            with_max = f" with max_tokens={wanted}" if wanted else ""
            raise InputError(
                f"prompt {prompt_id} has {len(tokens)} tokens;{with_max} it exceeds the model's "
                f"{generator.max_positions} positions; fix: shorten the prompt (or start the "
                "conversation afresh)" + (" or lower max_tokens" if wanted else "")
            )
        limits.append(wanted or min(DEFAULT_MAX_TOKENS, room))
    return limits


class TextStream:
    """Turns one prompt's tokens into text pieces as they come. A piece is held back while the
    text decoded so far ends in an incomplete character (a byte-level token cut in the middle)."""

    def __init__(self, tokenizer: Any, eos_id: int):
        self.tokenizer, self.eos_id = tokenizer, eos_id
        self.tokens: list[int] = []
        self.sent = ""

    def push(self, token: int) -> str:
        if token == self.eos_id:
            return ""
        self.tokens.append(token)
        text = self.tokenizer.decode(self.tokens, skip_special_tokens=True)
        if text.endswith("\ufffd") or not text.startswith(self.sent):
            return ""
        piece, self.sent = text[len(self.sent) :], text
        return piece


def answer(generator: Generator, request: Request, emit: Emit) -> None:
    """Runs one request: its token events (when streaming), a completion per prompt, done."""
    started = time.monotonic()
    prompts = [
        generator.encode(p["messages"])
        if "messages" in p
        else generator.tokenizer(p["text"])["input_ids"]
        for p in request.prompts
    ]
    limits = token_limits(generator, request, prompts)
    streams = [TextStream(generator.tokenizer, generator.eos_id) for _ in prompts]

    def on_token(i: int, token: int) -> None:
        piece = streams[i].push(token)
        if piece:
            emit("token", prompt=request.ids[i], text=piece)

    def on_completion(i: int, c: Completion) -> None:
        emit(
            "completion",
            prompt=request.ids[i],
            text=c.text,
            prompt_tokens=len(prompts[i]),
            tokens=c.tokens,
            finish_reason=c.finish_reason,
        )

    done = generator.complete(
        prompts,
        limits,
        request.batch_size,
        request.decoding,
        on_token=on_token if request.stream else None,
        on_completion=on_completion,
    )
    emit(
        "done",
        completions=len(done),
        tokens=sum(c.tokens for c in done),
        wall_s=round(time.monotonic() - started, 3),
    )


def event_emitter(sink: Callable[[dict[str, Any]], None]) -> Emit:
    def emit(type_: str, **fields: Any) -> None:
        sink({"protocol_version": PROTOCOL_VERSION, "type": type_, **fields})

    return emit


def serve(
    checkpoint: Path,
    requests: Iterable[str],
    sink: Callable[[dict[str, Any]], None],
    device: str = "auto",
    threads: int | None = None,
) -> int:
    """Loads the checkpoint, then answers each request line until `requests` ends. Returns the
    exit code: 0, or the load failure's (2 for a checkpoint that is not a model directory)."""
    emit = event_emitter(sink)
    started = time.monotonic()
    try:
        generator = Generator(checkpoint, device, threads)
    except TrainerError as e:
        code = "bad_input" if e.code == "bad_input" else "checkpoint_error"
        emit("failed", code=code, reason=str(e))
        return e.exit_code
    except Exception as e:
        traceback.print_exc()
        emit("failed", code="checkpoint_error", reason=f"cannot load {checkpoint}: {e}")
        return 1
    emit(
        "ready",
        model_type=str(generator.model.config.model_type),
        max_positions=generator.max_positions,
        chat_template=bool(generator.tokenizer.chat_template),
        device=str(generator.device),
        load_s=round(time.monotonic() - started, 3),
    )
    respond(generator, requests, emit)
    return 0


def respond(generator: Generator, requests: Iterable[str], emit: Emit) -> None:
    """Answers each request line in turn; a refused or failed request is reported and skipped."""
    for line in requests:
        if not line.strip():
            continue
        try:
            answer(generator, parse_request(line), emit)
        except TrainerError as e:
            emit("failed", code="bad_input" if e.code == "bad_input" else "internal", reason=str(e))
        except Exception as e:
            traceback.print_exc()
            oom = type(e).__name__ == "OutOfMemoryError"
            reason = f"{type(e).__name__}: {e}" + ("; fix: lower batch_size" if oom else "")
            emit("failed", code="out_of_memory" if oom else "internal", reason=reason)
