"""Supervised fine-tuning: chat sources train only on assistant tokens.

Chat records are OpenAI `messages` lists rendered with the tokenizer's chat template; the loss
covers the tokens of assistant turns only. text sources (e.g. replay documents) keep their
full causal-LM loss, so a mix can blend instructions with plain text.
"""

from __future__ import annotations

from typing import Any

from crucible_trainer.data.encode import Encoder, chat_encoder, text_encoder


def encoder(tokenizer: Any, source_format: str) -> Encoder:
    if source_format == "text":
        return text_encoder(tokenizer)
    return chat_encoder(tokenizer, train_on_assistant_only=True)
