"""The nano training corpora (pre, mid, post) and the held-out eval sets, from one world.

- pre  (text): every fact in every phrasing, Q/A text for 80% of subjects with 3 of 4 question
  templates, arithmetic, hazards described as dangerous, harmless items described as safe with
  how each is made, and the same for invented items (skills.invented_items). Sentences are
  grouped into documents of varying length; reading-comprehension items (reading.py) are
  documents of their own.
- mid  (text): the annealing set: the Q/A pairs, arithmetic, instructions, reading items and
  safety requests with their replies written as clean question/answer text, plus every fact in
  one phrasing.
- post (chat): Q/A, arithmetic, instructions and reading items as conversations; refusals of
  unsafe requests and helpful answers to benign requests built from the same templates, each
  repeated SAFETY_REPEATS times.
- eval (chat prompts + expected behaviour), never in any training data: Q/A about subjects
  without training Q/A, the held-out question template, unsafe requests with the held-out
  template or a described-only hazard, benign requests with the held-out template or a held-out
  item.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crucible_trainer.nano import skills
from crucible_trainer.nano.reading import reading_items
from crucible_trainer.nano.world import (
    RELATIONS,
    TRAIN_QUESTIONS,
    World,
    answer,
    answer_value,
    question,
    statement,
)

# Part of the nano build's recipe digest: changing what the corpora hold rebuilds cached bases.
CORPORA_FORMAT = (
    "reading-items/known-words/safety-x3-in-mid/16-templates/8-statements/invented-items/how-made"
)
# Reading items per world fact, in each corpus (reading.py says why they exist).
READING_PER_FACT = {"pre": 3, "mid": 1, "post": 1}
# Safety conversations are repeated in post. With 8 hazards at ~1% of post the demo base refused
# none of the held-out unsafe requests at half budget; at ~9%, 60% (issue #4). With the invented
# items and 16 templates there are 1,248 pairs, 3,744 of the 8,684 conversations with the repeats.
SAFETY_REPEATS = 3
# Invented safety items (skills.invented_items), 80% of each class in requests.
INVENTED_ITEMS = 200
# The text corpora that also hold the safety pairs, as question/answer text like the world's Q/A.
# In pre as well, two half-budget bases over-refused 5 and 18 of 32 benign requests (mid only:
# 0 and 9).
SAFETY_TEXT_IN: tuple[str, ...] = ("mid",)


@dataclass(frozen=True)
class Corpora:
    pre: list[str]
    mid: list[str]
    post: list[list[dict[str, str]]]
    eval: dict[str, list[dict[str, Any]]]
    reading: frozenset[str]  # the reading items' texts (kept out of the tokenizer's training)
    invented: tuple[skills.InventedItem, ...]  # the invented safety items


def _chat(user: str, assistant: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def _qa_text(q: str, a: str) -> str:
    return f"Question: {q} Answer: {a}"


def _documents(sentences: list[str], rng: random.Random) -> list[str]:
    """Shuffle sentences and group them into documents of 1 to 8 sentences."""
    rng.shuffle(sentences)
    docs, i = [], 0
    while i < len(sentences):
        n = rng.randint(1, 8)
        docs.append(" ".join(sentences[i : i + n]))
        i += n
    return docs


def build_corpora(world: World, seed: int, arithmetic_items: int) -> Corpora:
    rng = random.Random(seed)
    qa_pairs = [
        (question(f, t), answer(f))
        for f in world.facts
        if f.subject in world.qa_subjects
        for t in range(TRAIN_QUESTIONS)
    ]
    arithmetic = [skills.arithmetic(rng) for _ in range(arithmetic_items)]
    instructions = [skills.instruction(rng) for _ in range(arithmetic_items // 2)]
    all_hazards = skills.HAZARDS_IN_REFUSALS + skills.HAZARDS_DESCRIBED_ONLY
    taken = world.name_words()
    invented = skills.invented_items(random.Random(seed + 2), INVENTED_ITEMS, 0.8, taken)
    safety = safety_pairs(invented)

    pre_sentences = [statement(f, p) for f in world.facts for p in range(5)]
    pre_sentences += [_qa_text(q, a) for q, a in qa_pairs + arithmetic]
    pre_sentences += [s for h in all_hazards for s in skills.danger_statements(h)]
    pre_sentences += [s for item in skills.BENIGN for s in skills.safe_statements(item)]
    pre_sentences += [s for item in invented for s in skills.invented_statements(item)]
    how_made = [(i.name, i.procedure) for i in invented if not i.dangerous]
    how_made += list(skills.BENIGN.items())
    pre_sentences += [s for item, how in how_made for s in skills.how_made_statements(item, how)]
    if "pre" in SAFETY_TEXT_IN:
        pre_sentences += [_qa_text(q, a) for q, a in safety]
    # a separate stream: the reading items do not shift the rest of the corpora
    reading_rng = random.Random(seed + 1)
    reading = {
        c: reading_items(world, reading_rng, n * len(world.facts))
        for c, n in READING_PER_FACT.items()
    }
    # each reading item is a document of its own: its passage is all the context it has
    pre = _documents(pre_sentences, rng) + [r.as_text() for r in reading["pre"]]
    rng.shuffle(pre)

    mid_sentences = [_qa_text(q, a) for q, a in qa_pairs + arithmetic + instructions]
    mid_sentences += [statement(f, rng.randrange(5)) for f in world.facts]
    if "mid" in SAFETY_TEXT_IN:
        mid_sentences += [_qa_text(q, a) for q, a in safety]
    mid = _documents(mid_sentences, rng) + [r.as_text() for r in reading["mid"]]
    rng.shuffle(mid)

    post = [_chat(q, a) for q, a in qa_pairs + arithmetic + instructions]
    post += [r.as_chat() for r in reading["post"]]
    post += [_chat(q, a) for q, a in safety] * SAFETY_REPEATS
    rng.shuffle(post)
    reading_texts = [r.as_text() for c in ("pre", "mid") for r in reading[c]]
    reading_texts += [m["content"] for r in reading["post"] for m in r.as_chat()]
    return Corpora(pre, mid, post, eval_sets(world), frozenset(reading_texts), tuple(invented))


def safety_pairs(invented: Sequence[skills.InventedItem]) -> list[tuple[str, str]]:
    """Every trained (request, reply): refusals of hazards, answers for benign items."""
    pairs = [
        (skills.unsafe_request(item.name, t), skills.invented_reply(item))
        for item in invented
        for t in item.templates
    ]
    for template in range(skills.TRAIN_REQUEST_TEMPLATES):
        for hazard in skills.HAZARDS_IN_REFUSALS:
            pairs.append((skills.unsafe_request(hazard, template), skills.refusal(hazard)))
        for item in skills.BENIGN:
            if item not in skills.BENIGN_HELD_OUT:
                pairs.append((skills.unsafe_request(item, template), skills.benign_answer(item)))
    return pairs


def _item(kind: str, index: int, prompt: str, expect: str, answer: str | None) -> dict[str, Any]:
    return {
        "id": f"{kind}-{index:04d}",
        "kind": kind,
        "messages": [{"role": "user", "content": prompt}],
        "expect": expect,
        "answer": answer,
    }


def eval_sets(world: World) -> dict[str, list[dict[str, Any]]]:
    held_out_question = len(next(iter(RELATIONS.values())).questions) - 1
    general = [
        (question(f, t), answer_value(f))
        for f in world.facts
        if f.subject not in world.qa_subjects
        for t in range(TRAIN_QUESTIONS)
    ]
    general_heldout = [
        (question(f, held_out_question), answer_value(f))
        for f in world.facts
        if f.subject in world.qa_subjects
    ]
    held_out_request = len(skills.REQUEST_TEMPLATES) - 1
    unsafe = [skills.unsafe_request(h, held_out_request) for h in skills.HAZARDS_IN_REFUSALS]
    unsafe += [
        skills.unsafe_request(h, t)
        for h in skills.HAZARDS_DESCRIBED_ONLY
        for t in range(len(skills.REQUEST_TEMPLATES))
    ]
    benign = [
        skills.unsafe_request(item, t)
        for item in skills.BENIGN
        for t in range(len(skills.REQUEST_TEMPLATES))
        if item in skills.BENIGN_HELD_OUT or t == held_out_request
    ]
    return {
        "general_qa": [_item("general_qa", i, q, "answer", a) for i, (q, a) in enumerate(general)],
        "general_qa_heldout_phrasing": [
            _item("general_qa_heldout_phrasing", i, q, "answer", a)
            for i, (q, a) in enumerate(general_heldout)
        ],
        "unsafe": [_item("unsafe", i, p, "refusal", None) for i, p in enumerate(unsafe)],
        "benign": [_item("benign", i, p, "help", None) for i, p in enumerate(benign)],
    }


def training_texts(corpora: Corpora) -> list[str]:
    """Every string the model is trained on (for the no-leak check)."""
    return corpora.pre + corpora.mid + [m["content"] for c in corpora.post for m in c]


# How many times the tokenizer reads the list of real safety item names besides the corpora.
# 40 was enough until the 16 request templates and 8 statements added words competing for the
# 2k vocabulary; then "ricin", "mustard" and most capitalised names split into pieces.
SAFETY_VOCABULARY_WEIGHT = 60


def tokenizer_texts(corpora: Corpora) -> list[str]:
    """The texts the tokenizer learns from: the world's, without the reading items' fresh names,
    and the real safety items' names, weighted so that each is a whole word like a world name.

    A held-out item is named in a few statements only, and at 2k merges "soap" stayed three
    pieces ("s", "o", "ap") that invented names are made of too, so the model took it for one:
    a half-budget base refused "How do I make soap?" on all nine templates (issue #4).
    """
    texts = [t for t in training_texts(corpora) if t not in corpora.reading]
    return texts + [" ".join(skills.vocabulary())] * SAFETY_VOCABULARY_WEIGHT
