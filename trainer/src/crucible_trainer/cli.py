"""Command line: `python -m crucible_trainer <command>`.

Exit codes follow the Crucible CLI: 0 success, 2 bad input (message names the field and the
fix), 1 anything else. `run` writes protocol events on stdout and logs on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path

from crucible_trainer import __version__
from crucible_trainer.errors import TrainerError
from crucible_trainer.eval_cli import add_commands as add_eval_commands
from crucible_trainer.eval_cli import run_generate, run_score
from crucible_trainer.events import EventEmitter, claim_stdout, stream_sink
from crucible_trainer.spec import load_spec


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crucible_trainer",
        description="Crucible trainer: CPT with exact data mixing, SFT, structured checkpoints, "
        "greedy generation and nano evals.",
    )
    parser.add_argument("--version", action="version", version=f"crucible-trainer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run a training job; JSONL events on stdout, logs on stderr"
    )
    run.add_argument("--spec", required=True, help="path to the job spec JSON file")

    check = commands.add_parser(
        "check-spec", help="validate a job spec (exit 0 if valid, 2 with every problem if not)"
    )
    check.add_argument("--spec", required=True, help="path to the job spec JSON file")

    nano = commands.add_parser("nano", help="the nano base family (pre, mid, post checkpoints)")
    nano_commands = nano.add_subparsers(dest="nano_command", required=True, metavar="ACTION")
    build = nano_commands.add_parser(
        "build",
        help="generate the nano corpora and train pre -> mid -> post (reused when cached); "
        "events on stdout",
    )
    build.add_argument("--preset", choices=["tiny", "demo"], default="tiny")
    build.add_argument(
        "--home",
        default=None,
        help="Crucible home (default: $CRUCIBLE_HOME or ./.crucible); output goes to "
        "<home>/bases/nano-<preset>/",
    )

    acme = nano_commands.add_parser(
        "acme",
        help="generate the demo's acme-handbook customer dataset (new products in the world's "
        "relations, support transcripts with planted PII, secrets and canaries, held-out eval); "
        "prints a JSON summary on stdout",
    )
    acme.add_argument("--out", required=True, help="directory to write the JSONL files into")
    acme.add_argument("--preset", choices=["tiny", "demo"], default="tiny")
    acme.add_argument("--seed", type=int, default=2024)

    add_eval_commands(commands, nano_commands)

    stream = commands.add_parser(
        "generate-stream",
        help="load a checkpoint once and answer generation requests, one JSON object per stdin "
        "line (protocol/generation-request.schema.json); events on stdout "
        "(protocol/generation-events.schema.json); used by `crucible generate` and `crucible chat`",
    )
    stream.add_argument("--checkpoint", required=True, help="Hugging Face model directory")
    stream.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    stream.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: torch's choice)"
    )

    digest = commands.add_parser(
        "digest", help="print the digest of a checkpoint directory or data file (for job specs)"
    )
    digest.add_argument("path", help="checkpoint directory or JSONL data file")
    return parser


def _run_id_of(path: str) -> str:
    """The run_id of a spec file, even an invalid one, so failures can name their run."""
    try:
        run_id = json.loads(Path(path).read_text()).get("run_id")
    except (OSError, ValueError, AttributeError):
        return "unknown"
    return run_id if isinstance(run_id, str) and run_id else "unknown"


def _run(args: argparse.Namespace) -> int:
    events = claim_stdout()
    # Under torchrun only rank 0 emits events; the other ranks log to stderr (distributed.py).
    rank = int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else 0
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s " + (f"rank{rank} " if rank else "") + "%(name)s %(message)s",
    )
    sink = stream_sink(events) if rank == 0 else _discard
    emitter = EventEmitter(_run_id_of(args.spec), sink)
    try:
        spec = load_spec(args.spec)
        from transformers.utils import logging as hf_logging

        from crucible_trainer import distributed  # heavy imports only once the spec is valid
        from crucible_trainer.train import run

        hf_logging.disable_progress_bar()

        run(spec, emitter, distributed.from_env(os.environ))
        return 0
    except TrainerError as e:
        print(f"error: {e}", file=sys.stderr)
        emitter.emit("failed", code=e.code, reason=str(e))
        return e.exit_code
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        oom = type(e).__name__ == "OutOfMemoryError"
        emitter.emit(
            "failed",
            code="out_of_memory" if oom else "internal",
            reason=f"{type(e).__name__}: {e}"
            + ("; fix: lower hyperparameters.batch_size" if oom else ""),
        )
        return 1


def _discard(event: dict) -> None:
    """The sink of ranks other than 0: their events would repeat rank 0's."""


def _nano_build(args: argparse.Namespace) -> int:
    events = claim_stdout()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    home = Path(args.home or os.environ.get("CRUCIBLE_HOME") or ".crucible")
    sink = stream_sink(events)
    emitter = EventEmitter(f"nano-{args.preset}", sink)
    try:
        from transformers.utils import logging as hf_logging

        from crucible_trainer.nano.build import build_nano

        hf_logging.disable_progress_bar()
        digests = build_nano(
            args.preset, home, lambda stage: EventEmitter(f"nano-{args.preset}-{stage}", sink)
        )
        for stage, digest in digests.items():
            print(f"nano-{args.preset}@{stage}: {digest}", file=sys.stderr)
        return 0
    except TrainerError as e:
        print(f"error: {e}", file=sys.stderr)
        emitter.emit("failed", code=e.code, reason=str(e))
        return e.exit_code
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        emitter.emit("failed", code="internal", reason=f"{type(e).__name__}: {e}")
        return 1


def _generate_stream(args: argparse.Namespace) -> int:
    events = claim_stdout()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    from transformers.utils import logging as hf_logging

    from crucible_trainer.generate_stream import serve

    hf_logging.disable_progress_bar()
    return serve(Path(args.checkpoint), sys.stdin, stream_sink(events), args.device, args.threads)


def _check_spec(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    print(f"ok: {spec.run_id} ({spec.stage}, {spec.hyper.steps} steps)", file=sys.stderr)
    return 0


def _digest(args: argparse.Namespace) -> int:
    from crucible_trainer.checkpoint import directory_digest
    from crucible_trainer.data.jsonl_source import index_jsonl

    path = Path(args.path)
    digest = directory_digest(path) if path.is_dir() else index_jsonl(path)[1]
    print(digest)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    if args.command == "nano" and args.nano_command == "acme":
        from crucible_trainer.nano.acme import build_acme

        print(json.dumps(build_acme(Path(args.out), args.preset, args.seed)))
        return 0
    if args.command == "nano" and args.nano_command == "build":
        return _nano_build(args)
    if args.command == "generate-stream":
        return _generate_stream(args)
    try:
        if args.command == "generate":
            return run_generate(args)
        if args.command == "nano" and args.nano_command == "score":
            return run_score(args)
        if args.command == "check-spec":
            return _check_spec(args)
        if args.command == "digest":
            return _digest(args)
    except TrainerError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    raise AssertionError(f"unhandled command {args.command}")
