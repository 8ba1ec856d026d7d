"""Batched generation from a Hugging Face causal-LM checkpoint directory.

Used by `python -m crucible_trainer generate`, by `nano score`, by the `generate-stream` session
(`crucible generate` and `crucible chat`), and meant for the model server. Chat prompts are
rendered with the checkpoint's own chat template (with the generation prompt appended). Rows of a
batch are left-padded and masked, with position ids that restart at each row's first real token,
so a row's tokens do not depend on what it is batched with: batched output equals unbatched
output token for token (tests check it). Decoding reuses the KV cache, picks each next token as
`sampling.py` says (arg-max by default: ties go to the lowest id, so runs are deterministic) and
stops a row at its first EOS or its token limit; the batch stops when every row has.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from crucible_trainer.errors import BaseCheckpointError, InputError
from crucible_trainer.sampling import GREEDY, Decoding, Picker


@dataclass(frozen=True)
class Completion:
    """One generated answer. `tokens` counts generated tokens, the stopping EOS included."""

    text: str
    tokens: int
    finish_reason: Literal["stop", "length"]  # stop: the model emitted EOS; length: ran out


@dataclass(frozen=True)
class PromptRecord:
    id: str
    messages: list[dict[str, str]]


class Generator:
    """A checkpoint loaded for inference (eval mode, fp32, no gradients).

    Example:
        gen = Generator(Path("home/bases/nano-tiny/post"))
        [c] = gen.chat([[{"role": "user", "content": "What is 2 plus 3?"}]])
        print(c.text, c.tokens, c.finish_reason)
    """

    def __init__(self, checkpoint: Path, device: str = "auto", threads: int | None = None):
        if not (checkpoint / "config.json").is_file():
            raise InputError(
                f"checkpoint {checkpoint} has no config.json; fix: pass --checkpoint a Hugging "
                "Face model directory (config.json, model.safetensors, tokenizer files)"
            )
        if threads is not None:
            torch.set_num_threads(threads)
        from crucible_trainer.model import load_model, load_tokenizer  # heavy: transformers

        try:
            self.tokenizer = load_tokenizer(checkpoint)
            self.model = load_model(checkpoint)
        except BaseCheckpointError as e:
            raise InputError(str(e)) from e
        use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
        self.device = torch.device("cuda" if use_cuda else "cpu")
        self.model.to(self.device).eval()
        self.eos_id = int(self.tokenizer.eos_token_id)
        # A missing pad token is harmless: padded positions are masked out and never attended.
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else self.eos_id)
        self.max_positions = int(getattr(self.model.config, "max_position_embeddings", 1 << 30))
        self.checkpoint = checkpoint

    def encode(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """Token ids of the conversation rendered by the chat template, ready for the reply."""
        if not self.tokenizer.chat_template:
            raise InputError(
                f"the tokenizer of {self.checkpoint} has no chat template; fix: save the "
                "checkpoint with a tokenizer_config.json that holds chat_template, or send plain "
                "text prompts"
            )
        rendered = self.tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=True, tokenize=False
        )
        return self.tokenizer(rendered, add_special_tokens=False)["input_ids"]

    def chat(
        self,
        conversations: Sequence[Sequence[dict[str, str]]],
        max_new_tokens: int = 32,
        batch_size: int = 32,
        ids: Sequence[str] | None = None,
        decoding: Decoding = GREEDY,
    ) -> list[Completion]:
        """Replies to `conversations`, in their order (greedy by default). `ids` name them in
        errors."""
        prompts = [self.encode(m) for m in conversations]
        for i, p in enumerate(prompts):
            if len(p) + max_new_tokens > self.max_positions:
                name = ids[i] if ids is not None else f"#{i}"
                raise InputError(
                    f"prompt {name} has {len(p)} tokens; with max_new_tokens={max_new_tokens} "
                    f"it exceeds the model's {self.max_positions} positions; fix: shorten the "
                    "prompt or lower --max-new-tokens"
                )
        return self.complete(prompts, max_new_tokens, batch_size, decoding)

    def complete(
        self,
        prompts: Sequence[list[int]],
        max_new_tokens: int | Sequence[int] = 32,
        batch_size: int = 32,
        decoding: Decoding = GREEDY,
        on_token: Callable[[int, int], None] | None = None,
        on_completion: Callable[[int, Completion], None] | None = None,
    ) -> list[Completion]:
        """Continuations of token-id prompts, in their order; prompt i samples with seed + i.

        `max_new_tokens` is one limit for all or one per prompt. `on_token(i, token)` sees each
        token of prompt i as it is decoded; `on_completion(i, c)` each prompt as its batch ends.
        """
        limits = (
            [max_new_tokens] * len(prompts)
            if isinstance(max_new_tokens, int)
            else list(max_new_tokens)
        )
        if min(limits, default=1) < 1 or batch_size < 1:
            raise InputError(
                f"max_new_tokens={min(limits)}, batch_size={batch_size}; fix: use values >= 1"
            )
        # Batch prompts of similar length together (less padding); results do not depend on it.
        order = sorted(range(len(prompts)), key=lambda i: (-len(prompts[i]), i))
        out: list[Completion | None] = [None] * len(prompts)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            generated = decode(
                self.model,
                [prompts[i] for i in rows],
                eos_id=self.eos_id,
                pad_id=self.pad_id,
                max_new_tokens=[limits[i] for i in rows],
                device=self.device,
                pick=Picker(decoding, [decoding.seed + i for i in rows]),
                on_token=_for_rows(on_token, rows),
            )
            for i, tokens in zip(rows, generated):
                stopped = bool(tokens) and tokens[-1] == self.eos_id
                text = self.tokenizer.decode(tokens, skip_special_tokens=True)
                out[i] = Completion(text.strip(), len(tokens), "stop" if stopped else "length")
                if on_completion:
                    on_completion(i, out[i])
        return [c for c in out if c is not None]


def greedy(
    model: Any,
    prompts: Sequence[list[int]],
    *,
    eos_id: int,
    pad_id: int,
    max_new_tokens: int,
    device: torch.device | None = None,
) -> list[list[int]]:
    """Arg-max decoding of one batch; each row's new tokens, ending at its EOS if it emitted one."""
    return decode(
        model, prompts, eos_id=eos_id, pad_id=pad_id, max_new_tokens=max_new_tokens, device=device
    )


