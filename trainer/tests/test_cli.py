"""The CLI as the worker runs it: events only on stdout, exit codes 0 / 1 / 2."""

import json
import subprocess
import sys

from conftest import make_spec

from crucible_trainer import protocol


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "crucible_trainer", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _events(stdout):
    events = [json.loads(line) for line in stdout.splitlines()]
    for event in events:
        assert protocol.problems("events", event) == [], event
    return events


def test_help_lists_commands():
    result = _cli("--help")
    assert result.returncode == 0
    for command in ("run", "check-spec", "digest", "nano"):
        assert command in result.stdout


def test_run_emits_only_protocol_events_on_stdout(tiny_llama, data_files, tmp_path):
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps(make_spec(tiny_llama, data_files, tmp_path / "out")))
    result = _cli("run", "--spec", str(spec))
    assert result.returncode == 0, result.stderr
    events = _events(result.stdout)  # every stdout line parses and validates
    assert events[0]["type"] == "started" and events[-1]["type"] == "finished"
    assert events[-1]["run_id"] == "test-run"


def test_bad_spec_exits_2_naming_the_field_and_the_fix(tiny_llama, data_files, tmp_path):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out", lr=-1)
    doc["data"]["sources"][0]["share"] = 0.5
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps(doc))
    result = _cli("run", "--spec", str(spec))
    assert result.returncode == 2
    assert "$.hyperparameters.lr" in result.stderr and "fix:" in result.stderr
    (failed,) = _events(result.stdout)
    assert failed["type"] == "failed" and failed["code"] == "bad_input"


def test_shares_not_summing_to_one_name_the_sources(tiny_llama, data_files, tmp_path):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out")
    doc["data"]["sources"][0]["share"] = 0.5
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps(doc))
    result = _cli("check-spec", "--spec", str(spec))
    assert result.returncode == 2
    assert "$.data.sources: shares must sum to 1 but sum to 1.2" in result.stderr


def test_runtime_failure_emits_failed_and_exits_1(tiny_llama, data_files, tmp_path):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out")
    doc["data"]["sources"][1]["digest"] = "sha256:" + "0" * 64
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps(doc))
    result = _cli("run", "--spec", str(spec))
    assert result.returncode == 1
    failed = _events(result.stdout)[-1]
    assert failed["type"] == "failed" and failed["code"] == "data_error"
    assert "replay" in failed["reason"] and "fix:" in failed["reason"]


def test_digest_command_matches_spec_digests(tiny_llama, data_files):
    assert _cli("digest", str(tiny_llama[0])).stdout.strip() == tiny_llama[1]
    assert _cli("digest", str(data_files["facts"][0])).stdout.strip() == data_files["facts"][1]
