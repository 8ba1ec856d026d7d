"""The acme-handbook generator: deterministic, new entities only, eval never in training data."""

import json
from pathlib import Path

from crucible_trainer.nano.acme import build_acme
from crucible_trainer.nano.presets import PRESETS
from crucible_trainer.nano.world import generate_world


def _lines(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def _text(built, key):
    return Path(built["files"][key]["path"]).read_text()


def test_same_seed_gives_the_same_files(tmp_path):
    a, b = build_acme(tmp_path / "a"), build_acme(tmp_path / "b")
    for key in ("handbook", "qa", "eval"):
        assert _text(a, key) == _text(b, key)


def test_products_are_new_to_the_world_and_factories_are_world_cities(tmp_path):
    p = PRESETS["tiny"]
    world = generate_world(p.seed, p.people, p.cities, p.companies, p.products)
    built = build_acme(tmp_path)
    evals = _lines(built["files"]["eval"]["path"])
    world_subjects = set(world.subjects)
    assert all(e["subject"] not in world_subjects for e in evals)
    # each product's name word is new: no world subject uses it
    world_words = {w.lower() for s in world.subjects for w in s.split()}
    assert all(e["subject"].split()[0] not in world_words for e in evals)
    factories = [e["answer"] for e in evals if e["relation"] == "factory"]
    assert factories and all(any(city in a for city in world.cities) for a in factories)


def test_eval_questions_never_appear_in_training_data(tmp_path):
    built = build_acme(tmp_path)
    training = _text(built, "handbook") + _text(built, "qa")
    evals = _lines(built["files"]["eval"]["path"])
    assert {e["split"] for e in evals} == {"heldout_subject", "heldout_phrasing"}
    for e in evals:
        assert json.dumps(e["question"])[1:-1] not in training


def test_the_handbook_plants_pii_secrets_and_every_canary(tmp_path):
    built = build_acme(tmp_path)
    text = _text(built, "handbook")
    assert "@example-mail.net" in text and "+44 20 7946" in text
    assert "AWS_ACCESS_KEY_ID=AKIA" in text
    for canary in built["canaries"]:
        assert canary in text
