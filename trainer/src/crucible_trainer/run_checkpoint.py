"""Writing and reading this run's checkpoints: weights, tokenizer, trainer state, manifest.

The trainer state holds what a bit-exact resume needs beyond the weights: optimizer moments,
RNG states, the data sampler's position, the step, and a digest of the training settings so a
checkpoint is never resumed by a different job. It is loaded with `weights_only=True`.
"""

from __future__ import annotations

import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import tokenizers
import torch
import transformers

from crucible_trainer import __version__, checkpoint, runtime
from crucible_trainer import model as model_lib
from crucible_trainer.data.mixer import MixedStream
from crucible_trainer.events import utc_now
from crucible_trainer.spec import JobSpec, canonical_digest

TRAINER_STATE = "trainer_state.pt"


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": version("peft"),
        "tokenizers": tokenizers.__version__,
        "safetensors": safetensors.__version__,
    }


def training_identity(spec: JobSpec) -> str:
    """Digest of everything that determines the trained weights; a resume must match it."""
    resolved = spec.resolved()
    for key in ("resume", "runtime", "output_dir", "digest", "eval", "keep_last", "run_id"):
        resolved.pop(key)
    return canonical_digest(resolved)


def load_trainer_state(directory: Path) -> dict[str, Any]:
    return torch.load(directory / TRAINER_STATE, weights_only=True, map_location="cpu")


def save_run_checkpoint(
    spec: JobSpec,
    step: int,
    tokens: int,
    final: bool,
    model: Any,
    tokenizer: Any,
    optimizer: torch.optim.Optimizer,
    stream: MixedStream,
) -> tuple[Path, str]:
    """Write `<output_dir>/checkpoints/step-N` atomically; returns (path, manifest digest).

    The weights are plain Hugging Face weights (LoRA deltas merged in), so any checkpoint can be
    the base of the next job or be served as is.
    """
    state: dict[str, Any] = {
        "step": step,
        "tokens": tokens,
        "identity": training_identity(spec),
        "sampler": stream.state(),
        "optimizer": optimizer.state_dict(),
        "rng": runtime.rng_state(),
    }
    if spec.hyper.adapter.kind == "lora":
        state["adapter"] = model_lib.adapter_state(model)

    def write(tmp: Path) -> None:
        safetensors.torch.save_file(
            model_lib.merged_weights(model),
            tmp / "model.safetensors",
            metadata={"format": "pt"},
        )
        model_lib.base_config(model).save_pretrained(tmp)
        tokenizer.save_pretrained(tmp, save_jinja_files=False)
        if spec.hyper.adapter.kind == "lora":
            model.save_pretrained(tmp / "adapter")
        torch.save(state, tmp / TRAINER_STATE)

    manifest = {
        "protocol_version": 1,
        "kind": "crucible-checkpoint",
        "run_id": spec.run_id,
        "stage": spec.stage,
        "step": step,
        "tokens": tokens,
        "final": final,
        "parent_digest": spec.base_digest,
        "data_sources": [
            {
                "name": s.name,
                "digest": s.digest,
                "share": s.share,
                "tokens_seen": count,
                "epochs_started": epochs,
            }
            for s, count, epochs in zip(spec.sources, stream.counts, stream.epochs_started())
        ],
        "spec_digest": spec.digest,
        "code_version": f"crucible-trainer {__version__}",
        "library_versions": library_versions(),
        "config": spec.resolved(),
        "created_at": utc_now(),
    }
    root = checkpoint.checkpoints_root(Path(spec.output_dir))
    root.mkdir(parents=True, exist_ok=True)
    path = root / checkpoint.step_dir_name(step)
    digest = checkpoint.write_checkpoint(path, write, manifest)
    if spec.keep_last is not None:
        checkpoint.prune(Path(spec.output_dir), spec.keep_last, keep=path)
    return path, digest
