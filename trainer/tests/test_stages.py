"""The trainer trains exactly the stages protocol/stage.schema.json lists, one module each."""

import pkgutil

import pytest
from conftest import make_spec

from crucible_trainer import protocol, stages
from crucible_trainer.errors import SpecError
from crucible_trainer.spec import parse_spec


def test_every_protocol_stage_has_a_module_and_every_module_is_a_protocol_stage():
    modules = {m.name for m in pkgutil.iter_modules(stages.__path__) if not m.name.startswith("_")}
    assert modules == set(protocol.stages()), (
        "stages/<name>.py and protocol/stage.schema.json's enum must name the same stages"
    )
    for name in protocol.stages():
        module = stages.module(name)
        assert callable(module.encoder) and callable(module.start), f"stages/{name}.py"
        assert protocol.stage_formats(name), f"$defs/formats names no format for {name}"


def test_a_stage_the_protocol_does_not_list_has_no_module():
    with pytest.raises(ValueError) as refused:
        stages.module("rft")
    allowed = ", ".join(protocol.stages())
    assert str(refused.value) == f"unknown stage 'rft'; expected one of {allowed}"


def test_a_job_spec_naming_an_unimplemented_stage_is_refused_with_the_allowed_ones(
    tiny_llama, data_files, tmp_path
):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out")
    doc["stage"] = "rft"
    with pytest.raises(SpecError) as refused:
        parse_spec(doc)
    allowed = ", ".join(f'"{s}"' for s in protocol.stages())
    assert "$.stage: 'rft' is not one of" in str(refused.value)
    assert f'(value "rft"); fix: use one of {allowed}' in str(refused.value)


def test_each_source_must_be_in_a_format_its_stage_trains_on(tiny_llama, data_files, tmp_path):
    doc = make_spec(tiny_llama, data_files, tmp_path / "out")
    doc["data"]["sources"][0]["format"] = "preference"
    with pytest.raises(SpecError, match=r"\$\.data\.sources\[0\]\.format: stage cpt cannot train"):
        parse_spec(doc)
