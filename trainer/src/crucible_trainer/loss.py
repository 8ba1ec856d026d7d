"""The causal-LM loss on packed batches (labels are already aligned: labels[t] is t's target)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from crucible_trainer.data.mixer import IGNORE_INDEX


def summed_loss(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Sum of token cross-entropies over positions with a target.

    position_ids restart at each document and no attention mask is passed, so transformers
    builds a block-diagonal causal mask: no token attends across a document boundary.
    """
    logits = model(
        input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
    ).logits
    return F.cross_entropy(
        logits.flatten(0, 1).float(),
        batch["labels"].flatten(),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )
