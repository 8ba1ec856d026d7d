"""A synthetic world of people, cities, companies and products, generated from a seed.

Every entity gets attributes; each relation has several declarative phrasings and four question
templates, the last of which is held out of training (eval uses it for "held-out phrasing"). A
held-out template is a new combination of words the model has read, not new words: "town",
"hosts", "dollars" and "sold" appear in statements. With "dollars" in no training text the demo
base answered none of "How many dollars is the ...?" (issue #4).
The same relation types exist here as in customer domains (products with price, colour, warranty
and factory), which is what lets a model learn new facts of that shape from declarative text.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "kr", "st"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "or", "en"]
COUNTRIES = ["Astoria", "Belmark", "Corvania", "Dunmere", "Estrel", "Falkreach"]
COLOURS = ["red", "blue", "green", "black", "white", "yellow", "orange", "purple", "grey", "silver"]
PRODUCT_KINDS = ["lamp", "kettle", "chair", "radio", "bicycle", "clock", "blender", "heater"]
COMPANY_SUFFIXES = ["Works", "Labs", "Industries", "Systems", "Group"]


@dataclass(frozen=True)
class Relation:
    """A fact type: subject kind, phrasings that state it, questions that ask for it."""

    name: str
    statements: tuple[str, ...]
    questions: tuple[str, ...]  # the last one is held out of all training data
    answer: str


RELATIONS = {
    "lives_in": Relation(
        "lives_in",
        (
            "{s} lives in {v}.",
            "{s} is a resident of {v}.",
            "{s} has a home in {v}.",
            "The city where {s} lives is {v}.",
            "{s} resides in the town of {v}.",
        ),
        (
            "Where does {s} live?",
            "In which city does {s} live?",
            "What city is {s} a resident of?",
            "Which town is home to {s}?",
        ),
        "{s} lives in {v}.",
    ),
    "works_for": Relation(
        "works_for",
        (
            "{s} works for {v}.",
            "{s} is employed by {v}.",
            "{s} has a job at {v}.",
            "The employer of {s} is {v}.",
            "{v} employs {s}.",
        ),
        (
            "Who does {s} work for?",
            "Which company employs {s}?",
            "Where does {s} work?",
            "What is the name of the employer of {s}?",
        ),
        "{s} works for {v}.",
    ),
    "country": Relation(
        "country",
        (
            "{s} is a city in {v}.",
            "{s} lies in {v}.",
            "The city of {s} is located in {v}.",
            "{s} belongs to the country of {v}.",
            "You will find {s} in {v}.",
        ),
        (
            "In which country is {s}?",
            "Which country is {s} in?",
            "Where is the city of {s}?",
            "To what country does {s} belong?",
        ),
        "{s} is in {v}.",
    ),
    "headquarters": Relation(
        "headquarters",
        (
            "{s} is based in {v}.",
            "{s} has its headquarters in {v}.",
            "The head office of {s} is in {v}.",
            "{v} hosts the offices of {s}.",
            "The headquarters of {s} are located in {v}.",
        ),
        (
            "Where is {s} based?",
            "Where are the headquarters of {s}?",
            "In which city is {s} headquartered?",
            "Which city hosts the head office of {s}?",
        ),
        "{s} is based in {v}.",
    ),
    "price": Relation(
        "price",
        (
            "The {s} costs ${v}.",
            "The {s} is priced at ${v}.",
            "You can buy the {s} for {v} dollars.",
            "The price of the {s} is ${v}.",
            "The {s} sells for ${v}.",
        ),
        (
            "How much does the {s} cost?",
            "What is the price of the {s}?",
            "What does the {s} sell for?",
            "How many dollars is the {s}?",
        ),
        "The {s} costs ${v}.",
    ),
    "colour": Relation(
        "colour",
        (
            "The {s} is {v}.",
            "The {s} comes in {v}.",
            "The colour of the {s} is {v}.",
            "The {s} is painted {v}.",
            "Every {s} is sold in {v}.",
        ),
        (
            "What colour is the {s}?",
            "What is the colour of the {s}?",
            "Which colour does the {s} come in?",
            "In what colour is the {s} sold?",
        ),
        "The {s} is {v}.",
    ),
    "warranty": Relation(
        "warranty",
        (
            "The {s} has a {v} year warranty.",
            "The {s} comes with a warranty of {v} years.",
            "The warranty on the {s} lasts {v} years.",
            "The {s} is covered by warranty for {v} years.",
            "Buyers of the {s} get {v} years of warranty.",
        ),
        (
            "How long is the warranty on the {s}?",
            "What warranty does the {s} have?",
            "For how many years is the {s} under warranty?",
            "How many years of warranty come with the {s}?",
        ),
        "The {s} has a {v} year warranty.",
    ),
    "factory": Relation(
        "factory",
        (
            "The {s} is made in {v}.",
            "The {s} is built in a factory in {v}.",
            "The factory that makes the {s} is in {v}.",
            "The {s} is manufactured in {v}.",
            "The {s} comes from a factory in {v}.",
        ),
        (
            "Where is the {s} made?",
            "In which city is the {s} built?",
            "Where is the factory that makes the {s}?",
            "Which city manufactures the {s}?",
        ),
        "The {s} is made in {v}.",
    ),
}

TRAIN_QUESTIONS = 3  # question templates 0..2 are used in training; 3 is held out


@dataclass(frozen=True)
class Fact:
    relation: str
    subject: str
    value: str


@dataclass(frozen=True)
class World:
    facts: tuple[Fact, ...]
    subjects: tuple[str, ...]
    qa_subjects: frozenset[str]  # subjects whose Q/A pairs appear in training
    cities: tuple[str, ...]
    countries: tuple[str, ...]

    def name_words(self) -> set[str]:
        """Every word of every subject's name, lower-cased: what new names must not reuse."""
        return {w.lower() for subject in self.subjects for w in subject.split()}


