"""DPO on tiny models: pairs are encoded and mixed exactly, the loss starts at log 2 and falls,
the policy comes to prefer the chosen replies, LoRA uses its own base as the reference, and
resume is bitwise."""

import json
import math
import random
import shutil

import pytest
import torch
from conftest import COLOURS, NAMES, make_spec
from conftest import train_checked as _train
from safetensors.torch import load_file

from crucible_trainer import model as model_lib
from crucible_trainer.data.jsonl_source import index_jsonl
from crucible_trainer.data.mixer import IGNORE_INDEX
from crucible_trainer.data.preference import collate_pairs, pair_encoder
from crucible_trainer.errors import DataError, SpecError
from crucible_trainer.spec import parse_spec


def _pairs(n: int, seed: int) -> list[dict]:
    """Prefer an answer that names the lamp to one that only repeats a colour."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name, colour = rng.choice(NAMES), rng.choice(COLOURS)
        out.append(
            {
                "prompt": [{"role": "user", "content": f"Which lamp does {name} like?"}],
                "chosen": [{"role": "assistant", "content": f"{name} likes the {colour} lamp."}],
                "rejected": " ".join([rng.choice(COLOURS)] * 3),
            }
        )
    return out


@pytest.fixture(scope="module")
def pair_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    out = {}
    for name, n, seed in (("prefs", 48, 1), ("more", 40, 2)):
        path = root / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in _pairs(n, seed)))
        out[name] = (path, index_jsonl(path)[1])
    return out


def _dpo_spec(base, data_files, pair_files, out, **overrides):
    doc = make_spec(base, data_files, out, **overrides)
    doc["stage"] = "dpo"
    doc["dpo"] = {"beta": 0.5}
    doc["data"]["sources"] = [
        {"name": name, "path": str(p), "digest": d, "share": share, "format": "preference"}
        for (name, (p, d)), share in zip(pair_files.items(), (0.6, 0.4))
    ]
    doc["hyperparameters"]["lr"] = 5e-3
    return doc


def test_a_pair_scores_only_the_reply_tokens(tiny_llama):
    tokenizer = model_lib.load_tokenizer(tiny_llama[0])
    pair = pair_encoder(tokenizer)(_pairs(1, 3)[0])
    batch = collate_pairs([pair], 64, tokenizer.pad_token_id)
    assert batch["input_ids"].shape[0] == 2 and batch["pairs"] == 1
    record = _pairs(1, 3)[0]
    replies = (record["chosen"][0]["content"], record["rejected"])
    for row, (side, want) in enumerate(zip((pair.chosen, pair.rejected), replies)):
        labels = batch["labels"][row].tolist()
        scored = [t for t, label in zip(side.ids[1:], labels) if label != IGNORE_INDEX]
        reply = tokenizer.decode(scored).strip()
        assert reply.startswith(want) and "Which lamp" not in reply, reply
    # the prompt is shared, the replies differ
    assert pair.chosen.ids != pair.rejected.ids


@pytest.mark.parametrize(
    "record, problem",
    [
        ({"prompt": [{"role": "user", "content": "hi"}], "chosen": "a"}, "no 'rejected'"),
        ({"prompt": [], "chosen": "a", "rejected": "b"}, "non-empty list"),
        ({"prompt": [{"role": "user", "content": "hi"}], "chosen": "a", "rejected": "a"}, "same"),
        ({"prompt": [{"role": "user", "content": "hi"}], "chosen": 3, "rejected": "b"}, "chosen"),
    ],
)
def test_bad_preference_records_say_what_is_wrong(tiny_llama, record, problem):
    tokenizer = model_lib.load_tokenizer(tiny_llama[0])
    with pytest.raises(DataError, match=problem):
        pair_encoder(tokenizer)(record)


def test_dpo_starts_at_log2_and_learns_to_prefer_the_chosen_reply(
    tiny_llama, data_files, pair_files, tmp_path
):
    doc = _dpo_spec(tiny_llama, data_files, pair_files, tmp_path / "out", budget={"steps": 16})
    events, finished = _train(doc)
    progress = [e for e in events if e["type"] == "progress"]
    # step 1's policy is the reference: every pair's loss is exactly log 2
    assert progress[0]["loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert progress[-1]["loss"] < math.log(2) - 0.2, [p["loss"] for p in progress]
    assert progress[-1]["metrics"]["reward_accuracy"] > 0.8
    assert progress[-1]["metrics"]["reward_margin"] > 0
    # tokens are the pairs' own (both sides), mixed by the recipe's shares
    counts = finished["tokens_by_source"]
    assert sum(counts.values()) == finished["tokens"]
    assert abs(counts["prefs"] / finished["tokens"] - 0.6) < 0.05, counts
    before = load_file(tiny_llama[0] / "model.safetensors")
    after = load_file(f"{finished['checkpoint_path']}/model.safetensors")
    assert [k for k in before if torch.equal(before[k], after[k])] == []


def test_dpo_with_lora_uses_its_own_base_and_resumes_bitwise(
    tiny_llama, data_files, pair_files, tmp_path
):
    doc = _dpo_spec(
        tiny_llama,
        data_files,
        pair_files,
        tmp_path / "out",
        adapter={"kind": "lora", "r": 4, "alpha": 8, "dropout": 0.1},
    )
    events, first = _train(doc)
    first_progress = next(e for e in events if e["type"] == "progress")
    assert first_progress["loss"] == pytest.approx(math.log(2), abs=1e-4)
    want = load_file(f"{first['checkpoint_path']}/model.safetensors")
    for step in (8, 12):
        shutil.rmtree(tmp_path / f"out/checkpoints/step-{step:08d}")
    again_events, again = _train(doc)
    assert again_events[0]["resumed_from"].endswith("step-00000004")
    got = load_file(f"{again['checkpoint_path']}/model.safetensors")
    assert all(torch.equal(want[k], got[k]) for k in want)
    assert again["tokens_by_source"] == first["tokens_by_source"]


def test_dpo_specs_that_mix_up_stages_and_formats_are_refused(
    tiny_llama, data_files, pair_files, tmp_path
):
    doc = _dpo_spec(tiny_llama, data_files, pair_files, tmp_path / "out")
    doc["data"]["sources"][1]["format"] = "chat"
    doc["eval"] = {"every_steps": 2, "sources": [doc["data"]["sources"][0] | {"format": "text"}]}
    del doc["eval"]["sources"][0]["share"]
    with pytest.raises(SpecError) as refused:
        parse_spec(doc)
    text = str(refused.value)
    assert "$.data.sources[1].format" in text and "$.eval" in text
    cpt = make_spec(tiny_llama, data_files, tmp_path / "cpt")
    cpt["dpo"] = {"beta": 0.1}
    with pytest.raises(SpecError, match=r"\$\.dpo"):
        parse_spec(cpt)
