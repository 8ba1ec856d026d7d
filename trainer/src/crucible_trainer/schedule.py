"""Learning-rate schedule as a pure function of the step (so resuming needs no scheduler state)."""

from __future__ import annotations

import math

from crucible_trainer.spec import Hyperparameters


def lr_at(step: int, h: Hyperparameters) -> float:
    """Linear warmup from lr/warmup to lr, then cosine, linear or constant decay to lr·min_ratio.

    `step` is 0-based: the lr used for the update that produces step `step + 1`.
    """
    if step < h.warmup_steps:
        return h.lr * (step + 1) / h.warmup_steps
    if h.schedule == "constant":
        return h.lr
    decay_steps = max(1, h.steps - h.warmup_steps - 1)
    progress = min(1.0, (step - h.warmup_steps) / decay_steps)
    floor = h.lr * h.min_lr_ratio
    if h.schedule == "linear":
        return h.lr - (h.lr - floor) * progress
    return floor + (h.lr - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
