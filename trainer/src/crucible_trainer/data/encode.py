"""Turn records into token ids plus a per-token "train on this" mask.

- text: every token is trained on; an EOS token closes each document.
- chat (OpenAI `messages`): rendered with the tokenizer's chat template; in SFT only the tokens
  of assistant turns are trained on (in CPT every token is). Assistant spans are found by
  rendering each conversation prefix with and without the assistant turn, so this works with any
  template whose renderings of prefixes are prefixes of the full rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crucible_trainer.errors import DataError

ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class Encoded:
    ids: list[int]
    train_mask: list[bool]


Encoder = Callable[[Any], Encoded]


def text_encoder(tokenizer: Any) -> Encoder:
    eos = tokenizer.eos_token_id
    bos = tokenizer.bos_token_id

    def encode(text: Any) -> Encoded:
        if not isinstance(text, str):
            raise DataError(f"text record must be a string, got {type(text).__name__}")
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids = ([bos] if bos is not None else []) + ids + ([eos] if eos is not None else [])
        return Encoded(ids, [True] * len(ids))

    return encode


def _check_messages(messages: Any) -> list[dict[str, str]]:
    if not isinstance(messages, list) or not messages:
        raise DataError("chat record 'messages' must be a non-empty list")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise DataError(f"messages[{i}].role must be one of {', '.join(ROLES)}")
        if not isinstance(m.get("content"), str):
            raise DataError(f"messages[{i}].content must be a string")
    return messages


def assistant_spans(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, list[range]]:
    """The rendered conversation and the character ranges of each assistant turn."""
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    spans = []
    for k, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = tokenizer.apply_chat_template(
            messages[:k], tokenize=False, add_generation_prompt=True
        )
        through = tokenizer.apply_chat_template(messages[: k + 1], tokenize=False)
        if not (full.startswith(through) and through.startswith(before)):
            raise DataError(
                "the tokenizer's chat template does not render conversation prefixes as "
                "prefixes of the full conversation, so assistant tokens cannot be located; "
                "fix: use a chat template without look-ahead"
            )
        spans.append(range(len(before), len(through)))
    return full, spans


def chat_encoder(tokenizer: Any, train_on_assistant_only: bool) -> Encoder:
    def encode(messages: Any) -> Encoded:
        messages = _check_messages(messages)
        text, spans = assistant_spans(tokenizer, messages)
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = enc["input_ids"]
        if not train_on_assistant_only:
            return Encoded(ids, [True] * len(ids))
        mask = [any(start in span for span in spans) for start, _ in enc["offset_mapping"]]
        if not any(mask):
            raise DataError("chat record has no assistant tokens to train on")
        return Encoded(ids, mask)

    return encode
