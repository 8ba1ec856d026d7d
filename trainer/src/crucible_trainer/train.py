"""The training recipe, top to bottom: setup → (resume) → loop → checkpoints → finished.

The same recipe for every stage: the stage's module (stages/<stage>.py) brings its data stream,
its step batches and its loss (`stages.Training`); this file has no per-stage code. Everything
the outside world sees goes through the EventEmitter; logs go to the `crucible_trainer` logger
(stderr). Under torchrun the same recipe runs data-parallel; `ranks` (distributed.py) is where
the ranks meet, and is the identity for a single process.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from pathlib import Path
from typing import Any

import torch

from crucible_trainer import checkpoint, runtime
from crucible_trainer import model as model_lib
from crucible_trainer.data.mixer import ShareMixer
from crucible_trainer.distributed import SINGLE, DataParallel
from crucible_trainer.errors import BaseCheckpointError, NonFiniteLossError, SpecError
from crucible_trainer.evaluate import HeldOutSets
from crucible_trainer.events import EventEmitter
from crucible_trainer.run_checkpoint import (
    load_trainer_state,
    save_run_checkpoint,
    training_identity,
)
from crucible_trainer.schedule import lr_at
from crucible_trainer.spec import JobSpec
from crucible_trainer.stages import module, sum_stats

log = logging.getLogger("crucible_trainer")


def _optimizer(model: Any, spec: JobSpec, device: torch.device) -> torch.optim.AdamW:
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    h = spec.hyper
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": h.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=h.lr,
        betas=h.betas,
        # One kernel per tensor instead of ~6 ops (CUDA and CPU alike; deterministic on CPU).
        fused=device.type in ("cuda", "cpu"),
    )


def _autocast(spec: JobSpec, device: torch.device) -> Any:
    """bf16 autocast when asked for: weights, optimizer state and checkpoints stay fp32."""
    if spec.runtime.precision == "bf16":
        runtime.check_bf16(device)
        return lambda: torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext


class Run:
    """One training run. `execute()` runs it to the end and returns the `finished` event."""

    def __init__(self, spec: JobSpec, emitter: EventEmitter, ranks: DataParallel = SINGLE):
        self.spec = spec
        self.emit = emitter.emit
        self.ranks = ranks
        self.output_dir = Path(spec.output_dir)
        self.stage = module(spec.stage)

    # -- setup ------------------------------------------------------------------------------------
    def _check_base(self) -> Path:
        base = Path(self.spec.base_path)
        actual = checkpoint.directory_digest(base)
        if actual != self.spec.base_digest:
            raise BaseCheckpointError(
                f"base checkpoint {base} has digest {actual} but base.digest is "
                f"{self.spec.base_digest}; fix: point the spec at the approved checkpoint"
            )
        return base

    def _find_resume_point(self) -> tuple[Path, dict[str, Any]] | None:
        for removed in checkpoint.remove_partial(self.output_dir):
            self.emit(
                "warning",
                code="partial_checkpoint_removed",
                message=f"removed partial checkpoint {removed} left by an interrupted run",
            )
        if not self.spec.resume:
            existing = checkpoint.step_dirs(self.output_dir)
            if existing:
                raise SpecError(
                    [
                        f"$.output_dir: already holds checkpoints "
                        f"(value {str(self.output_dir)!r}); "
                        "fix: set resume to true or use an empty output_dir"
                    ]
                )
            return None

        def skipped(path: Path, why: str) -> None:
            self.emit("warning", code="invalid_checkpoint_skipped", message=f"{path}: {why}")

        found = checkpoint.latest_valid(self.output_dir, skipped)
        if found is None:
            return None
        path, _, _ = found
        state = load_trainer_state(path)
        if state["identity"] != training_identity(self.spec):
            raise SpecError(
                [
                    f"$.output_dir: checkpoint {path.name} was written by a job with different "
                    "training settings (base, data, hyperparameters or seed); fix: use a new "
                    "output_dir or restore the original spec"
                ]
            )
        return path, state

    def _agreed_resume_point(self) -> tuple[Path, dict[str, Any]] | None:
        """Rank 0 picks the checkpoint to resume (or none); every rank resumes that one."""
        found = self._find_resume_point() if self.ranks.writes else None
        path = self.ranks.from_writer(None if found is None else found[0])
        if path is None or found is not None:
            return found
        return path, load_trainer_state(path)

    def _build_model(self, base: Path, resume: tuple[Path, dict[str, Any]] | None) -> Any:
        adapter = self.spec.hyper.adapter
        # Full fine-tuning resumes from the checkpoint's weights; LoRA from the frozen base plus
        # the adapter tensors kept in the trainer state.
        source = resume[0] if resume is not None and adapter.kind == "full" else base
        model = model_lib.load_model(source)
        if adapter.kind == "lora":
            model = model_lib.add_lora(model, adapter)
            if resume is not None:
                model_lib.load_adapter_state(model, resume[1]["adapter"])
        return model

    # -- the run ----------------------------------------------------------------------------------
    def execute(self) -> dict[str, Any]:
        spec, h, ranks = self.spec, self.spec.hyper, self.ranks
        started_at = time.monotonic()
        ranks.check(h)
        device = ranks.join(runtime.pick_device(spec.runtime))
        runtime.configure(spec.runtime, spec.seed, device, cores=ranks.cores())
        if ranks.active:
            log.info("rank %d of %d on %s", ranks.rank, ranks.world_size, device)
        autocast = _autocast(spec, device)

        base = self._check_base()
        self.output_dir.mkdir(parents=True, exist_ok=True)
        resume = self._agreed_resume_point()
        tokenizer = model_lib.load_tokenizer(base)
        model = self._build_model(base, resume).to(device)
        model.train()
        train_model = ranks.wrap(model, device)  # what the loop calls: DDP, or the model itself
        params, trainable = model_lib.parameter_counts(model)
        training = self.stage.start(spec, tokenizer, model, base, device)
        stream = training.stream
        optimizer = _optimizer(model, spec, device)
        held_out = None
        if spec.eval is not None and ranks.writes:  # rank 0 evaluates, on the unwrapped model
            held_out = HeldOutSets(
                spec.eval.sources, tokenizer, self.stage.encoder, h.seq_len, spec.eval.max_sequences
            )

        step, tokens = 0, 0
        if resume is not None:
            path, state = resume
            step, tokens = state["step"], state["tokens"]
            stream.load_state(state["sampler"])
            optimizer.load_state_dict(state["optimizer"])
            ranks.load_rng_state(state["rng"])
            log.info("resumed from %s at step %d", path, step)

        self.emit(
            "started",
            stage=spec.stage,
            step=step,
            total_steps=h.steps,
            tokens_per_step=h.tokens_per_step,
            parameters=params,
            trainable_parameters=trainable,
            device=str(device),
            **({"resumed_from": str(resume[0])} if resume is not None else {}),
            **({"world_size": ranks.world_size} if ranks.active else {}),
        )
        if resume is not None and step >= h.steps:
            # Already complete: the final checkpoint exists; report it again.
            path = resume[0]
            _, digest = checkpoint.read_valid_manifest(path)
            return self._finished(step, tokens, None, path, digest, stream, started_at)

        trainable_params = [p for p in model.parameters() if p.requires_grad]
        train_seconds, tokens_this_process = 0.0, 0
        loss_value = math.nan
        last_path, last_digest = None, None
        while step < h.steps:
            t0 = time.monotonic()
            lr = lr_at(step, h)
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
            epochs_before = stream.epochs_started()
            # This rank's share of the step's global batch; `per` counts what the loss is a mean
            # over in the whole global batch (target tokens, or pairs).
            micro_batches, per, step_tokens = training.step_batches(ranks.rank, ranks.world_size)
            self._report_new_epochs(epochs_before, stream)
            optimizer.zero_grad(set_to_none=True)
            loss_sum = 0.0
            stat_sums: list[dict[str, float]] = []
            for i, batch in enumerate(micro_batches):
                batch = {k: _to(v, device) for k, v in batch.items()}
                with ranks.no_sync(train_model, last=i == len(micro_batches) - 1):
                    loss, stats = training.loss(train_model, batch, per, autocast)
                    stat_sums.append(stats)
                    # DDP averages gradients over ranks; scaling by world_size makes it their sum.
                    (loss * ranks.world_size).backward()
                loss_sum += loss.item()
            loss_sum = ranks.sum(loss_sum)
            metrics = {k: ranks.sum(v) / max(per, 1) for k, v in sum_stats(stat_sums).items()}
            if not math.isfinite(loss_sum):
                raise NonFiniteLossError(
                    f"loss became {loss_sum} at step {step + 1}; fix: lower hyperparameters.lr "
                    "or raise warmup_steps"
                )
            grad_norm = torch.nn.utils.clip_grad_norm_(trainable_params, h.grad_clip).item()
            if not math.isfinite(grad_norm):
                raise NonFiniteLossError(
                    f"gradient norm became {grad_norm} at step {step + 1}; fix: lower "
                    "hyperparameters.lr or hyperparameters.grad_clip"
                )
            optimizer.step()
            step += 1
            tokens += step_tokens
            tokens_this_process += step_tokens
            loss_value = loss_sum
            train_seconds += time.monotonic() - t0
            self.emit(
                "progress",
                step=step,
                total_steps=h.steps,
                tokens=tokens,
                loss=loss_value,
                lr=lr,
                grad_norm=grad_norm,
                tokens_per_s=tokens_this_process / max(train_seconds, 1e-9),
                tokens_by_source=self._by_source(stream),
                **({"metrics": metrics} if metrics else {}),
            )
            if held_out is not None and (step % spec.eval.every_steps == 0 or step == h.steps):
                self.emit(
                    "eval", step=step, loss_by_source=held_out.losses(model, device, autocast)
                )
            if ranks.writes and (step % spec.checkpoint_every == 0 or step == h.steps):
                final = step == h.steps
                last_path, last_digest = save_run_checkpoint(
                    spec, step, tokens, final, model, tokenizer, optimizer, stream
                )
                self.emit(
                    "checkpoint",
                    step=step,
                    path=str(last_path),
                    manifest_digest=last_digest,
                    final=final,
                    tokens_by_source=self._by_source(stream),
                )
        for f in training.files:
            f.close()
        # Every rank reports rank 0's final checkpoint, once it is written.
        last_path, last_digest = ranks.from_writer((last_path, last_digest))
        assert last_path is not None and last_digest is not None
        return self._finished(step, tokens, loss_value, last_path, last_digest, stream, started_at)

    def _report_new_epochs(self, before: list[int], stream: ShareMixer) -> None:
        """Warn when a source is used up and starts over: its documents now repeat. A tiny
        source can start several epochs in one step; each gets its warning."""
        for source, old, new in zip(self.spec.sources, before, stream.epochs_started()):
            for epoch in range(old + 1, new + 1):
                self.emit(
                    "warning",
                    code="source_new_epoch",
                    message=f"source {source.name!r} was used up and starts epoch {epoch} "
                    "(documents repeat, in a new order)",
                )

    def _by_source(self, stream: ShareMixer) -> dict[str, int]:
        return {s.name: c for s, c in zip(self.spec.sources, stream.counts)}

    def _finished(
        self,
        step: int,
        tokens: int,
        loss: float | None,
        path: Path,
        digest: str,
        stream: ShareMixer,
        started_at: float,
    ) -> dict[str, Any]:
        extra = {"final_loss": loss} if loss is not None and math.isfinite(loss) else {}
        return self.emit(
            "finished",
            step=step,
            tokens=tokens,
            checkpoint_path=str(path),
            manifest_digest=digest,
            tokens_by_source=self._by_source(stream),
            wall_s=time.monotonic() - started_at,
            **extra,
        )


def _to(value: Any, device: torch.device) -> Any:
    return value.to(device, non_blocking=True) if isinstance(value, torch.Tensor) else value


def run(spec: JobSpec, emitter: EventEmitter, ranks: DataParallel = SINGLE) -> dict[str, Any]:
    """Run a job to completion; raises TrainerError subclasses on failure.

    `ranks` is this process's rank under torchrun (distributed.from_env); the default is a
    single process.
    """
    try:
        return Run(spec, emitter, ranks).execute()
    finally:
        ranks.leave()
