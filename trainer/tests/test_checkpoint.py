"""Checkpoint directories are atomic and verified file by file."""

import json
from pathlib import Path

import pytest

from crucible_trainer import checkpoint
from crucible_trainer.errors import CheckpointError

MANIFEST = {
    "protocol_version": 1,
    "kind": "crucible-checkpoint",
    "stage": "cpt",
    "step": 3,
    "tokens": 96,
    "data_sources": [],
    "spec_digest": "sha256:" + "0" * 64,
    "code_version": "test",
    "library_versions": {"python": "3", "torch": "2", "transformers": "5"},
    "config": {},
    "created_at": "2026-01-01T00:00:00Z",
}


def _write(output_dir, step, payload=b"weights"):
    root = checkpoint.checkpoints_root(output_dir)
    root.mkdir(parents=True, exist_ok=True)

    def files(tmp):
        (tmp / "model.safetensors").write_bytes(payload)
        (tmp / "sub").mkdir()
        (tmp / "sub" / "state.bin").write_bytes(b"state")

    path = root / checkpoint.step_dir_name(step)
    return path, checkpoint.write_checkpoint(path, files, {**MANIFEST, "step": step})


def test_written_checkpoint_lists_every_file_and_verifies(tmp_path):
    path, digest = _write(tmp_path, 3)
    manifest, again = checkpoint.read_valid_manifest(path)
    assert again == digest
    assert [f["path"] for f in manifest["files"]] == ["model.safetensors", "sub/state.bin"]
    assert not list(path.parent.glob(".tmp-*")), "temp dir must be renamed away"


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: (p / "model.safetensors").write_bytes(b"weightz"),
        lambda p: (p / "model.safetensors").write_bytes(b"weights+more"),
        lambda p: (p / "sub" / "state.bin").unlink(),
        lambda p: (p / "manifest.json").unlink(),
        lambda p: (p / "manifest.json").write_text("{"),
    ],
    ids=["flipped-bytes", "wrong-size", "missing-file", "no-manifest", "broken-manifest"],
)
def test_damaged_checkpoint_is_rejected(tmp_path, damage):
    path, _ = _write(tmp_path, 3)
    damage(path)
    with pytest.raises(CheckpointError):
        checkpoint.read_valid_manifest(path)


def test_latest_valid_skips_damaged_newer_checkpoints(tmp_path):
    good, _ = _write(tmp_path, 4)
    bad, _ = _write(tmp_path, 8)
    (bad / "model.safetensors").write_bytes(b"torn")
    skipped = []
    found = checkpoint.latest_valid(tmp_path, lambda p, why: skipped.append(p))
    assert found is not None and found[0] == good
    assert skipped == [bad]


def test_partial_temp_dirs_are_removed(tmp_path):
    _write(tmp_path, 4)
    partial = checkpoint.checkpoints_root(tmp_path) / ".tmp-step-00000008-123"
    partial.mkdir()
    (partial / "model.safetensors").write_bytes(b"half")
    assert checkpoint.remove_partial(tmp_path) == [partial]
    assert not partial.exists()


def test_prune_keeps_the_newest(tmp_path):
    for step in (2, 4, 6, 8):
        _write(tmp_path, step)
    checkpoint.prune(tmp_path, 2, keep=checkpoint.checkpoints_root(tmp_path) / "step-00000008")
    assert [s for s, _ in checkpoint.step_dirs(tmp_path)] == [8, 6]


def test_prune_never_shows_a_half_deleted_checkpoint(tmp_path, monkeypatch):
    # A worker verifies checkpoints while the trainer prunes: the step directory must vanish in
    # one rename before any of its files are deleted.
    for step in (2, 4):
        _write(tmp_path, step)
    root = checkpoint.checkpoints_root(tmp_path)
    deleting = []
    real_rmtree = checkpoint.shutil.rmtree

    def watched(path, *args, **kwargs):
        deleting.append(Path(path).name)
        assert not (root / "step-00000002").exists()
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(checkpoint.shutil, "rmtree", watched)
    checkpoint.prune(tmp_path, 1, keep=root / "step-00000004")
    assert [name.startswith(checkpoint.TMP_PREFIX) for name in deleting] == [True]
    assert sorted(p.name for p in root.iterdir()) == ["step-00000004"]


def test_directory_digest_of_plain_hf_dir_changes_with_content(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"a": 1}))
    first = checkpoint.directory_digest(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"a": 2}))
    assert checkpoint.directory_digest(tmp_path) != first


def test_directory_digest_of_crucible_checkpoint_is_its_manifest_digest(tmp_path):
    path, digest = _write(tmp_path, 3)
    assert checkpoint.directory_digest(path) == digest
