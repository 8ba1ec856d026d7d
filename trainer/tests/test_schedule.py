"""The learning-rate schedule: warmup, then decay to lr·min_lr_ratio."""

import itertools

import pytest

from crucible_trainer.schedule import lr_at
from crucible_trainer.spec import AdapterSpec, Hyperparameters


def _h(schedule, warmup=10, steps=110):
    return Hyperparameters(
        lr=1.0,
        steps=steps,
        batch_size=1,
        seq_len=8,
        adapter=AdapterSpec("full"),
        warmup_steps=warmup,
        schedule=schedule,
        min_lr_ratio=0.1,
    )


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
def test_warmup_rises_linearly_then_decays_to_the_floor(schedule):
    h = _h(schedule)
    assert lr_at(0, h) == pytest.approx(0.1)
    assert lr_at(9, h) == pytest.approx(1.0)
    assert lr_at(10, h) == pytest.approx(1.0)
    assert lr_at(109, h) == pytest.approx(0.1)
    decay = [lr_at(s, h) for s in range(10, 110)]
    assert all(a >= b for a, b in itertools.pairwise(decay)), "decay must be monotone"


def test_constant_schedule_stays_at_peak():
    assert {lr_at(s, _h("constant")) for s in range(10, 110)} == {1.0}
