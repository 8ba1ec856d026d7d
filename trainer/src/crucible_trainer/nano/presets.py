"""Sizes and training budgets of the nano family presets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class StageRecipe:
    steps: int
    lr: float
    warmup_steps: int


@dataclass(frozen=True)
class NanoPreset:
    name: str
    seed: int
    people: int
    cities: int
    companies: int
    products: int
    arithmetic_items: int
    vocab_size: int
    hidden_size: int
    layers: int
    heads: int
    intermediate_size: int
    seq_len: int
    batch_size: int
    pre: StageRecipe
    mid: StageRecipe
    post: StageRecipe
    # "bf16": autocast where the hardware has native bf16 matmuls (else fp32); weights stay fp32.
    precision: Literal["fp32", "bf16"] = "fp32"


PRESETS = {
    # For tests and CI: builds in seconds; learns little.
    "tiny": NanoPreset(
        name="tiny",
        seed=11,
        people=12,
        cities=8,
        companies=6,
        products=6,
        arithmetic_items=60,
        vocab_size=400,
        hidden_size=64,
        layers=2,
        heads=4,
        intermediate_size=128,
        seq_len=64,
        batch_size=8,
        pre=StageRecipe(steps=60, lr=3e-3, warmup_steps=6),
        mid=StageRecipe(steps=20, lr=1e-3, warmup_steps=2),
        post=StageRecipe(steps=30, lr=1e-3, warmup_steps=3),
    ),
    # The docs/design/DEMO.md feasibility size: 3.67M parameters, ~5.5M training tokens in all.
    # The 2k vocabulary makes nearly every word of the world (names too) one token, as the
    # feasibility study's word-level vocabulary did; at 1k names took 2.4 tokens each and the
    # model could not copy them from a question into its answer (issue #4 has the measurements).
    "demo": NanoPreset(
        name="demo",
        seed=11,
        people=100,
        cities=100,
        companies=100,
        products=40,
        arithmetic_items=2000,
        vocab_size=2048,
        hidden_size=256,
        layers=4,
        heads=4,
        intermediate_size=688,
        seq_len=128,
        batch_size=16,
        pre=StageRecipe(steps=2000, lr=2e-3, warmup_steps=100),
        mid=StageRecipe(steps=400, lr=5e-4, warmup_steps=20),
        # 450 post steps, up from 300 when the safety pairs grew to 16 templates: at 300 with 8
        # templates the seed-11 base refused 53 of 56 unsafe requests, at 450 54, at the same
        # general accuracy (0.85); it costs about a minute (issue #4).
        post=StageRecipe(steps=450, lr=3e-4, warmup_steps=20),
        # bf16 matmuls: ~1.5x the fp32 tokens per CPU-second on this size, same loss curve
        # (trainer/tests/test_train.py; measurements in issue #4).
        precision="bf16",
    ),
}
