"""The generate-stream session: decoding parameters, seeds, streaming, batching and refusals.

A tiny model with weights redrawn wide (as in test_generate.py) so that greedy and sampled
outputs vary from prompt to prompt and seed to seed; otherwise equalities would be weak checks.
"""

import json
import subprocess
import sys

import pytest
import torch

from crucible_trainer import protocol
from crucible_trainer.generate import Generator
from crucible_trainer.generate_stream import event_emitter, respond
from crucible_trainer.sampling import Decoding, Picker

SESSION = [sys.executable, "-m", "crucible_trainer", "generate-stream"]
CONVERSATIONS = [
    [{"role": "user", "content": "Which lamp does Ada like?"}],
    [{"role": "user", "content": "Hi"}],
    [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Which lamp does Bo like? Tell me about the green lamp."},
    ],
]


@pytest.fixture(scope="module")
def wide(tiny_llama, tmp_path_factory):
    """(generator, its directory): the tiny Llama redrawn wide and saved, so a subprocess can
    load the same weights."""
    gen = Generator(tiny_llama[0], device="cpu", threads=1)
    torch.manual_seed(3)
    with torch.no_grad():
        for p in gen.model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 0.3)
    path = tmp_path_factory.mktemp("wide-llama")
    gen.model.save_pretrained(path)
    gen.tokenizer.save_pretrained(path)
    return gen, path


def ask(generator, *requests):
    """Events of a session answering `requests` (dicts, or raw lines), each checked against
    the protocol."""
    events = []
    lines = [r if isinstance(r, str) else json.dumps(r) for r in requests]
    respond(generator, lines, event_emitter(events.append))
    for event in events:
        assert protocol.problems("generation-events", event) == [], event
    return events


def request(prompts, temperature=0.0, top_p=1.0, seed=0, max_tokens=10, **extra):
    decoding = {"temperature": temperature, "top_p": top_p, "seed": seed}
    if max_tokens is not None:
        decoding["max_tokens"] = max_tokens
    return {"protocol_version": 1, "prompts": prompts, "decoding": decoding, **extra}


def chats(convs=CONVERSATIONS):
    return [{"id": f"p{i}", "messages": c} for i, c in enumerate(convs)]


def completions(events):
    return {e["prompt"]: e["text"] for e in events if e["type"] == "completion"}


def test_greedy_equals_the_trainers_own_generation(wide):
    gen, _ = wide
    events = ask(gen, request(chats(), batch_size=2))
    own = gen.chat(CONVERSATIONS, max_new_tokens=10)
    assert completions(events) == {f"p{i}": c.text for i, c in enumerate(own)}
    assert len(set(completions(events).values())) == len(CONVERSATIONS)
    assert [e["type"] for e in events][-1] == "done"


def test_same_seed_same_output_other_seed_other_output(wide):
    gen, _ = wide
    sampled = request(chats(), temperature=1.0, top_p=0.9, seed=11, max_tokens=12)
    first, again = ask(gen, sampled), ask(gen, sampled)
    assert completions(first) == completions(again)
    other = completions(ask(gen, {**sampled, "decoding": {**sampled["decoding"], "seed": 12}}))
    assert other != completions(first)
    assert completions(first) != completions(ask(gen, request(chats(), max_tokens=12)))


def test_a_prompt_samples_the_same_alone_or_batched(wide):
    """Prompt k samples with seed + k: alone with that seed it gives what it gave in the batch."""
    gen, _ = wide
    batched = completions(ask(gen, request(chats(), temperature=1.2, seed=40, batch_size=3)))
    for k, prompt in enumerate(chats()):
        alone = completions(ask(gen, request([prompt], temperature=1.2, seed=40 + k)))
        assert alone == {prompt["id"]: batched[prompt["id"]]}


def test_tiny_top_p_keeps_only_the_likeliest_token():
    logits = torch.tensor([[0.1, 2.0, 1.9, -1.0], [3.0, 3.0, 0.0, 0.0]])
    pick = Picker(Decoding(temperature=1.5, top_p=1e-6, seed=0), seeds=[0, 1])
    for _ in range(20):
        assert pick(logits).tolist() == [1, 0]  # ties: the lowest id, as greedy
    wide_open = Picker(Decoding(temperature=1.5, top_p=1.0, seed=0), seeds=[0, 1])
    assert len({tuple(wide_open(logits).tolist()) for _ in range(40)}) > 1


