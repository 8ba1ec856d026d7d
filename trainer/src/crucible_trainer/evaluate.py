"""Held-out loss per eval source, on packed sequences built exactly like training ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from crucible_trainer.data.mixer import IGNORE_INDEX, MixedStream
from crucible_trainer.data.stream import StageEncoder, collate, document_sources, open_sources
from crucible_trainer.loss import summed_loss
from crucible_trainer.spec import SourceSpec


class HeldOutSets:
    """Packed eval sequences per source, built once (first epoch, fixed order) and reused."""

    def __init__(
        self,
        specs: Sequence[SourceSpec],
        tokenizer: Any,
        stage_encoder: StageEncoder,
        seq_len: int,
        max_sequences: int,
    ):
        self.batches: dict[str, list[dict[str, torch.Tensor]]] = {}
        files = open_sources(specs)
        docs = document_sources(specs, files, tokenizer, stage_encoder, seed=0)
        for spec, source in zip(specs, docs):
            stream = MixedStream([source], [1.0], seq_len)
            sequences = []
            while len(sequences) < max_sequences and source.epoch == 0:
                sequences.append(stream.next_sequence())
            self.batches[spec.name] = [
                collate(sequences[i : i + 8]) for i in range(0, len(sequences), 8)
            ]
        for f in files:
            f.close()

    @torch.no_grad()
    def losses(self, model: Any, device: torch.device, autocast: Any) -> dict[str, float]:
        was_training = model.training
        model.eval()
        out = {}
        for name, batches in self.batches.items():
            total, count = 0.0, 0
            for batch in batches:
                batch = {k: v.to(device) for k, v in batch.items()}
                with autocast():
                    total += summed_loss(model, batch).item()
                count += int((batch["labels"] != IGNORE_INDEX).sum())
            out[name] = total / max(count, 1)
        model.train(was_training)
        return out
