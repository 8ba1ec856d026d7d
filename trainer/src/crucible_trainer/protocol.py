"""Locate and apply the shared JSON Schemas in `protocol/` (the contract with the TS side)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

SCHEMA_NAMES = (
    "job-spec",
    "events",
    "checkpoint-manifest",
    "recipe",
    "stage",
    "generation-request",
    "generation-events",
)
PROTOCOL_VERSION = 1


def protocol_dir() -> Path:
    """`$CRUCIBLE_PROTOCOL_DIR` if set, else the `protocol/` folder of the enclosing repository."""
    override = os.environ.get("CRUCIBLE_PROTOCOL_DIR")
    if override:
        return Path(override)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "protocol"
        if (candidate / "job-spec.schema.json").is_file():
            return candidate
    raise FileNotFoundError(
        "cannot find protocol/job-spec.schema.json above "
        f"{Path(__file__).resolve()}; set CRUCIBLE_PROTOCOL_DIR to the protocol directory"
    )


@cache
def schema(name: str) -> dict[str, Any]:
    """`protocol/<name>.schema.json`, parsed and checked against the metaschema."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema {name!r}; expected one of {SCHEMA_NAMES}")
    document = json.loads((protocol_dir() / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(document)
    return document


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for `protocol/<name>.schema.json`; a `$ref` to another protocol schema
    (`crucible:protocol/stage`) resolves to that file."""
    registry: Registry = Registry().with_resources(
        (schema(n)["$id"], Resource.from_contents(schema(n))) for n in SCHEMA_NAMES
    )
    return Draft202012Validator(schema(name), registry=registry)


def stages() -> tuple[str, ...]:
    """The training stages, from protocol/stage.schema.json: the one list of them. Each is
    trained by the module of its name in crucible_trainer/stages/."""
    return tuple(schema("stage")["enum"])


def stage_formats(stage: str) -> tuple[str, ...]:
    """The source formats `stage` trains on (protocol/stage.schema.json `$defs/formats`)."""
    return tuple(schema("stage")["$defs"]["formats"]["const"][stage])


def model_types() -> tuple[str, ...]:
    """The Hugging Face model types the trainer loads and trains, from
    protocol/checkpoint-manifest.schema.json `$defs/model_type`: the one list of them."""
    return tuple(schema("checkpoint-manifest")["$defs"]["model_type"]["enum"])


def json_path(path: Any) -> str:
    """Render a jsonschema error path as `$.a.b[0].c`."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _fix_hint(error: ValidationError) -> str:
    v, expected = error.validator, error.validator_value
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"remove the field or fix its spelling; allowed fields: {', '.join(allowed)}"
    if v == "enum":
        return f"use one of {', '.join(json.dumps(x) for x in expected)}"
    if v == "const":
        return f"set it to {json.dumps(expected)}"
    if v == "type":
        return f"use a value of type {expected}"
    if v == "pattern":
        return f"use a string matching {expected}"
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"use a value within the allowed range ({v} {expected})"
    if v in ("minItems", "maxItems", "minLength", "uniqueItems"):
        return f"fix the length ({v} {expected})"
    return "see protocol/job-spec.schema.json"


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf failures, the errors of the branch that came closest to matching."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        by_branch: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            by_branch.setdefault(sub.schema_path[0], []).append(sub)
        # Prefer the branch whose discriminator (`kind`) matched, then the one with fewest errors.
        best = min(
            by_branch.values(),
            key=lambda errs: (any(e.validator == "const" for e in errs), len(errs)),
        )
        return [leaf for sub in best for leaf in _leaf_errors(sub)]
    return [error]


def problems(name: str, document: Any) -> list[str]:
    """Every schema violation of `document`, each as `<json path>: <what> (value ...); fix: ...`."""
    found = []
    for error in sorted(validator(name).iter_errors(document), key=lambda e: list(e.path)):
        for leaf in _leaf_errors(error):
            where = json_path(leaf.absolute_path)
            if leaf.validator == "required":
                for missing in [k for k in leaf.validator_value if k not in leaf.instance]:
                    found.append(f"{where}.{missing}: required field is missing; fix: add it")
                continue
            if leaf.validator == "additionalProperties":
                allowed = set(leaf.schema.get("properties", {}))
                for extra in [k for k in leaf.instance if k not in allowed]:
                    found.append(f"{where}.{extra}: unknown field; fix: {_fix_hint(leaf)}")
                continue
            value = json.dumps(leaf.instance)
            if len(value) > 80:
                value = value[:77] + "..."
            found.append(f"{where}: {leaf.message} (value {value}); fix: {_fix_hint(leaf)}")
    # jsonschema reports one `required` error per missing field, each listing them all
    return list(dict.fromkeys(found))
