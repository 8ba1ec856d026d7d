"""Direct preference optimisation (Rafailov et al., 2023) against a frozen reference.

For each pair, with log-probabilities of the reply given the prompt summed over its tokens:
    margin = beta · ((log π(chosen) − log π_ref(chosen)) − (log π(rejected) − log π_ref(rejected)))
    loss   = −log σ(margin)
The reference is the base checkpoint, frozen: a second copy of it for full fine-tuning, the same
model with its adapters switched off for LoRA (no second copy). At step 0 the policy is the
reference, so every pair's loss is log 2.

Batches are whole pairs (data/preference.py): `batch_size` pairs per micro-batch, each side at
most `seq_len` tokens; the loss is normalised by the number of pairs in the global batch so the
gradient does not depend on how the batch is split over micro-batches or ranks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from crucible_trainer import model as model_lib
from crucible_trainer.data.jsonl_source import JsonlSource
from crucible_trainer.data.mixer import IGNORE_INDEX
from crucible_trainer.data.preference import EncodedPair, PairStream, collate_pairs, pair_encoder
from crucible_trainer.data.stream import document_sources, open_sources
from crucible_trainer.spec import JobSpec


def encoder(tokenizer: Any, source_format: str) -> Any:
    """Every source is preference pairs (the only format dpo trains on)."""
    return pair_encoder(tokenizer)


def start(
    spec: JobSpec, tokenizer: Any, model: Any, base: Path, device: torch.device
) -> PreferenceTraining:
    return PreferenceTraining(spec, tokenizer, model, base, device)


class PreferenceTraining:
    """Whole pairs from the mixed pair stream; the loss against the frozen reference."""

    def __init__(self, spec: JobSpec, tokenizer: Any, model: Any, base: Path, device: torch.device):
        assert spec.dpo is not None  # parse_spec sets it for every dpo job
        self._spec, self._beta = spec, spec.dpo.beta
        self.stream, self.files = open_stream(spec, tokenizer)
        self._reference = Reference(spec, model, base, device)
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def step_batches(self, rank: int, world_size: int) -> tuple[list[dict[str, Any]], int, int]:
        return step_batches(self.stream, self._spec, self._pad_id, rank, world_size)

    def loss(
        self, train_model: Any, batch: dict[str, Any], per: int, autocast: Callable[[], Any]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        summed, stats = loss_sum(train_model, self._reference, batch, self._beta, autocast)
        return summed / max(per, 1), stats


def open_stream(spec: JobSpec, tokenizer: Any) -> tuple[PairStream, list[JsonlSource]]:
    files = open_sources(spec.sources)
    docs = document_sources(spec.sources, files, tokenizer, encoder, spec.seed)
    return PairStream(docs, [s.share for s in spec.sources], spec.hyper.seq_len), files


def step_batches(
    stream: PairStream, spec: JobSpec, pad_id: int, rank: int = 0, world_size: int = 1
) -> tuple[list[dict[str, Any]], int, int]:
    """This rank's micro-batches of the next global batch, its pair count and token count.

    The global batch is the next batch_size × grad_accum pairs; rank r takes its r-th contiguous
    share in micro-batches of at most batch_size pairs. Tokens are those the step processes
    (both sides, after truncation), so every rank reports the same step total.
    """
    h = spec.hyper
    pairs: list[EncodedPair] = [stream.next_pair()[1] for _ in range(h.batch_size * h.grad_accum)]
    tokens = sum(min(len(s.ids), h.seq_len) for p in pairs for s in (p.chosen, p.rejected))
    share = len(pairs) // world_size
    mine = pairs[rank * share : (rank + 1) * share]
    batches = [
        collate_pairs(mine[i : i + h.batch_size], h.seq_len, pad_id)
        for i in range(0, share, h.batch_size)
    ]
    return batches, len(pairs), tokens


def sequence_logps(model: Any, batch: dict[str, Any]) -> torch.Tensor:
    """Per row: the summed log-probability of its scored (reply) tokens."""
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    ).logits
    labels = batch["labels"]
    token_logps = -F.cross_entropy(
        logits.flatten(0, 1).float(),
        labels.flatten(),
        ignore_index=IGNORE_INDEX,
        reduction="none",
    )
    return token_logps.view(labels.shape).sum(-1)


class Reference:
    """Log-probabilities under the frozen base checkpoint."""

    def __init__(self, spec: JobSpec, policy: Any, base: Path, device: torch.device):
        self._policy = policy
        self._frozen: Any = None
        if spec.hyper.adapter.kind == "full":
            self._frozen = model_lib.load_model(base).to(device).eval()
            self._frozen.requires_grad_(False)

    def logps(self, batch: dict[str, Any], autocast: Callable[[], Any]) -> torch.Tensor:
        with torch.no_grad(), autocast():
            if self._frozen is not None:
                return sequence_logps(self._frozen, batch)
            # LoRA: the base is the policy with its adapters off (dropout off too: eval mode)
            was_training = self._policy.training
            self._policy.eval()
            try:
                with self._policy.disable_adapter():
                    return sequence_logps(self._policy, batch)
            finally:
                self._policy.train(was_training)


def loss_sum(
    train_model: Any,
    reference: Reference,
    batch: dict[str, Any],
    beta: float,
    autocast: Callable[[], Any] = contextlib.nullcontext,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Summed DPO loss over the micro-batch's pairs, and summed figures for the progress event."""
    n = batch["pairs"]
    ref = reference.logps(batch, autocast)
    with autocast():
        policy = sequence_logps(train_model, batch)
    chosen = beta * (policy[:n] - ref[:n])
    rejected = beta * (policy[n:] - ref[n:])
    margin = chosen - rejected
    stats = {
        "reward_accuracy": float((margin > 0).float().sum()),
        "reward_margin": float(margin.detach().sum()),
        "chosen_reward": float(chosen.detach().sum()),
        "rejected_reward": float(rejected.detach().sum()),
    }
    return -F.logsigmoid(margin).sum(), stats
