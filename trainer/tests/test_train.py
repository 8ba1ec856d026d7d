"""The real recipe on tiny models: loss falls, parameters change, events follow the protocol."""

import json

import pytest
import torch
from conftest import make_spec
from conftest import train_checked as _train
from safetensors.torch import load_file


def _losses(events):
    return [e["loss"] for e in events if e["type"] == "progress"]


@pytest.mark.parametrize("arch", ["tiny_llama", "tiny_qwen2"])
def test_cpt_full_finetune_lowers_loss_and_changes_every_weight(
    arch, request, data_files, tmp_path
):
    base = request.getfixturevalue(arch)
    events, finished = _train(make_spec(base, data_files, tmp_path / "out"))
    losses = _losses(events)
    assert losses[-1] < losses[0] - 0.3, f"loss did not fall: {losses}"
    before = load_file(base[0] / "model.safetensors")
    after = load_file(f"{finished['checkpoint_path']}/model.safetensors")
    assert before.keys() == after.keys()
    unchanged = [k for k in before if torch.equal(before[k], after[k])]
    assert unchanged == [], f"weights not updated: {unchanged}"
    types = [e["type"] for e in events]
    assert types[0] == "started" and types[-1] == "finished"
    assert [e["step"] for e in events if e["type"] == "checkpoint"] == [4, 8, 12]


def test_realised_token_shares_are_reported_and_exact(tiny_llama, data_files, tmp_path):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out", budget={"steps": 30})
    _, finished = _train(doc)
    counts = finished["tokens_by_source"]
    assert sum(counts.values()) == finished["tokens"] == 30 * 2 * 32
    share = counts["facts"] / finished["tokens"]
    assert abs(share - 0.3) < 0.02, counts
    manifest = json.loads((tmp_path / "out/checkpoints/step-00000030/manifest.json").read_text())
    assert {s["name"]: s["tokens_seen"] for s in manifest["data_sources"]} == counts


