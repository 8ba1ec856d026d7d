"""kill -9 at random moments, resume, and end with weights bitwise equal to an uninterrupted run."""

import json
import os
import random
import signal
import subprocess
import sys

import pytest
import torch
from conftest import make_spec
from safetensors.torch import load_file

from crucible_trainer.events import EventEmitter, list_sink
from crucible_trainer.spec import parse_spec
from crucible_trainer.train import run

STEPS, EVERY = 24, 3  # checkpoint every EVERY steps


def _run_until_killed(spec_path, kill_after_progress):
    """Start the CLI, SIGKILL it once it has reported `kill_after_progress` steps."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crucible_trainer", "run", "--spec", str(spec_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seen = []
    for line in proc.stdout:
        event = json.loads(line)
        seen.append(event)
        if event["type"] == "progress" and event["step"] >= kill_after_progress:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=120)
    proc.stdout.close()
    return seen


BF16_CPU = torch.ops.mkldnn._is_mkldnn_bf16_supported()


@pytest.mark.parametrize(
    "precision",
    [
        "fp32",
        pytest.param(
            "bf16", marks=pytest.mark.skipif(not BF16_CPU, reason="CPU has no native bf16")
        ),
    ],
)
def test_killed_and_resumed_run_matches_uninterrupted_run_bitwise(
    precision, tiny_llama, data_files, tmp_path
):
    def spec(out):
        return make_spec(
            tiny_llama,
            data_files,
            out,
            budget={"steps": STEPS},
            adapter={"kind": "full"},
            grad_accum=2,
            checkpoint={"every_steps": EVERY},
            runtime={"device": "cpu", "threads": 1, "precision": precision},
        )

    reference = run(parse_spec(spec(tmp_path / "ref")), EventEmitter("ref", list_sink([])))

    spec_path = tmp_path / "job.json"
    spec_path.write_text(json.dumps(spec(tmp_path / "killed")))
    rng = random.Random(1234)
    # One kill right at a checkpoint step (its checkpoint is being written), then random ones.
    kill_points = [EVERY * 2, *sorted(rng.sample(range(EVERY * 2 + 1, STEPS - 1), 2))]
    resumed_from = []
    for point in kill_points:
        events = _run_until_killed(spec_path, point)
        assert events[-1]["type"] == "progress", "the run must still be going when killed"
        started = next(e for e in events if e["type"] == "started")
        resumed_from.append(started.get("resumed_from"))

    result = subprocess.run(
        [sys.executable, "-m", "crucible_trainer", "run", "--spec", str(spec_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    started = next(e for e in events if e["type"] == "started")
    assert started["step"] > 0, "the final run must resume"
    assert resumed_from[0] is None and all(resumed_from[1:]), resumed_from
    finished = events[-1]
    assert finished["type"] == "finished"
    assert finished["tokens_by_source"] == reference["tokens_by_source"]

    want = load_file(f"{reference['checkpoint_path']}/model.safetensors")
    got = load_file(f"{finished['checkpoint_path']}/model.safetensors")
    assert want.keys() == got.keys()
    differing = [k for k in want if not torch.equal(want[k], got[k])]
    assert differing == [], f"resumed weights differ from uninterrupted run: {differing}"
