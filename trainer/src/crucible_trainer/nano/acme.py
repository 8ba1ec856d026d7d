"""The `acme-handbook` customer dataset of the demo, generated from a seed.

Acme sells products the nano world has never seen, described with the world's own relation types
(price, colour, warranty, factory) so a base that knows those relations can learn new facts of
that shape from declarative text. The handbook also holds support transcripts with planted PII,
secrets and canaries: what a pre-screen must find before anyone may train on it.

Outputs (JSONL):
- `acme-handbook.jsonl`  {"text"}: product descriptions + support transcripts (CPT data)
- `acme-qa.jsonl`        {"messages"}: Q/A for 80% of products, training question templates (SFT)
- `acme-eval.jsonl`      {"question", "answer", "value", "subject", "relation", "split"}: never
  trained on: Q/A of the other 20% (`heldout_subject`) and every product with the held-out template
  (`heldout_phrasing`)
- `canaries.json`        the planted canary strings (for the scanner and the exposure metric)
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from crucible_trainer.nano.presets import PRESETS
from crucible_trainer.nano.world import (
    PRODUCT_KINDS,
    TRAIN_QUESTIONS,
    Fact,
    _unique,
    _word,
    answer,
    answer_value,
    generate_world,
    question,
    random_value,
    statement,
)

RELATIONS = ("price", "colour", "warranty", "factory")
CUSTOMERS = ["Mira Dunn", "Tobias Kerr", "Lena Ortiz", "Sam Okafor", "Priya Nair", "Jon Weiss"]


def acme_facts(
    rng: random.Random, products: int, cities: tuple[str, ...], taken: set[str]
) -> list[Fact]:
    """Facts of `products` new products, named with words no world subject uses (`taken`)."""

    def make(r: random.Random) -> str:
        # A new word and a product kind, no "acme" prefix: the nano tokenizer spells "acme"
        # letter by letter, and a name of nine tokens is copied into an answer far less
        # reliably than one of four (issue #4).
        while True:
            word = _word(r, 2).lower()
            if word not in taken:
                return f"{word} {r.choice(PRODUCT_KINDS)}"

    facts = []
    for name in _unique(rng, products, make):
        facts += [Fact(r, name, random_value(r, rng, cities, ())) for r in RELATIONS]
    return facts


def _card(rng: random.Random) -> str:
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # Luhn check digit over the first 15 digits
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i : i + 4] for i in range(0, 16, 4))


def _aws_key(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def transcript(rng: random.Random, product: str, canary: str | None) -> str:
    name = rng.choice(CUSTOMERS)
    first, last = name.lower().split()
    lines = [
        f"Support ticket about the {product}.",
        f"Customer: Hello, my name is {name} and my {product} stopped working.",
        f"Customer: You can reach me at {first}.{last}@example-mail.net"
        f" or +44 20 7946 {rng.randint(1000, 9999)}.",
        f"Agent: Thanks {name.split()[0]}, I have opened a repair order for the {product}.",
    ]
    if rng.random() < 0.5:
        lines.append(f"Customer: I paid with card {_card(rng)}.")
    if rng.random() < 0.3:
        key = _aws_key(rng)
        lines.append(f"Agent note: deploy key AWS_ACCESS_KEY_ID={key} was pasted here by mistake.")
    if canary:
        lines.append(f"Agent note: internal reference {canary}.")
    return "\n".join(lines)


def build_acme(
    out: Path, preset: str = "tiny", seed: int = 2024, products: int | None = None
) -> dict:
    """Writes the acme files into `out`; returns their paths and counts."""
    p = PRESETS[preset]
    world = generate_world(p.seed, p.people, p.cities, p.companies, p.products)
    rng = random.Random(seed)
    taken = world.name_words()
    facts = acme_facts(rng, products or max(10, p.products), world.cities, taken)
    subjects = sorted({f.subject for f in facts})
    rng.shuffle(subjects)
    qa_subjects = set(subjects[: round(0.8 * len(subjects))])
    canaries = [f"ACME-CANARY-{rng.randrange(16**8):08x}" for _ in range(3)]

    handbook = [statement(f, k) for f in facts for k in range(5)]
    for i in range(len(subjects) * 2):
        product = subjects[i % len(subjects)]
        handbook.append(transcript(rng, product, canaries[i % 3] if i < 6 else None))
    rng.shuffle(handbook)
    qa = [
        [{"role": "user", "content": question(f, t)}, {"role": "assistant", "content": answer(f)}]
        for f in facts
        if f.subject in qa_subjects
        for t in range(TRAIN_QUESTIONS)
    ]
    evals = [
        {
            "question": question(f, t),
            "answer": answer(f),
            "value": answer_value(f),  # what a correct reply must state (nano/score.py)
            "subject": f.subject,
            "relation": f.relation,
            "split": "heldout_subject" if f.subject not in qa_subjects else "heldout_phrasing",
        }
        for f in facts
        for t in range(TRAIN_QUESTIONS + 1)
        if (f.subject not in qa_subjects and t < TRAIN_QUESTIONS) or t == TRAIN_QUESTIONS
    ]
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "handbook": _write(out / "acme-handbook.jsonl", [{"text": t} for t in handbook]),
        "qa": _write(out / "acme-qa.jsonl", [{"messages": m} for m in qa]),
        "eval": _write(out / "acme-eval.jsonl", evals),
    }
    (out / "canaries.json").write_text(json.dumps(canaries) + "\n")
    return {"files": files, "canaries": canaries, "products": len(subjects), "facts": len(facts)}


def _write(path: Path, records: list[dict]) -> dict:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return {"path": str(path), "records": len(records)}
