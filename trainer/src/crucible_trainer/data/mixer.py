"""Exact-share mixing of several sources into packed fixed-length sequences.

Semantics (ARCHITECTURE §6):
- Shares are shares of the *final token stream*. Before each document the mixer picks the source
  whose realised token count is furthest below its target (share × tokens so far); ties go to the
  earlier source. Realised shares therefore stay within one document's length of exact, with no
  sampling noise.
- Each source is visited in a fresh pseudo-random permutation every epoch; the permutation is a
  pure function of (seed, source index, epoch), so the stream is deterministic and needs no
  stored shuffle state.
- Documents are packed back to back into sequences of `seq_len` tokens. `position_ids` restart at
  0 at every document start, which the model turns into a block-diagonal causal mask (no attention
  across documents). A document longer than the room left continues in the next sequence as a new
  segment (positions restart there too).
- `labels[t]` is the target for position t: the next token of the same segment when that token is
  trained on, else -100. No position ever predicts a token of another document.
- `state()` captures where every source is plus the partly emitted document; `load_state()` makes
  the continuation token-for-token identical to an uninterrupted stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crucible_trainer.data.encode import Encoded

IGNORE_INDEX = -100


class DocumentSource:
    """One source's documents, read in a new permutation each epoch."""

    def __init__(
        self, name: str, count: int, fetch: Callable[[int], Encoded], seed: int, index: int
    ):
        self.name = name
        self.count = count
        self.fetch = fetch
        self.seed = seed
        self.index = index
        self.epoch = 0
        self.cursor = 0
        self._order: np.ndarray | None = None
        self._order_epoch = -1

    def order(self, epoch: int) -> np.ndarray:
        if self._order_epoch != epoch:
            rng = np.random.default_rng([self.seed, self.index, epoch])
            self._order = rng.permutation(self.count)
            self._order_epoch = epoch
        assert self._order is not None
        return self._order

    def document_at(self, epoch: int, cursor: int) -> Encoded:
        return self.fetch(int(self.order(epoch)[cursor]))

    def next_position(self) -> tuple[int, int]:
        """Claim the next (epoch, cursor), starting a new epoch when this one is used up."""
        if self.cursor >= self.count:
            self.epoch += 1
            self.cursor = 0
        position = (self.epoch, self.cursor)
        self.cursor += 1
        return position


@dataclass
class _Pending:
    """The document being emitted: where it came from and how many tokens are already out."""

    source: int
    epoch: int
    cursor: int
    offset: int
    doc: Encoded


@dataclass(frozen=True)
class PackedSequence:
    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]
    tokens_by_source: list[int]


class ShareMixer:
    """What every mixed stream shares: sources, their shares, tokens taken from each so far, and
    the rule that picks the next source (the one furthest below its share; ties to the earlier).
    Subclasses say what a document becomes (packed sequences; whole preference pairs)."""

    def __init__(self, sources: Sequence[DocumentSource], shares: Sequence[float], seq_len: int):
        if len(sources) != len(shares) or not sources:
            raise ValueError("need one share per source and at least one source")
        self.sources = list(sources)
        self.shares = [float(s) for s in shares]
        self.seq_len = seq_len
        self.counts = [0] * len(sources)

    def _pick_source(self) -> int:
        total = sum(self.counts)
        deficits = [share * total - count for share, count in zip(self.shares, self.counts)]
        return max(range(len(deficits)), key=lambda i: (deficits[i], -i))

    def _positions_state(self) -> dict[str, Any]:
        return {
            "counts": list(self.counts),
            "sources": [{"epoch": s.epoch, "cursor": s.cursor} for s in self.sources],
        }

    def _load_positions(self, state: dict[str, Any]) -> None:
        if len(state["sources"]) != len(self.sources):
            raise ValueError("sampler state was saved for a different number of sources")
        self.counts = [int(c) for c in state["counts"]]
        for source, saved in zip(self.sources, state["sources"]):
            source.epoch, source.cursor = int(saved["epoch"]), int(saved["cursor"])

    def epochs_started(self) -> list[int]:
        return [s.epoch + 1 for s in self.sources]


class MixedStream(ShareMixer):
    def __init__(self, sources: Sequence[DocumentSource], shares: Sequence[float], seq_len: int):
        super().__init__(sources, shares, seq_len)
        self._pending: _Pending | None = None

    # -- choosing the next document -------------------------------------------------------------

    def _next_document(self) -> _Pending:
        i = self._pick_source()
        epoch, cursor = self.sources[i].next_position()
        doc = self.sources[i].document_at(epoch, cursor)
        return _Pending(i, epoch, cursor, 0, doc)

    # -- packing --------------------------------------------------------------------------------
    def next_sequence(self) -> PackedSequence:
        ids: list[int] = []
        labels: list[int] = []
        positions: list[int] = []
        by_source = [0] * len(self.sources)
        while len(ids) < self.seq_len:
            if self._pending is None or self._pending.offset >= len(self._pending.doc.ids):
                self._pending = self._next_document()
                continue
            p = self._pending
            take = min(self.seq_len - len(ids), len(p.doc.ids) - p.offset)
            chunk = p.doc.ids[p.offset : p.offset + take]
            mask = p.doc.train_mask[p.offset : p.offset + take]
            ids.extend(chunk)
            positions.extend(range(take))
            # Position t predicts token t+1 of the same segment; the segment's last position has
            # no target inside this sequence.
            labels.extend(tok if keep else IGNORE_INDEX for tok, keep in zip(chunk[1:], mask[1:]))
            labels.append(IGNORE_INDEX)
            p.offset += take
            by_source[p.source] += take
            self.counts[p.source] += take
        return PackedSequence(ids, labels, positions, by_source)

    # -- resume ---------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        pending = None
        if self._pending is not None:
            p = self._pending
            pending = {"source": p.source, "epoch": p.epoch, "cursor": p.cursor, "offset": p.offset}
        return {**self._positions_state(), "pending": pending}

    def load_state(self, state: dict[str, Any]) -> None:
        self._load_positions(state)
        pending = state["pending"]
        self._pending = None
        if pending is not None:
            src = self.sources[pending["source"]]
            doc = src.document_at(pending["epoch"], pending["cursor"])
            self._pending = _Pending(
                pending["source"], pending["epoch"], pending["cursor"], pending["offset"], doc
            )
