"""A JSONL source read lazily: an index of line offsets, one record read per request.

Memory: the only per-document state is the byte-offset index (8 bytes per document) and one
epoch's permutation of it (8 bytes per document); documents themselves are read one at a time
with seek + readline. Building the index and checking the file's SHA-256 share one pass.
"""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from crucible_trainer.errors import DataError

_CHUNK = 1 << 20
_NON_SPACE = re.compile(rb"\S")


def index_jsonl(path: Path) -> tuple[np.ndarray, str]:
    """Byte offsets of every non-blank line, and `sha256:<hex>` of the file, in one pass."""
    digest = hashlib.sha256()
    offsets = array("q")  # 8 bytes per document, no per-int Python objects
    position = 0
    line_start = 0
    line_has_content = False
    buffer = bytearray(_CHUNK)  # reused for every read: no allocation per chunk
    view = memoryview(buffer)
    try:
        with path.open("rb") as fh:
            while size := fh.readinto(buffer):
                digest.update(view[:size])
                start = 0
                while True:
                    newline = buffer.find(b"\n", start, size)
                    end = size if newline < 0 else newline
                    if not line_has_content and _NON_SPACE.search(buffer, start, end):
                        line_has_content = True
                    if newline < 0:
                        break
                    if line_has_content:
                        offsets.append(line_start)
                    line_start = position + newline + 1
                    line_has_content = False
                    start = newline + 1
                position += size
    except OSError as e:
        raise DataError(f"cannot read data file {path}: {e.strerror}; fix: check the path") from e
    if line_has_content:
        offsets.append(line_start)
    return np.frombuffer(offsets, dtype=np.int64), "sha256:" + digest.hexdigest()


class JsonlSource:
    """Random access to the records of one JSONL file, checked against its expected digest."""

    def __init__(self, name: str, path: str | Path, expected_digest: str | None, field: str | None):
        self.name = name
        self.path = Path(path)
        self.field = field
        self.offsets, actual = index_jsonl(self.path)
        if expected_digest is not None and actual != expected_digest:
            raise DataError(
                f"source {name!r}: {self.path} has digest {actual} but the spec says "
                f"{expected_digest}; fix: point the spec at the approved file version"
            )
        self.digest = actual
        if len(self.offsets) == 0:
            raise DataError(f"source {name!r}: {self.path} holds no records; fix: add data")
        self._fh = self.path.open("rb")

    def __len__(self) -> int:
        return len(self.offsets)

    def record(self, index: int) -> Any:
        """The `field` value of record `index` (0-based among non-blank lines); with no field,
        the whole record (a JSON object)."""
        offset = int(self.offsets[index])
        self._fh.seek(offset)
        line = self._fh.readline()
        where = f"source {self.name!r}: record {index} (byte offset {offset}) of {self.path}"
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DataError(f"{where} is not valid JSON ({e}); fix: repair the file") from e
        if not isinstance(obj, dict):
            raise DataError(f"{where} is not a JSON object; fix: one object per line")
        if self.field is None:
            return obj
        if self.field not in obj:
            raise DataError(f"{where} has no {self.field!r} field; fix: one object per line")
        return obj[self.field]

    def close(self) -> None:
        self._fh.close()