def test_lora_trains_adapters_only_and_exports_merged_weights(tiny_llama, data_files, tmp_path):
    doc = make_spec(
        tiny_llama,
        data_files,
        tmp_path / "out",
        lr=2e-2,
        adapter={"kind": "lora", "r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]},
    )
    events, finished = _train(doc)
    started = events[0]
    assert started["trainable_parameters"] < started["parameters"] / 5
    losses = _losses(events)
    assert losses[-1] < losses[0], losses
    before = load_file(tiny_llama[0] / "model.safetensors")
    after = load_file(f"{finished['checkpoint_path']}/model.safetensors")
    assert before.keys() == after.keys(), "merged export must be plain HF weights"
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(("q_proj" in k or "v_proj" in k) for k in changed), changed
    adapter_dir = tmp_path / "out/checkpoints/step-00000012/adapter"
    assert (adapter_dir / "adapter_config.json").is_file()


def test_sft_on_chat_lowers_loss(tiny_llama, data_files, tmp_path):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out", stage="sft", budget={"steps": 15})
    doc["data"]["sources"] = [
        {
            "name": "chat",
            "path": str(data_files["chat"][0]),
            "digest": data_files["chat"][1],
            "share": 1.0,
            "format": "chat",
        }
    ]
    events, _ = _train(doc)
    losses = _losses(events)
    assert losses[-1] < losses[0] - 0.5, losses


def test_eval_events_report_held_out_loss(tiny_llama, data_files, tmp_path):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out", budget={"steps": 8})
    doc["eval"] = {
        "every_steps": 4,
        "sources": [
            {
                "name": "heldout",
                "path": str(data_files["heldout"][0]),
                "digest": data_files["heldout"][1],
                "format": "text",
            }
        ],
    }
    events, _ = _train(doc)
    evals = [e for e in events if e["type"] == "eval"]
    assert [e["step"] for e in evals] == [4, 8]
    assert evals[1]["loss_by_source"]["heldout"] < evals[0]["loss_by_source"]["heldout"]


def test_same_spec_same_weights(tiny_llama, data_files, tmp_path):
    _, a = _train(make_spec(tiny_llama, data_files, tmp_path / "a", budget={"steps": 5}))
    _, b = _train(make_spec(tiny_llama, data_files, tmp_path / "b", budget={"steps": 5}))
    wa = load_file(f"{a['checkpoint_path']}/model.safetensors")
    wb = load_file(f"{b['checkpoint_path']}/model.safetensors")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_lora_with_dropout_resumes_bitwise_from_an_earlier_checkpoint(
    tiny_llama, data_files, tmp_path
):
    """Resume restores adapters, optimizer, RNG (dropout) and sampler state exactly."""
    import shutil

    doc = make_spec(
        tiny_llama,
        data_files,
        tmp_path / "out",
        adapter={"kind": "lora", "r": 4, "alpha": 8, "dropout": 0.2},
    )
    _, first = _train(doc)
    want = load_file(f"{first['checkpoint_path']}/model.safetensors")
    for step in (8, 12):
        shutil.rmtree(tmp_path / f"out/checkpoints/step-{step:08d}")
    events, again = _train(doc)
    assert events[0]["step"] == 4 and events[0]["resumed_from"].endswith("step-00000004")
    got = load_file(f"{again['checkpoint_path']}/model.safetensors")
    assert all(torch.equal(want[k], got[k]) for k in want)
    assert again["tokens_by_source"] == first["tokens_by_source"]


def test_resume_refuses_a_checkpoint_from_different_settings(tiny_llama, data_files, tmp_path):
    from crucible_trainer.errors import SpecError

    _train(make_spec(tiny_llama, data_files, tmp_path / "out", budget={"steps": 4}))
    with pytest.raises(SpecError, match="different training settings"):
        _train(make_spec(tiny_llama, data_files, tmp_path / "out", lr=1e-3, budget={"steps": 4}))


def test_small_source_repeats_in_new_epochs_and_says_so(tiny_llama, data_files, tmp_path):
    from conftest import write_jsonl

    small = tmp_path / "small.jsonl"
    digest = write_jsonl(small, "text", ["Ada likes the red lamp.", "Bo likes the blue lamp."])
    doc = make_spec(tiny_llama, data_files, tmp_path / "out", budget={"steps": 4})
    doc["data"]["sources"][0] |= {"path": str(small), "digest": digest}
    events, _ = _train(doc)
    warned = [e for e in events if e["type"] == "warning" and e["code"] == "source_new_epoch"]
    assert warned and all("'facts'" in e["message"] for e in warned)
    manifest = json.loads((tmp_path / "out/checkpoints/step-00000004/manifest.json").read_text())
    epochs = {s["name"]: s["epochs_started"] for s in manifest["data_sources"]}
    assert epochs["facts"] == len(warned) + 1 and epochs["replay"] == 1


def test_rerunning_a_finished_job_reports_the_same_final_checkpoint(
    tiny_llama, data_files, tmp_path
):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out", budget={"steps": 4})
    _, first = _train(doc)
    events, again = _train(doc)
    assert [e["type"] for e in events] == ["started", "finished"]
    assert events[0]["step"] == 4
    assert (again["checkpoint_path"], again["manifest_digest"]) == (
        first["checkpoint_path"],
        first["manifest_digest"],
    )


def test_a_base_that_does_not_match_its_digest_is_refused(tiny_llama, data_files, tmp_path):
    from crucible_trainer.errors import BaseCheckpointError

    doc = make_spec((tiny_llama[0], "sha256:" + "1" * 64), data_files, tmp_path / "out")
    with pytest.raises(BaseCheckpointError, match="fix: point the spec at the approved"):
        _train(doc)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_a_gpu_is_bad_input(tiny_llama, data_files, tmp_path):
    from crucible_trainer.errors import SpecError

    doc = make_spec(tiny_llama, data_files, tmp_path / "out", runtime={"device": "cuda"})
    with pytest.raises(SpecError, match=r"\$\.runtime\.device"):
        _train(doc)


BF16_CPU = torch.ops.mkldnn._is_mkldnn_bf16_supported()


@pytest.mark.skipif(not BF16_CPU, reason="this CPU has no native bf16")
def test_bf16_on_cpu_trains_with_fp32_weights_and_matches_fp32_closely(
    tiny_llama, data_files, tmp_path
):
    """bf16 autocast changes the arithmetic (so the weights differ from an fp32 run) but not
    what is stored: fp32 weights, and a loss curve that follows the fp32 one."""
    runs = {}
    for precision in ("fp32", "bf16"):
        doc = make_spec(
            tiny_llama,
            data_files,
            tmp_path / precision,
            runtime={"device": "cpu", "threads": 1, "precision": precision},
        )
        runs[precision] = _train(doc)
    (events32, fin32), (events16, fin16) = runs["fp32"], runs["bf16"]
    w32 = load_file(f"{fin32['checkpoint_path']}/model.safetensors")
    w16 = load_file(f"{fin16['checkpoint_path']}/model.safetensors")
    assert {t.dtype for t in w16.values()} == {torch.float32}
    assert any(not torch.equal(w32[k], w16[k]) for k in w32), "bf16 autocast had no effect"
    l32, l16 = _losses(events32), _losses(events16)
    assert l16[-1] < l16[0] - 0.3, f"bf16 loss did not fall: {l16}"
    assert max(abs(a - b) for a, b in zip(l32, l16)) < 0.05, (l32, l16)


def test_bf16_on_a_cpu_without_native_bf16_is_bad_input(
    tiny_llama, data_files, tmp_path, monkeypatch
):
    from crucible_trainer.errors import SpecError

    # The edge of the world: pretend the CPU lacks AVX512-BF16/AMX.
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    doc = make_spec(
        tiny_llama, data_files, tmp_path / "out", runtime={"device": "cpu", "precision": "bf16"}
    )
    with pytest.raises(SpecError, match=r"\$\.runtime\.precision"):
        _train(doc)
