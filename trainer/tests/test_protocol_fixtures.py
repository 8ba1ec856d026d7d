"""Every shared fixture validates (valid/) or fails (invalid/) against its schema."""

import json

import pytest

from crucible_trainer import protocol

FIXTURES = protocol.protocol_dir() / "fixtures"


def _fixtures(validity: str) -> list:
    cases = []
    for name in protocol.SCHEMA_NAMES:
        for path in sorted((FIXTURES / name / validity).glob("*.json")):
            cases.append(pytest.param(name, path, id=f"{name}/{path.stem}"))
    return cases


def test_every_schema_has_valid_and_invalid_fixtures():
    for name in protocol.SCHEMA_NAMES:
        assert list((FIXTURES / name / "valid").glob("*.json")), f"no valid fixtures for {name}"
        assert list((FIXTURES / name / "invalid").glob("*.json")), f"no invalid fixtures for {name}"


@pytest.mark.parametrize("name", protocol.SCHEMA_NAMES)
def test_schema_has_crucible_id_and_versioned_documents(name):
    schema = json.loads((protocol.protocol_dir() / f"{name}.schema.json").read_text())
    assert schema["$id"] == f"crucible:protocol/{name}"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(("name", "path"), _fixtures("valid"))
def test_valid_fixture_validates(name, path):
    found = protocol.problems(name, json.loads(path.read_text()))
    assert found == [], f"{path} should be valid but: {found}"


@pytest.mark.parametrize(("name", "path"), _fixtures("invalid"))
def test_invalid_fixture_fails(name, path):
    assert protocol.problems(name, json.loads(path.read_text())), f"{path} should be invalid"


def test_protocol_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("CRUCIBLE_PROTOCOL_DIR", str(tmp_path))
    assert protocol.protocol_dir() == tmp_path
