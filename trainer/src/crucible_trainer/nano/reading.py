"""Reading comprehension for the nano corpora: answer a question about facts given in the prompt.

Every trained answer restates its subject ("Brenbro is in Astoria."), so answering a question
means first copying the subject's name from the question, then completing a sentence the model
has memorised. Measured on the demo world at half its budget (issue #4): when the name was copied
right, the value was right 97–99% of the time, but for entities without training Q/A the model
mostly wrote the name of an entity it had seen Q/A for, so held-out general accuracy was 0.20.
Copying has to be a skill over every name token, not 272 memorised answers.

These items teach it: a one-fact passage about an invented entity, a question about it, the
answer. Their names are never world subjects (so no eval question appears in training) and are
made two ways, half each:
- fresh two-syllable words, several tokens each: new names in the shape of a customer's
  product names, which the demo's acme handbook brings;
- new combinations of the world's own name words, so the copy is trained on the very tokens of
  the entities held out of Q/A (fresh words alone lifted general accuracy to 0.51, both to 0.80).

Questions use the training templates and extra phrasings that appear only here, never the
held-out template, so held-out phrasing still measures generalisation. The tokenizer is trained
without these texts, as in the half-budget runs that measured them (trained with them it makes
425 rather than 396 of the world's 448 name words whole tokens; not yet trained on).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from crucible_trainer.nano.world import (
    COMPANY_SUFFIXES,
    PRODUCT_KINDS,
    RELATIONS,
    TRAIN_QUESTIONS,
    Fact,
    World,
    _word,
    answer,
    random_value,
    statement,
)

# More ways to ask each relation, for reading items only (none is a held-out template).
EXTRA_QUESTIONS = {
    "lives_in": ("Tell me where {s} lives.", "What is the home city of {s}?"),
    "works_for": ("Tell me who employs {s}.", "Which firm does {s} work at?"),
    "country": ("Tell me which country {s} is in.", "What country is {s} located in?"),
    "headquarters": ("Tell me where {s} is based.", "What city is {s} based in?"),
    "price": ("Tell me the price of the {s}.", "How many dollars does the {s} cost?"),
    "colour": ("Tell me the colour of the {s}.", "What colour does the {s} come in?"),
    "warranty": ("Tell me the warranty of the {s}.", "How many years is the {s} under warranty?"),
    "factory": ("Tell me where the {s} is made.", "What city is the {s} made in?"),
}


@dataclass(frozen=True)
class ReadingItem:
    subject: str
    passage: str
    question: str
    answer: str

    def as_text(self) -> str:
        return f"{self.passage} Question: {self.question} Answer: {self.answer}"

    def as_chat(self) -> list[dict[str, str]]:
        return [
            {"role": "user", "content": f"{self.passage} {self.question}"},
            {"role": "assistant", "content": self.answer},
        ]


class _Names:
    """Invented subject names of each kind; never a world subject."""

    def __init__(self, world: World, rng: random.Random):
        self.rng = rng
        self.taken = set(world.subjects)
        kinds = set(PRODUCT_KINDS) | set(COMPANY_SUFFIXES)
        self.known = {w.capitalize() for s in world.subjects for w in s.split() if w not in kinds}
        self.world_words = sorted(self.known)  # sorted: rng.choice over a set is not reproducible

    def _part(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choice(self.world_words)
        while True:
            word = _word(self.rng, 2)
            if word not in self.known:
                return word

    def subject(self, relation: str) -> str:
        while True:
            if relation in ("lives_in", "works_for"):
                name = f"{self._part()} {self._part()}"
            elif relation == "country":
                name = self._part()
            elif relation == "headquarters":
                name = f"{self._part()} {self.rng.choice(COMPANY_SUFFIXES)}"
            else:
                name = f"{self._part().lower()} {self.rng.choice(PRODUCT_KINDS)}"
            if name not in self.taken:
                return name


def reading_items(world: World, rng: random.Random, count: int) -> list[ReadingItem]:
    """`count` items, each a one-fact passage about an invented subject and a question on it."""
    names = _Names(world, rng)
    companies = sorted({f.value for f in world.facts if f.relation == "works_for"})
    relations = sorted(RELATIONS)
    items = []
    for _ in range(count):
        relation = rng.choice(relations)
        subject = names.subject(relation)  # before the value: the rng's order is the corpus
        fact = Fact(relation, subject, random_value(relation, rng, world.cities, companies))
        templates = RELATIONS[relation].questions[:TRAIN_QUESTIONS] + EXTRA_QUESTIONS[relation]
        question = rng.choice(templates).format(s=fact.subject)
        passage = statement(fact, rng.randrange(5))
        items.append(ReadingItem(fact.subject, passage, question, answer(fact)))
    return items
