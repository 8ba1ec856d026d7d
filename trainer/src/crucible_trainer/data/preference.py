"""Preference pairs for DPO: records, their encoding, and an exactly mixed stream of pairs.

A record is one JSON object per line in the conversational preference format:
`{"prompt": [messages...], "chosen": [assistant message], "rejected": [assistant message]}`
(`chosen`/`rejected` may also be a plain string: the assistant's reply). Each side is the prompt
followed by its reply, rendered with the tokenizer's chat template; only the reply's tokens are
scored (see data/encode.py for how assistant tokens are located).

Pairs are not packed: DPO compares the two sides of one pair, so both must be in the same step,
whole. A side longer than `seq_len` keeps its first `seq_len` tokens (the reply's end is cut);
the stream counts how many sides were cut so the run can say so.

Mixing follows the packed mixer's rule (ARCHITECTURE §6): before each pair, the source furthest
below its share of the tokens so far (both sides, as trained on: after truncation) gives the next
pair; every
source is read in a fresh permutation each epoch, a pure function of (seed, source, epoch), so
`state()`/`load_state()` resume the stream pair for pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from crucible_trainer.data.encode import Encoded, chat_encoder
from crucible_trainer.data.mixer import IGNORE_INDEX, DocumentSource, ShareMixer
from crucible_trainer.errors import DataError


@dataclass(frozen=True)
class EncodedPair:
    chosen: Encoded
    rejected: Encoded


def _reply(value: Any, side: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        return [{"role": "assistant", "content": value}]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(m, dict) and m.get("role") == "assistant" for m in value)
    ):
        return value
    raise DataError(
        f"{side!r} must be the assistant's reply: a string or a list of assistant messages; "
        "fix: write it as [{'role': 'assistant', 'content': ...}]"
    )


def pair_encoder(tokenizer: Any) -> Any:
    """Record → EncodedPair; only the reply's tokens are marked to score."""
    encode = chat_encoder(tokenizer, train_on_assistant_only=True)

    def encode_pair(record: Any) -> EncodedPair:
        if not isinstance(record, dict):
            raise DataError("a preference record must be a JSON object")
        for key in ("prompt", "chosen", "rejected"):
            if key not in record:
                raise DataError(
                    f"preference record has no {key!r} field; fix: give prompt, chosen and rejected"
                )
        prompt = record["prompt"]
        if not isinstance(prompt, list) or not prompt:
            raise DataError("'prompt' must be a non-empty list of chat messages")
        if any(isinstance(m, dict) and m.get("role") == "assistant" for m in prompt[-1:]):
            raise DataError("'prompt' must not end with an assistant turn; fix: end it with user")
        chosen = encode(prompt + _reply(record["chosen"], "chosen"))
        rejected = encode(prompt + _reply(record["rejected"], "rejected"))
        if chosen.ids == rejected.ids:
            raise DataError("'chosen' and 'rejected' are the same reply; fix: drop the record")
        return EncodedPair(chosen, rejected)

    return encode_pair


class PairStream(ShareMixer):
    """The next preference pair, from the source furthest below its share of tokens."""

    def __init__(self, sources: Sequence[DocumentSource], shares: Sequence[float], seq_len: int):
        super().__init__(sources, shares, seq_len)
        self.truncated = 0

    def next_pair(self) -> tuple[int, EncodedPair]:
        i = self._pick_source()
        epoch, cursor = self.sources[i].next_position()
        pair: EncodedPair = self.sources[i].document_at(epoch, cursor)  # type: ignore[assignment]
        sides = (pair.chosen, pair.rejected)
        self.counts[i] += sum(min(len(s.ids), self.seq_len) for s in sides)
        self.truncated += sum(len(s.ids) > self.seq_len for s in sides)
        return i, pair

    def state(self) -> dict[str, Any]:
        return {**self._positions_state(), "truncated": self.truncated}

    def load_state(self, state: dict[str, Any]) -> None:
        self._load_positions(state)
        self.truncated = int(state.get("truncated", 0))


def collate_pairs(pairs: Sequence[EncodedPair], seq_len: int, pad_id: int) -> dict[str, Any]:
    """Rows 0..n-1 are the chosen sides, n..2n-1 the rejected ones, right-padded to one length.

    `labels[t]` is token t+1 where that token is scored (reply tokens), else IGNORE_INDEX, so a
    row's summed log-probability over its labels is log π(reply | prompt).
    """
    sides = [p.chosen for p in pairs] + [p.rejected for p in pairs]
    width = min(seq_len, max(len(s.ids) for s in sides))
    ids = torch.full((len(sides), width), pad_id, dtype=torch.long)
    labels = torch.full((len(sides), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(sides), width), dtype=torch.long)
    for row, side in enumerate(sides):
        n = min(width, len(side.ids))
        ids[row, :n] = torch.tensor(side.ids[:n])
        mask[row, :n] = 1
        targets = [
            t if keep else IGNORE_INDEX for t, keep in zip(side.ids[1:n], side.train_mask[1:n])
        ]
        labels[row, : n - 1] = torch.tensor(targets, dtype=torch.long)
    return {"input_ids": ids, "labels": labels, "attention_mask": mask, "pairs": len(pairs)}
