"""Events on stdout, one JSON object per line; everything else goes to stderr.

`claim_stdout()` keeps the real stdout for events only: it duplicates file descriptor 1, then
points fd 1 and `sys.stdout` at stderr, so a stray print in library code (or C code writing to
fd 1) can never corrupt the event stream.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from typing import IO, Any

from crucible_trainer.protocol import PROTOCOL_VERSION

Sink = Callable[[dict[str, Any]], None]


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def claim_stdout() -> IO[str]:
    """Return a line-buffered stream on the original stdout; route fd 1 and sys.stdout to stderr."""
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(events_fd, "w", buffering=1, encoding="utf-8")


class EventEmitter:
    """Builds protocol events (adds protocol_version, run_id, time) and hands them to a sink."""

    def __init__(self, run_id: str, sink: Sink):
        self.run_id = run_id
        self.sink = sink

    def emit(self, type_: str, **fields: Any) -> dict[str, Any]:
        event = {
            "protocol_version": PROTOCOL_VERSION,
            "type": type_,
            "run_id": self.run_id,
            "time": utc_now(),
            **fields,
        }
        self.sink(event)
        return event


def stream_sink(stream: IO[str]) -> Sink:
    """A sink writing each event as one JSON line, flushed at once (the worker reads it live)."""

    def write(event: dict[str, Any]) -> None:
        stream.write(json.dumps(event, separators=(",", ":"), allow_nan=False) + "\n")
        stream.flush()

    return write


def list_sink(into: list[dict[str, Any]]) -> Sink:
    """A sink collecting events in memory (tests)."""
    return into.append
