"""JSONL sources are indexed in one streaming pass and read one record at a time."""

import json
import tracemalloc

import pytest

from crucible_trainer.data.jsonl_source import JsonlSource, index_jsonl
from crucible_trainer.errors import DataError


def test_indexing_memory_is_a_small_fraction_of_the_file(tmp_path):
    path = tmp_path / "big.jsonl"
    line = json.dumps({"text": "x" * 200}) + "\n"
    with path.open("w") as fh:
        for _ in range(50_000):
            fh.write(line)
    size = path.stat().st_size
    tracemalloc.start()
    offsets, _ = index_jsonl(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(offsets) == 50_000
    # One read buffer (1 MiB) plus 8 bytes per document; never the file itself.
    assert peak < (1 << 20) + 16 * 50_000 + (256 << 10), f"held {peak} bytes of a {size}-byte file"


def test_blank_lines_are_skipped_and_records_read_by_index(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a"}\n\n   \n{"text": "b"}\n{"text": "c"}')  # no final newline
    source = JsonlSource("d", path, None, "text")
    assert [source.record(i) for i in range(len(source))] == ["a", "b", "c"]


def test_digest_mismatch_names_the_source_and_the_fix(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a"}\n')
    with pytest.raises(DataError, match=r"source 'd'.*fix: point the spec at the approved"):
        JsonlSource("d", path, "sha256:" + "0" * 64, "text")


def test_malformed_record_names_its_position(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a"}\n{"text": \n')
    source = JsonlSource("d", path, None, "text")
    with pytest.raises(DataError, match=r"record 1 \(byte offset 14\).*not valid JSON"):
        source.record(1)
