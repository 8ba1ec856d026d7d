"""Command line: `python -m crucible_trainer <command>`.

Exit codes follow the Crucible CLI: 0 success, 2 bad input (message names the field and the
fix), 1 anything else. `run` writes protocol events on stdout and logs on stderr.
"""

from __future__ import annotations

import argparse
import sys

from crucible_trainer import __version__
from crucible_trainer.errors import SpecError
from crucible_trainer.spec import load_spec


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crucible_trainer",
        description="Crucible trainer: CPT with exact data mixing, SFT, structured checkpoints.",
    )
    parser.add_argument("--version", action="version", version=f"crucible-trainer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check-spec", help="validate a job spec (exit 0 if valid, 2 with every problem if not)"
    )
    check.add_argument("--spec", required=True, help="path to the job spec JSON file")
    return parser


def _check_spec(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    print(f"ok: {spec.run_id} ({spec.stage}, {spec.hyper.steps} steps)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check-spec":
            return _check_spec(args)
    except SpecError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    raise AssertionError(f"unhandled command {args.command}")
