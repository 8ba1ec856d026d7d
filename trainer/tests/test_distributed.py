"""Data parallelism under torchrun (2 processes, gloo, CPU) against the single-process run.

Tolerance: the 2-process loss at every step is within LOSS_TOLERANCE nats of the 1-process loss.
Both runs see the same global batch and normalise by the same target count; what differs is the
order of float32 additions — the 1-process run sums the gradient of 4 sequences inside one
matmul, each rank sums 2 and the all-reduce adds the two halves. Each such rounding is ~1e-7
relative, and 8 steps of a tiny model amplify it to ~1e-6 at most; a real fault (a rank training
on the wrong slice, gradients averaged instead of summed, a missing rank) moves the loss by
> 1e-2 within two steps. Token counts are integers and must be identical.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_spec

from crucible_trainer import checkpoint, protocol
from crucible_trainer.distributed import DataParallel
from crucible_trainer.errors import SpecError
from crucible_trainer.events import EventEmitter, list_sink
from crucible_trainer.spec import parse_spec
from crucible_trainer.train import run

LOSS_TOLERANCE = 1e-4
STEPS, EVERY = 8, 4


def _spec(tiny_llama, data_files, out):
    # batch 4 × accum 1: each rank trains 2 of the step's 4 sequences, so the float reduction
    # order really differs from the 1-process run.
    heldout = data_files["heldout"]
    return make_spec(
        tiny_llama,
        data_files,
        out,
        budget={"steps": STEPS},
        batch_size=4,
        grad_accum=1,
        checkpoint={"every_steps": EVERY},
        eval={
            "every_steps": EVERY,
            "sources": [
                {"name": "heldout", "path": str(heldout[0]), "digest": heldout[1], "format": "text"}
            ],
        },
    )


def _torchrun(spec_doc, tmp_path, name):
    """Run the spec with 2 processes; returns (stdout events, stderr)."""
    spec_path = tmp_path / f"{name}.json"
    spec_path.write_text(json.dumps(spec_doc))
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    result = subprocess.run(
        [*launcher, "--nproc-per-node", "2", "-m", "crucible_trainer", "run", "--spec", spec_path],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    events = [json.loads(line) for line in result.stdout.splitlines()]
    for event in events:
        assert protocol.problems("events", event) == [], event
    return events, result.stderr


def _losses(events):
    return [e["loss"] for e in events if e["type"] == "progress"]


def _evals(events):
    return [(e["step"], e["loss_by_source"]["heldout"]) for e in events if e["type"] == "eval"]


def _weights(finished):
    return checkpoint.sha256_file(Path(finished["checkpoint_path"]) / "model.safetensors")


@pytest.fixture(scope="module")
def one_process(tiny_llama, data_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "out"
    events = []
    spec = parse_spec(_spec(tiny_llama, data_files, out))
    finished = run(spec, EventEmitter("r", list_sink(events)))
    return events, finished


@pytest.fixture(scope="module")
def two_processes(tiny_llama, data_files, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("two")
    return _torchrun(_spec(tiny_llama, data_files, tmp / "out"), tmp, "two")


def test_two_processes_follow_the_one_process_loss_curve_with_identical_token_counts(
    one_process, two_processes
):
    one_events, one_finished = one_process
    events, stderr = two_processes
    one, two = _losses(one_events), _losses(events)
    assert len(two) == len(one) == STEPS
    worst = max(abs(a - b) for a, b in zip(one, two))
    assert worst <= LOSS_TOLERANCE, f"max |loss diff| {worst:.3g}: 1 process {one}, 2 {two}"
    print(f"max |loss(1 process) - loss(2 processes)| = {worst:.3g} nats")
    finished = events[-1]
    assert finished["type"] == "finished"
    assert finished["tokens"] == one_finished["tokens"]
    assert finished["tokens_by_source"] == one_finished["tokens_by_source"]
    for a, b in zip(
        [e for e in one_events if e["type"] == "progress"],
        [e for e in events if e["type"] == "progress"],
    ):
        assert a["tokens_by_source"] == b["tokens_by_source"], (a["step"], a, b)
    assert "rank1 crucible_trainer rank 1 of 2" in stderr, "rank 1 logs to stderr, with its rank"
    evals, one_evals = _evals(events), _evals(one_events)
    assert [s for s, _ in evals] == [s for s, _ in one_evals] == [EVERY, STEPS]
    assert max(abs(a - b) for (_, a), (_, b) in zip(evals, one_evals)) <= LOSS_TOLERANCE


def test_only_rank_zero_emits_events_and_writes_a_valid_final_checkpoint(two_processes):
    events, _ = two_processes
    kinds = [e["type"] for e in events]
    assert kinds.count("started") == 1 and kinds.count("finished") == 1, kinds
    assert kinds.count("progress") == STEPS
    assert events[0]["world_size"] == 2
    checkpoints = [e for e in events if e["type"] == "checkpoint"]
    assert [c["step"] for c in checkpoints] == [EVERY, STEPS]
    manifest, digest = checkpoint.read_valid_manifest(Path(checkpoints[-1]["path"]))
    assert digest == checkpoints[-1]["manifest_digest"] == events[-1]["manifest_digest"]
    assert protocol.problems("checkpoint-manifest", manifest) == []
    assert manifest["final"] and manifest["step"] == STEPS
    seen = {s["name"]: s["tokens_seen"] for s in manifest["data_sources"]}
    assert seen == events[-1]["tokens_by_source"]


def test_a_torchrun_run_resumes_from_its_checkpoint_bitwise_and_at_another_world_size(
    tiny_llama, data_files, tmp_path, one_process, two_processes
):
    events, _ = two_processes
    middle = next(e for e in events if e["type"] == "checkpoint" and e["step"] == EVERY)
    for name in ("resumed-2", "resumed-1"):
        target = tmp_path / name / "checkpoints" / Path(middle["path"]).name
        shutil.copytree(middle["path"], target)

    # Same world size: the run continues exactly where it stopped.
    resumed, _ = _torchrun(_spec(tiny_llama, data_files, tmp_path / "resumed-2"), tmp_path, "r2")
    assert resumed[0]["step"] == EVERY and resumed[0]["resumed_from"]
    assert _losses(resumed) == _losses(events)[EVERY:]
    assert resumed[-1]["tokens_by_source"] == events[-1]["tokens_by_source"]
    assert _weights(resumed[-1]) == _weights(events[-1])

    # One process picks up a 2-process checkpoint: the data position is global.
    one_events, one_finished = one_process
    alone = []
    spec = parse_spec(_spec(tiny_llama, data_files, tmp_path / "resumed-1"))
    finished = run(spec, EventEmitter("r", list_sink(alone)))
    assert finished["tokens_by_source"] == one_finished["tokens_by_source"]
    worst = max(abs(a - b) for a, b in zip(_losses(alone), _losses(one_events)[EVERY:]))
    assert worst <= LOSS_TOLERANCE


def test_a_global_batch_that_does_not_split_over_the_processes_is_bad_input(
    tiny_llama, data_files, tmp_path
):
    spec = parse_spec(make_spec(tiny_llama, data_files, tmp_path, batch_size=3, grad_accum=1))
    with pytest.raises(SpecError, match=r"\$\.hyperparameters\.batch_size: .* 3 packed sequences"):
        DataParallel(rank=1, local_rank=1, world_size=2, local_world_size=2).check(spec.hyper)
    DataParallel(rank=1, local_rank=1, world_size=3, local_world_size=3).check(spec.hyper)
