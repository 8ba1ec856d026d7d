"""Tiny local models and data for tests: random-init causal LMs from configs, no downloads."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

from crucible_trainer.checkpoint import directory_digest
from crucible_trainer.data.jsonl_source import index_jsonl
from crucible_trainer.nano.tokenizer import save_tokenizer, train_tokenizer

COLOURS = ["red", "blue", "green", "black", "white"]
NAMES = ["Ada", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal"]


def text_docs(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(
            f"{rng.choice(NAMES)} likes the {rng.choice(COLOURS)} lamp."
            for _ in range(rng.randint(1, 6))
        )
        for _ in range(n)
    ]


def chat_docs(n: int, seed: int) -> list[list[dict[str, str]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name, colour = rng.choice(NAMES), rng.choice(COLOURS)
        out.append(
            [
                {"role": "user", "content": f"Which lamp does {name} like?"},
                {"role": "assistant", "content": f"{name} likes the {colour} lamp."},
            ]
        )
    return out


def write_jsonl(path: Path, field: str, records: list) -> str:
    path.write_text("".join(json.dumps({field: r}) + "\n" for r in records))
    return index_jsonl(path)[1]


def build_tiny_model(directory: Path, arch: str = "llama", seed: int = 0) -> str:
    """A random-init causal LM of Hugging Face model type `arch` (llama, qwen2, olmo2, ...)
    with the test tokenizer; returns the directory digest."""
    corpus = text_docs(200, 1) + [m["content"] for c in chat_docs(100, 2) for m in c]
    tokenizer = train_tokenizer(corpus, vocab_size=300)
    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(arch, **common))
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    save_tokenizer(tokenizer, directory)
    return directory_digest(directory)


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("tiny-llama")
    return path, build_tiny_model(path, "llama")


@pytest.fixture(scope="session")
def tiny_qwen2(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("tiny-qwen2")
    return path, build_tiny_model(path, "qwen2")


@pytest.fixture(scope="session")
def tiny_family(tmp_path_factory) -> tuple[Path, dict[str, str], list[dict]]:
    """The nano-tiny family built once per session: (home, digest per stage, build events)."""
    from crucible_trainer.events import EventEmitter, list_sink
    from crucible_trainer.nano.build import build_nano

    home = tmp_path_factory.mktemp("home")
    events: list[dict] = []
    digests = build_nano(
        "tiny", home, lambda stage: EventEmitter(f"nano-{stage}", list_sink(events))
    )
    return home, digests, events


@pytest.fixture(scope="session")
def data_files(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    root = tmp_path_factory.mktemp("data")
    files = {
        "facts": (root / "facts.jsonl", "text", text_docs(60, 3)),
        "replay": (root / "replay.jsonl", "text", text_docs(80, 4)),
        "chat": (root / "chat.jsonl", "messages", chat_docs(60, 5)),
        "heldout": (root / "heldout.jsonl", "text", text_docs(10, 6)),
    }
    return {name: (p, write_jsonl(p, field, recs)) for name, (p, field, recs) in files.items()}


def make_spec(base: tuple[Path, str], data: dict, output_dir: Path, **overrides) -> dict:
    """A small valid JobSpec document; keyword overrides replace top-level or hyper fields."""
    spec = {
        "protocol_version": 1,
        "run_id": "test-run",
        "stage": "cpt",
        "base": {"path": str(base[0]), "digest": base[1]},
        "data": {
            "sources": [
                {
                    "name": "facts",
                    "path": str(data["facts"][0]),
                    "digest": data["facts"][1],
                    "share": 0.3,
                    "format": "text",
                },
                {
                    "name": "replay",
                    "path": str(data["replay"][0]),
                    "digest": data["replay"][1],
                    "share": 0.7,
                    "format": "text",
                },
            ]
        },
        "hyperparameters": {
            "lr": 3e-3,
            "warmup_steps": 2,
            "budget": {"steps": 12},
            "batch_size": 2,
            "seq_len": 32,
            "weight_decay": 0.01,
            "adapter": {"kind": "full"},
        },
        "seed": 7,
        "checkpoint": {"every_steps": 4},
        "output_dir": str(output_dir),
        "runtime": {"device": "cpu", "threads": 1},
    }
    hyper_keys = set(spec["hyperparameters"]) | {"grad_accum", "schedule", "grad_clip"}
    for key, value in overrides.items():
        if key in hyper_keys:
            spec["hyperparameters"][key] = value
        else:
            spec[key] = value
    return spec


def train_checked(doc: dict) -> tuple[list[dict], dict]:
    """Run a JobSpec document in-process; every event must match the protocol."""
    from crucible_trainer import protocol
    from crucible_trainer.events import EventEmitter, list_sink
    from crucible_trainer.spec import parse_spec
    from crucible_trainer.train import run

    events: list[dict] = []
    finished = run(parse_spec(doc), EventEmitter(doc["run_id"], list_sink(events)))
    for event in events:
        assert protocol.problems("events", event) == [], event
    return events, finished