def test_streamed_pieces_add_up_to_the_completion(wide):
    gen, _ = wide
    events = ask(gen, request(chats()[:1], temperature=0.8, seed=5, max_tokens=16, stream=True))
    pieces = [e["text"] for e in events if e["type"] == "token"]
    assert len(pieces) > 3
    assert "".join(pieces).strip() == completions(events)["p0"]
    done = events[-1]
    assert done["type"] == "done" and done["tokens"] == 16


def test_text_prompts_continue_the_text_without_a_template(wide):
    gen, _ = wide
    prompt_ids = gen.tokenizer("Ada likes the")["input_ids"]
    [own] = gen.complete([prompt_ids], max_new_tokens=8)
    events = ask(gen, request([{"id": "t", "text": "Ada likes the"}], max_tokens=8))
    assert completions(events) == {"t": own.text}
    [completion] = [e for e in events if e["type"] == "completion"]
    assert completion["prompt_tokens"] == len(prompt_ids)


def test_max_tokens_defaults_to_what_the_positions_leave(wide):
    gen, _ = wide
    long_text = " ".join(["Ada likes the red lamp."] * 40)
    n = len(gen.tokenizer(long_text)["input_ids"])
    assert gen.max_positions - n < 256
    events = ask(gen, request([{"id": "long", "text": long_text}], max_tokens=None))
    [completion] = [e for e in events if e["type"] == "completion"]
    assert completion["tokens"] == gen.max_positions - n


@pytest.mark.parametrize(
    ("line", "needles"),
    [
        ("{not json", ["not valid JSON", "fix:"]),
        (request(chats(), temperature=3), ["$.decoding.temperature", "maximum", "fix:"]),
        (request(chats(), top_p=0), ["$.decoding.top_p", "fix:"]),
        (request(chats(), max_tokens=0), ["$.decoding.max_tokens", "fix:"]),
        (request([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]), ["'a' repeats"]),
        (request([{"id": "big", "text": "lamp " * 300}]), ["prompt big has", "positions", "fix:"]),
    ],
)
def test_a_refused_request_is_named_and_the_session_goes_on(wide, line, needles):
    gen, _ = wide
    events = ask(gen, line, request(chats()[:1]))
    assert events[0]["type"] == "failed" and events[0]["code"] == "bad_input"
    for needle in needles:
        assert needle in events[0]["reason"]
    assert [e["type"] for e in events[1:]] == ["completion", "done"]


def test_messages_need_a_chat_template(wide, tmp_path):
    _, path = wide
    config = json.loads((path / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    bare = tmp_path / "bare"
    bare.mkdir()
    for f in path.iterdir():
        (bare / f.name).write_bytes(f.read_bytes())
    (bare / "tokenizer_config.json").write_text(json.dumps(config))
    (bare / "chat_template.jinja").unlink(missing_ok=True)
    plain = Generator(bare, "cpu", threads=1)
    events = ask(plain, request(chats()[:1]), request([{"id": "t", "text": "Ada"}]))
    assert events[0]["type"] == "failed" and "no chat template" in events[0]["reason"]
    assert [e["type"] for e in events[1:]] == ["completion", "done"]


def test_the_session_process_answers_a_pipe(wide):
    """`python -m crucible_trainer generate-stream`: ready, then one answer per request line."""
    gen, path = wide
    lines = [json.dumps(request(chats(), batch_size=2)), json.dumps(request(chats()[:1]))]
    result = subprocess.run(
        [*SESSION, "--checkpoint", str(path), "--device", "cpu", "--threads", "1"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    events = [json.loads(line) for line in result.stdout.splitlines()]
    for event in events:
        assert protocol.problems("generation-events", event) == [], event
    assert events[0]["type"] == "ready" and events[0]["chat_template"] is True
    assert [e["type"] for e in events].count("done") == 2
    own = gen.chat(CONVERSATIONS, max_new_tokens=10)
    assert completions(events[: 1 + len(CONVERSATIONS) + 1]) == {
        f"p{i}": c.text for i, c in enumerate(own)
    }


def test_a_missing_checkpoint_fails_before_ready(tmp_path):
    result = subprocess.run(
        [*SESSION, "--checkpoint", str(tmp_path / "nope")],
        input="",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    [event] = [json.loads(line) for line in result.stdout.splitlines()]
    assert event["type"] == "failed" and "no config.json" in event["reason"]
