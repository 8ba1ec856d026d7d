"""Supervised fine-tuning: chat sources train only on assistant tokens.

Chat records are OpenAI `messages` lists rendered with the tokenizer's chat template; the loss
covers the tokens of assistant turns only. text sources (e.g. replay documents) keep their
full causal-LM loss, so a mix can blend instructions with plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from crucible_trainer.data.encode import Encoder, chat_encoder, text_encoder
from crucible_trainer.spec import JobSpec
from crucible_trainer.stages._packed import PackedTraining


def encoder(tokenizer: Any, source_format: str) -> Encoder:
    if source_format == "text":
        return text_encoder(tokenizer)
    return chat_encoder(tokenizer, train_on_assistant_only=True)


def start(
    spec: JobSpec, tokenizer: Any, model: Any, base: Path, device: torch.device
) -> PackedTraining:
    return PackedTraining(spec, tokenizer, encoder)
