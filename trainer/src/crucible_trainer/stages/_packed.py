"""The packed path that stages/cpt.py and stages/sft.py share: documents packed into `seq_len`
rows, causal-LM loss on the targets the stage's encoder kept, normalised by the targets of the
whole global batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from crucible_trainer.data.stream import StageEncoder, mixed_stream, step_batches
from crucible_trainer.loss import summed_loss
from crucible_trainer.spec import JobSpec


class PackedTraining:
    def __init__(self, spec: JobSpec, tokenizer: Any, encoder: StageEncoder):
        self._hyper = spec.hyper
        self.stream, self.files = mixed_stream(
            spec.sources, tokenizer, encoder, spec.hyper.seq_len, spec.seed
        )

    def step_batches(self, rank: int, world_size: int) -> tuple[list[dict[str, Any]], int, int]:
        h = self._hyper
        batches, targets = step_batches(self.stream, h.batch_size, h.grad_accum, rank, world_size)
        return batches, targets, h.tokens_per_step

    def loss(
        self, train_model: Any, batch: dict[str, Any], per: int, autocast: Callable[[], Any]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        with autocast():
            return summed_loss(train_model, batch) / max(per, 1), {}
