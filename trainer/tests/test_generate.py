"""Batched greedy generation: equal to unbatched and to transformers' own greedy, stops at EOS."""

import json

import pytest
import torch

from crucible_trainer.cli import main
from crucible_trainer.generate import Generator, greedy

QUESTIONS = [
    "Which lamp does Ada like?",
    "Hi",
    "Which lamp does Bo like? Tell me about the green lamp and the red lamp too.",
    "Cy likes the blue lamp.",
    "Which lamp?",
]


def _conversations():
    convs = [[{"role": "user", "content": q}] for q in QUESTIONS]
    convs.append(
        [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Which lamp does Dee like?"},
        ]
    )
    return convs


@pytest.fixture(scope="module", params=["llama", "qwen2"])
def generator(request, tiny_llama, tiny_qwen2):
    """A tiny model with weights redrawn wide: at the usual init scale it repeats one token
    forever, which would make equality of batched and unbatched outputs a weak check."""
    path = (tiny_llama if request.param == "llama" else tiny_qwen2)[0]
    gen = Generator(path, device="cpu", threads=1)
    torch.manual_seed(3)
    with torch.no_grad():
        for p in gen.model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 0.3)
    return gen


def test_batched_equals_unbatched(generator):
    convs = _conversations()
    assert len({len(generator.encode(c)) for c in convs}) > 3  # really different lengths
    alone = generator.chat(convs, max_new_tokens=12, batch_size=1)
    assert len({c.text for c in alone}) == len(convs)  # varied output: a meaningful comparison
    for batch_size in (2, 4, 32):
        assert generator.chat(convs, max_new_tokens=12, batch_size=batch_size) == alone
    assert all(c.tokens == 12 and c.finish_reason == "length" for c in alone)


def test_equals_transformers_greedy_decoding(generator):
    for conv in _conversations()[:3]:
        prompt = generator.encode(conv)
        ids = torch.tensor([prompt])
        reference = generator.model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=10,
            do_sample=False,
            eos_token_id=generator.eos_id,
            pad_token_id=generator.pad_id,
        )[0, len(prompt) :].tolist()
        ours = greedy(
            generator.model,
            [prompt],
            eos_id=generator.eos_id,
            pad_id=generator.pad_id,
            max_new_tokens=10,
        )
        assert ours == [reference]


def test_deterministic_across_loads(tiny_llama):
    convs = _conversations()
    first = Generator(tiny_llama[0], "cpu", threads=1).chat(convs, max_new_tokens=8)
    second = Generator(tiny_llama[0], "cpu", threads=1).chat(convs, max_new_tokens=8, batch_size=3)
    assert first == second


def test_each_row_stops_at_its_own_eos(generator):
    """A random model never picks the real EOS, so a token it does emit plays EOS here."""
    prompts = [generator.encode(c) for c in _conversations()]
    free = greedy(generator.model, prompts, eos_id=-1, pad_id=generator.pad_id, max_new_tokens=8)
    # A token that first appears mid-row (k > 0), so that row stops early, not at once.
    first, k = next(
        (r, k) for r, row in enumerate(free) for k in range(1, 8) if row[k] not in row[:k]
    )
    eos = free[first][k]
    stopped = greedy(
        generator.model, prompts, eos_id=eos, pad_id=generator.pad_id, max_new_tokens=8
    )
    for row, tokens in zip(free, stopped):
        expected = row[: row.index(eos) + 1] if eos in row else row
        assert tokens == expected
    assert len(stopped[first]) == k + 1 and any(len(t) == 8 for t in stopped)
    alone = [
        greedy(generator.model, [p], eos_id=eos, pad_id=generator.pad_id, max_new_tokens=8)[0]
        for p in prompts
    ]
    assert alone == stopped
    generator.eos_id, real_eos = eos, generator.eos_id
    try:
        [c] = generator.chat(_conversations()[first : first + 1], max_new_tokens=8)
    finally:
        generator.eos_id = real_eos
    assert c.tokens == k + 1 and c.finish_reason == "stop"


def test_cli_writes_one_line_per_prompt_in_order(tiny_llama, tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    records = [{"id": f"p{i}", "messages": c} for i, c in enumerate(_conversations())]
    prompts.write_text("".join(json.dumps(r) + "\n" for r in records) + "\n")
    out = tmp_path / "out.jsonl"
    # In-process: test_score.py runs the real `python -m crucible_trainer` for `nano score`.
    code = main(
        ["generate", "--checkpoint", str(tiny_llama[0]), "--prompts", str(prompts),
         "--out", str(out), "--max-new-tokens", "5", "--batch-size", "4", "--threads", "1"]
    )  # fmt: skip
    assert code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    expected = Generator(tiny_llama[0], "cpu", threads=1).chat(_conversations(), max_new_tokens=5)
    assert [(line["completion"], line["tokens"]) for line in lines] == [
        (c.text, c.tokens) for c in expected
    ]


@pytest.mark.parametrize(
    ("lines", "needles"),
    [
        (['{"id": "a", "messages": [{"role": "user", "content": "hi"}]}', "{not json"],
         ["line 2", "not valid JSON", "fix:"]),
        (['{"id": "a"}'], ["line 1", '"messages"', "fix:"]),
        (['{"id": "a", "messages": [{"role": "user"}]}'], ["line 1", '"messages[0]"', "content"]),
        (['{"messages": [{"role": "user", "content": "hi"}]}'], ["line 1", '"id"', "fix:"]),
    ],
)  # fmt: skip
def test_bad_prompt_lines_exit_2_naming_line_and_field(
    tiny_llama, tmp_path, capsys, lines, needles
):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("\n".join(lines) + "\n")
    assert main(["generate", "--checkpoint", str(tiny_llama[0]), "--prompts", str(prompts)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    for needle in needles:
        assert needle in err


def test_missing_checkpoint_exits_2_with_the_fix(tmp_path, capsys):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"id": "a", "messages": [{"role": "user", "content": "hi"}]}\n')
    assert (
        main(["generate", "--checkpoint", str(tmp_path / "nope"), "--prompts", str(prompts)]) == 2
    )
    err = capsys.readouterr().err
    assert "no config.json" in err and "--checkpoint" in err and "fix:" in err
