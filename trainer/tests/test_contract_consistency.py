"""The Python side's closed code lists match the shared schemas; layering rules hold."""

import ast
import json
import typing
from pathlib import Path

from crucible_trainer import protocol
from crucible_trainer.errors import FailureCode

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "crucible_trainer"


def _schema(name):
    return json.loads((protocol.protocol_dir() / f"{name}.schema.json").read_text())


def test_failure_codes_match_the_events_schema():
    enum = _schema("events")["$defs"]["failed"]["properties"]["code"]["enum"]
    assert sorted(typing.get_args(FailureCode)) == sorted(enum)


def test_warning_codes_emitted_by_the_trainer_exist_in_the_schema():
    enum = set(_schema("events")["$defs"]["warning"]["properties"]["code"]["enum"])
    source = (PACKAGE / "train.py").read_text()
    emitted = {code for code in enum if f'code="{code}"' in source}
    assert emitted == enum - {"other"}, "every schema warning code is emitted, and no others"


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def test_lower_layers_never_import_the_recipe_or_the_cli():
    """data/, stages/ and the helpers stay usable on their own: no imports of train, the CLI
    (cli.py, eval_cli.py) or nano."""
    upper = ("crucible_trainer.train", "crucible_trainer.cli", "crucible_trainer.nano")
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in ("train.py", "cli.py", "eval_cli.py", "__main__.py") or rel.startswith("nano/"):
            continue
        bad = [m for m in _imports(path) if m.startswith(upper)]
        assert bad == [], f"{rel} imports {bad}"
