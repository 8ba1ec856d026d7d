"""Streaming data: JSONL sources, tokenisation of documents, exact-share mixing and packing."""