def random_value(
    relation: str, rng: random.Random, cities: Sequence[str], companies: Sequence[str]
) -> str:
    """A value of `relation` drawn from `rng` (world, acme and reading facts all use this)."""
    if relation in ("lives_in", "headquarters", "factory"):
        return rng.choice(cities)
    if relation == "works_for":
        return rng.choice(companies)
    if relation == "country":
        return rng.choice(COUNTRIES)
    if relation == "price":
        return str(rng.randint(5, 400))
    if relation == "colour":
        return rng.choice(COLOURS)
    if relation == "warranty":
        return str(rng.randint(1, 9))
    raise ValueError(f"unknown relation {relation!r}; one of {sorted(RELATIONS)}")


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)).capitalize()


def _unique(rng: random.Random, count: int, make) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        name = make(rng)
        if name not in out:
            out.append(name)
    return out


def generate_world(seed: int, people: int, cities: int, companies: int, products: int) -> World:
    """The world for a seed; `qa_fraction` of subjects get Q/A pairs in training (80%)."""
    rng = random.Random(seed)
    city_names = _unique(rng, cities, lambda r: _word(r, 2))
    company_names = _unique(rng, companies, lambda r: f"{_word(r, 2)} {r.choice(COMPANY_SUFFIXES)}")
    people_names = _unique(rng, people, lambda r: f"{_word(r, 2)} {_word(r, 2)}")
    product_names = _unique(
        rng, products, lambda r: f"{_word(r, 2).lower()} {r.choice(PRODUCT_KINDS)}"
    )

    def fact(relation: str, subject: str) -> Fact:
        return Fact(relation, subject, random_value(relation, rng, city_names, company_names))

    facts = [fact("country", city) for city in city_names]
    facts += [fact("headquarters", company) for company in company_names]
    for person in people_names:
        facts += [fact("lives_in", person), fact("works_for", person)]
    for product in product_names:
        facts += [fact(r, product) for r in ("price", "colour", "warranty", "factory")]
    subjects = tuple(city_names + company_names + people_names + product_names)
    shuffled = list(subjects)
    rng.shuffle(shuffled)
    qa_subjects = frozenset(shuffled[: round(0.8 * len(shuffled))])
    return World(tuple(facts), subjects, qa_subjects, tuple(city_names), tuple(COUNTRIES))


def statement(fact: Fact, phrasing: int) -> str:
    relation = RELATIONS[fact.relation]
    return relation.statements[phrasing].format(s=fact.subject, v=fact.value)


def question(fact: Fact, template: int) -> str:
    return RELATIONS[fact.relation].questions[template].format(s=fact.subject)


def answer(fact: Fact) -> str:
    return RELATIONS[fact.relation].answer.format(s=fact.subject, v=fact.value)


def answer_value(fact: Fact) -> str:
    return f"${fact.value}" if fact.relation == "price" else fact.value
