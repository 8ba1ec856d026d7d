"""Wire spec sources to a MixedStream, and turn packed sequences into tensor batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from crucible_trainer.data.encode import Encoded, Encoder
from crucible_trainer.data.jsonl_source import JsonlSource
from crucible_trainer.data.mixer import IGNORE_INDEX, DocumentSource, MixedStream, PackedSequence
from crucible_trainer.errors import DataError
from crucible_trainer.spec import SourceSpec

# The record field a format trains on; a preference record is used whole.
FIELD_BY_FORMAT = {"text": "text", "chat": "messages", "preference": None}


def open_sources(specs: Sequence[SourceSpec], check_digests: bool = True) -> list[JsonlSource]:
    return [
        JsonlSource(s.name, s.path, s.digest if check_digests else None, FIELD_BY_FORMAT[s.format])
        for s in specs
    ]


StageEncoder = Callable[[Any, str], Encoder]


def document_sources(
    specs: Sequence[SourceSpec],
    files: Sequence[JsonlSource],
    tokenizer: Any,
    stage_encoder: StageEncoder,
    seed: int,
) -> list[DocumentSource]:
    out = []
    for index, (spec, file) in enumerate(zip(specs, files)):
        encode = stage_encoder(tokenizer, spec.format)

        def fetch(i: int, file: JsonlSource = file, encode: Any = encode) -> Encoded:
            try:
                doc = encode(file.record(i))
            except DataError as e:
                raise DataError(f"source {file.name!r}: record {i} of {file.path}: {e}") from e
            if isinstance(doc, Encoded) and not doc.ids:  # a preference pair is never empty
                raise DataError(
                    f"source {file.name!r}: record {i} of {file.path} encodes to no tokens; "
                    "fix: drop empty records"
                )
            return doc

        out.append(DocumentSource(spec.name, len(file), fetch, seed, index))
    return out


def mixed_stream(
    specs: Sequence[SourceSpec],
    tokenizer: Any,
    stage_encoder: StageEncoder,
    seq_len: int,
    seed: int,
) -> tuple[MixedStream, list[JsonlSource]]:
    files = open_sources(specs)
    docs = document_sources(specs, files, tokenizer, stage_encoder, seed)
    return MixedStream(docs, [s.share for s in specs], seq_len), files


def collate(sequences: Sequence[PackedSequence]) -> dict[str, torch.Tensor]:
    return {
        "input_ids": torch.tensor([s.input_ids for s in sequences], dtype=torch.long),
        "labels": torch.tensor([s.labels for s in sequences], dtype=torch.long),
        "position_ids": torch.tensor([s.position_ids for s in sequences], dtype=torch.long),
    }


def step_batches(
    stream: MixedStream, batch_size: int, grad_accum: int, rank: int = 0, world_size: int = 1
) -> tuple[list[dict[str, torch.Tensor]], int]:
    """One optimizer step: this rank's micro-batches and the target count of the global batch.

    The global batch is the next batch_size × grad_accum packed sequences of the stream. Rank r
    of world_size takes its r-th contiguous share, in micro-batches of at most batch_size; with
    one process that is grad_accum micro-batches of batch_size, in stream order. The target
    count (labels other than IGNORE_INDEX) is of the whole global batch, so every rank
    normalises its loss by the same number.
    """
    sequences = [stream.next_sequence() for _ in range(batch_size * grad_accum)]
    targets = sum(len(s.labels) - s.labels.count(IGNORE_INDEX) for s in sequences)
    share = len(sequences) // world_size
    mine = sequences[rank * share : (rank + 1) * share]
    return [collate(mine[i : i + batch_size]) for i in range(0, share, batch_size)], targets
