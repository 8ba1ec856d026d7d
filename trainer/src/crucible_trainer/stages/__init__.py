"""One module per training stage, named as protocol/stage.schema.json names the stage.

A stage module owns how its sources become examples, how a step's batch is built and its loss:

    encoder(tokenizer, source_format) -> Encoder    how one record becomes tokens (and eval's)
    start(spec, tokenizer, model, base, device) -> Training

train.py runs any stage the same way through `Training`; adding a stage is a module here plus
its name (and record formats) in protocol/stage.schema.json. cpt.py and sft.py share the packed
path (_packed.py) and differ only in their encoder.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Protocol

import torch

from crucible_trainer import protocol
from crucible_trainer.data.jsonl_source import JsonlSource
from crucible_trainer.data.mixer import ShareMixer


class Training(Protocol):
    """A stage's data and loss for one run, as the loop in train.py uses them."""

    stream: ShareMixer
    """The exactly mixed stream; its state goes into every checkpoint."""
    files: list[JsonlSource]
    """Open source files, closed when the run ends."""

    def step_batches(self, rank: int, world_size: int) -> tuple[list[dict[str, Any]], int, int]:
        """This rank's micro-batches of the next step; what the loss is a mean over in the whole
        global batch (target tokens, pairs...); the tokens the step counts."""
        ...

    def loss(
        self,
        train_model: Any,
        batch: dict[str, Any],
        per: int,
        autocast: Callable[[], Any],
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """One micro-batch's share of the step's loss, and figures summed into the progress
        event's `metrics` (empty for none)."""
        ...


def module(stage: str) -> ModuleType:
    """The module that trains `stage`; a stage protocol/stage.schema.json does not list is a
    ValueError naming the ones it does."""
    if stage not in protocol.stages():
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(protocol.stages())}")
    return importlib.import_module(f"{__name__}.{stage}")


def sum_stats(sums: Sequence[dict[str, float]]) -> dict[str, float]:
    """The micro-batches' `loss` figures added up (empty for stages without any)."""
    keys = sums[0].keys() if sums else ()
    return {k: sum(s[k] for s in sums) for k in keys}
