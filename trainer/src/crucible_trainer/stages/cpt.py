"""Continued pre-training: causal-LM loss on every token of packed documents.

text sources are trained on as is; chat sources are rendered with the chat template and every
token (user turns included) is trained on, as plain text would be.
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
    return chat_encoder(tokenizer, train_on_assistant_only=False)


def start(
    spec: JobSpec, tokenizer: Any, model: Any, base: Path, device: torch.device
) -> PackedTraining:
    return PackedTraining(spec, tokenizer, encoder)
