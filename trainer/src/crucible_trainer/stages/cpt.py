"""Continued pre-training: causal-LM loss on every token of packed documents.

text sources are trained on as is; chat sources are rendered with the chat template and every
token (user turns included) is trained on, as plain text would be.
"""

from __future__ import annotations

from typing import Any

from crucible_trainer.data.encode import Encoder, chat_encoder, text_encoder


def encoder(tokenizer: Any, source_format: str) -> Encoder:
    if source_format == "text":
        return text_encoder(tokenizer)
    return chat_encoder(tokenizer, train_on_assistant_only=False)
