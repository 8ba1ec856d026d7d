"""Every example in recipes/ is a valid recipe (protocol/recipe.schema.json), read with PyYAML.

The TypeScript side parses the same files with its own YAML reader (test/runs/recipe.test.ts);
both agreeing is what keeps the examples portable: e.g. `lr: 5e-4` is a float to one reader and
a string to the other, so the examples write `0.0005`.
"""

import json

import pytest
import yaml

from crucible_trainer import protocol

RECIPES = protocol.protocol_dir().parent / "recipes"


def _recipes():
    return [pytest.param(p, id=p.name) for p in sorted(RECIPES.glob("*.yaml"))]


def test_there_are_example_recipes():
    names = {p.name for p in RECIPES.glob("*.yaml")}
    assert {"cpt-acme-30-70.yaml", "sft-acme.yaml", "pipeline-acme.yaml"} <= names


@pytest.mark.parametrize("path", _recipes())
def test_example_recipe_is_valid(path):
    text = path.read_text()
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "crucible run start" in header, f"{path.name}: its header comment says how to run it"
    found = protocol.problems("recipe", yaml.safe_load(text))
    assert found == [], f"{path.name}: {found}"


@pytest.mark.parametrize("path", _recipes())
def test_example_recipe_shares_sum_to_one(path):
    doc = yaml.safe_load(path.read_text())
    for stage in doc.get("stages", [doc]):
        assert sum(s["share"] for s in stage["data"]) == pytest.approx(1.0, abs=1e-6)


def test_recipe_hyperparameters_are_the_job_specs():
    recipe = json.loads((protocol.protocol_dir() / "recipe.schema.json").read_text())
    spec = json.loads((protocol.protocol_dir() / "job-spec.schema.json").read_text())
    assert recipe["$defs"]["hyperparameters"] == spec["$defs"]["hyperparameters"]
    assert recipe["$defs"]["checkpoint"] == spec["properties"]["checkpoint"]
    assert recipe["$defs"]["runtime"] == spec["properties"]["runtime"]
