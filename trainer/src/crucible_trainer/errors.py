"""The trainer's closed set of errors. Each knows its exit code and its `failed` event code."""

from __future__ import annotations

from typing import Literal

FailureCode = Literal[
    "bad_input",
    "data_error",
    "base_checkpoint_error",
    "checkpoint_error",
    "out_of_memory",
    "nonfinite_loss",
    "internal",
]


class TrainerError(Exception):
    """Base of every error the trainer reports on purpose. The message says what and how to fix."""

    code: FailureCode = "internal"
    exit_code: int = 1


class SpecError(TrainerError):
    """The job spec is invalid. Carries every problem found, each naming its JSON path."""

    code: FailureCode = "bad_input"
    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid job spec ({len(problems)} problem(s)):\n{lines}")


class DataError(TrainerError):
    """A data source cannot be read, does not match its digest or holds a malformed record."""

    code: FailureCode = "data_error"


class BaseCheckpointError(TrainerError):
    """The base checkpoint is missing, unreadable or does not match its digest."""

    code: FailureCode = "base_checkpoint_error"


class CheckpointError(TrainerError):
    """Writing or reading one of this run's checkpoints failed."""

    code: FailureCode = "checkpoint_error"


class NonFiniteLossError(TrainerError):
    """The loss became NaN or infinite."""

    code: FailureCode = "nonfinite_loss"


class InputError(TrainerError):
    """A command's input (file, record, flag) is unusable; the message names it and the fix."""

    code: FailureCode = "bad_input"
    exit_code = 2
