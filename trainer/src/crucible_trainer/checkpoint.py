"""Structured checkpoints: atomic directories whose manifest lists every file with its SHA-256.

Layout: `<output_dir>/checkpoints/step-00000042/` holding the weights in Hugging Face format,
the tokenizer, `trainer_state.pt` (optimizer, RNG, data-sampler state) and `manifest.json`.

Atomicity: files are written into `.tmp-step-…` in the same parent, fsynced, the manifest is
written last, the directory is fsynced and renamed into place, then the parent is fsynced. A
directory is a valid checkpoint only if its manifest exists and every listed file matches its
size and SHA-256, so a crash at any moment leaves either the old state or a complete checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crucible_trainer import protocol
from crucible_trainer.errors import BaseCheckpointError, CheckpointError

MANIFEST = "manifest.json"
TMP_PREFIX = ".tmp-"
STEP_PREFIX = "step-"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def step_dir_name(step: int) -> str:
    return f"{STEP_PREFIX}{step:08d}"


def checkpoints_root(output_dir: Path) -> Path:
    return output_dir / "checkpoints"


def write_checkpoint(
    directory: Path, write_files: Callable[[Path], None], manifest: dict[str, Any]
) -> str:
    """Atomically create `directory` holding what `write_files` writes plus the manifest.

    `manifest` is completed with the `files` list; returns the manifest digest `sha256:<hex>`.
    """
    tmp = directory.parent / f"{TMP_PREFIX}{directory.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    write_files(tmp)
    files = []
    for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
        _fsync(path)
        rel = path.relative_to(tmp).as_posix()
        files.append({"path": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size})
    document = {**manifest, "files": files}
    problems = protocol.problems("checkpoint-manifest", document)
    if problems:
        raise CheckpointError(f"refusing to write an invalid manifest: {problems}")
    raw = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
    (tmp / MANIFEST).write_bytes(raw)
    _fsync(tmp / MANIFEST)
    _fsync(tmp)
    if directory.exists():
        # Only an invalid leftover can be here: a valid checkpoint would have been resumed from.
        shutil.rmtree(directory)
    os.rename(tmp, directory)
    _fsync(directory.parent)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def read_valid_manifest(directory: Path) -> tuple[dict[str, Any], str]:
    """The manifest and its digest if `directory` is a complete checkpoint; else CheckpointError."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise CheckpointError(f"{directory} has no {MANIFEST}")
    raw = manifest_path.read_bytes()
    try:
        manifest = json.loads(raw)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{manifest_path} is not valid JSON: {e}") from e
    problems = protocol.problems("checkpoint-manifest", manifest)
    if problems:
        raise CheckpointError(f"{manifest_path} does not match the schema: {problems[0]}")
    for entry in manifest["files"]:
        path = directory / entry["path"]
        if not path.is_file():
            raise CheckpointError(f"{directory}: listed file {entry['path']} is missing")
        if path.stat().st_size != entry["bytes"]:
            raise CheckpointError(f"{directory}: {entry['path']} has the wrong size")
        if sha256_file(path) != entry["sha256"]:
            raise CheckpointError(f"{directory}: {entry['path']} does not match its SHA-256")
    return manifest, "sha256:" + hashlib.sha256(raw).hexdigest()


def remove_partial(output_dir: Path) -> list[Path]:
    """Delete temp directories left by interrupted checkpoint writes; returns what was removed."""
    root = checkpoints_root(output_dir)
    removed = []
    if root.is_dir():
        for path in sorted(root.glob(f"{TMP_PREFIX}*")):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def step_dirs(output_dir: Path) -> list[tuple[int, Path]]:
    """Checkpoint directories by step, newest first (validity not checked)."""
    root = checkpoints_root(output_dir)
    found = []
    if root.is_dir():
        for path in root.glob(f"{STEP_PREFIX}*"):
            suffix = path.name[len(STEP_PREFIX) :]
            if path.is_dir() and suffix.isdigit():
                found.append((int(suffix), path))
    return sorted(found, reverse=True)


def latest_valid(
    output_dir: Path, on_invalid: Callable[[Path, str], None]
) -> tuple[Path, dict[str, Any], str] | None:
    """The newest valid checkpoint as (path, manifest, digest); invalid ones are reported."""
    for _, path in step_dirs(output_dir):
        try:
            manifest, digest = read_valid_manifest(path)
        except CheckpointError as e:
            on_invalid(path, str(e))
            continue
        return path, manifest, digest
    return None


def prune(output_dir: Path, keep_last: int, keep: Path) -> None:
    """Delete intermediate checkpoints beyond the newest `keep_last` (never `keep`).

    Each goes in one rename to a temp name before its files are deleted, so a reader (the
    worker verifying a checkpoint it was told of) sees either the whole checkpoint or none of
    it, never a manifest whose files are half gone; a crash mid-delete leaves only a temp
    directory, which `remove_partial` clears on the next start.
    """
    for _, path in step_dirs(output_dir)[keep_last:]:
        if path != keep:
            doomed = path.parent / f"{TMP_PREFIX}pruned-{path.name}-{os.getpid()}"
            os.rename(path, doomed)
            shutil.rmtree(doomed, ignore_errors=True)


def directory_digest(directory: Path) -> str:
    """The digest a JobSpec uses for a base checkpoint.

    A Crucible checkpoint (one with a manifest) is identified by its manifest's digest, after
    checking every file. Any other directory (e.g. a downloaded Hugging Face model) by the
    SHA-256 of its sorted `<sha256>  <relative path>` listing.
    """
    if not directory.is_dir():
        raise BaseCheckpointError(
            f"base checkpoint {directory} is not a directory; fix: point base.path at one"
        )
    if (directory / MANIFEST).is_file():
        try:
            return read_valid_manifest(directory)[1]
        except CheckpointError as e:
            raise BaseCheckpointError(f"base checkpoint is damaged: {e}") from e
    lines = [
        f"{sha256_file(p)}  {p.relative_to(directory).as_posix()}\n"
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    ]
    return "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()