def _for_rows(
    on_token: Callable[[int, int], None] | None, rows: Sequence[int]
) -> Callable[[int, int], None] | None:
    """`on_token` of prompt indices, called with a batch's row numbers."""
    return (lambda row, token: on_token(rows[row], token)) if on_token else None


@torch.no_grad()
def decode(
    model: Any,
    prompts: Sequence[list[int]],
    *,
    eos_id: int,
    pad_id: int,
    max_new_tokens: int | Sequence[int],
    device: torch.device | None = None,
    pick: Callable[[torch.Tensor], torch.Tensor] | None = None,
    on_token: Callable[[int, int], None] | None = None,
) -> list[list[int]]:
    """Decodes one batch; each row's new tokens, ending at its EOS if it emitted one.

    Rows are left-padded so every row's last prompt token sits in the last column; the mask hides
    the padding and position ids count real tokens only, which makes each row's computation the
    same as if it ran alone. `pick` chooses the next tokens from the last logits (arg-max by
    default); a row stops at EOS or at its own limit (`max_new_tokens`, one or one per row), and
    `on_token(row, token)` sees each of its tokens as it comes.
    """
    device = device or torch.device("cpu")
    pick = pick or (lambda logits: logits.argmax(-1))
    limits = [max_new_tokens] * len(prompts) if isinstance(max_new_tokens, int) else max_new_tokens
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad_id] * (width - len(p)) + list(p) for p in prompts], device=device)
    mask = torch.tensor(
        [[0] * (width - len(p)) + [1] * len(p) for p in prompts], dtype=torch.long, device=device
    )
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    result: list[list[int]] = [[] for _ in prompts]
    done = torch.zeros(len(prompts), dtype=torch.bool, device=device)
    output = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
    for _ in range(max(limits)):
        token = pick(output.logits[:, -1])
        for row, (value, finished) in enumerate(zip(token.tolist(), done.tolist())):
            if not finished:
                result[row].append(value)
                if on_token:
                    on_token(row, value)
        limited = torch.tensor([len(r) >= n for r, n in zip(result, limits)], device=device)
        done |= (token == eos_id) | limited
        if bool(done.all()):
            break
        # Finished rows keep decoding a pad (masked) so the batch stays rectangular; ignored.
        token = torch.where(done, torch.full_like(token, pad_id), token)
        mask = torch.cat([mask, (~done).long()[:, None]], dim=1)
        positions = positions[:, -1:] + 1
        output = model(
            input_ids=token[:, None],
            attention_mask=mask,
            position_ids=positions,
            past_key_values=output.past_key_values,
            use_cache=True,
        )
    return result


def read_jsonl_objects(path: Path, fix: str) -> list[tuple[str, dict]]:
    """(where, object) per non-blank line, `where` naming file and line for error messages.

    Unreadable files, invalid JSON and non-object lines raise InputError ending with `fix`.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}; fix: {fix}") from e
    out = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            where = f"{path} line {number}"
            try:
                doc = json.loads(line)
            except ValueError as e:
                raise InputError(f"{where}: not valid JSON ({e}); fix: {fix}") from e
            if not isinstance(doc, dict):
                raise InputError(f"{where}: expected a JSON object; fix: {fix}")
            out.append((where, doc))
    return out


def read_prompts(path: Path) -> list[PromptRecord]:
    """Prompt records of a JSONL file; InputError naming the line and field on a bad one."""
    fix = 'pass --prompts a JSONL file with one {"id", "messages"} object per line'
    records, seen = [], set()
    for where, doc in read_jsonl_objects(path, fix):
        record = PromptRecord(_record_id(doc, where), check_messages(doc.get("messages"), where))
        if record.id in seen:
            raise InputError(f'{where}: "id" {record.id!r} repeats; fix: give each prompt its own')
        seen.add(record.id)
        records.append(record)
    return records


def _record_id(doc: dict, where: str) -> str:
    value = doc.get("id")
    if not isinstance(value, str) or not value:
        raise InputError(
            f'{where}: "id" is {json.dumps(value)}; fix: give each record a non-empty string id'
        )
    return value


def check_messages(messages: Any, where: str) -> list[dict[str, str]]:
    """The chat messages of a record, or InputError naming what is wrong and how to fix it."""
    example = '[{"role": "user", "content": "..."}]'
    if not isinstance(messages, list) or not messages:
        raise InputError(
            f'{where}: "messages" is {json.dumps(messages)}; fix: a non-empty list like {example}'
        )
    for k, m in enumerate(messages):
        ok = isinstance(m, dict) and all(isinstance(m.get(f), str) for f in ("role", "content"))
        if not ok:
            raise InputError(
                f'{where}: "messages[{k}]" is {json.dumps(m)}; fix: an object with string '
                '"role" and "content"'
            )
    return messages


def output_lines(records: Iterable[PromptRecord], completions: Iterable[Completion]) -> Iterator:
    for r, c in zip(records, completions):
        doc = {"id": r.id, "completion": c.text, "tokens": c.tokens}
        yield json.dumps(doc | {"finish_reason": c.finish_reason}, ensure_ascii=False)
