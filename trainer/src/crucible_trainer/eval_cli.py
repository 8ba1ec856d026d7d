"""The measuring commands: `generate` and `nano score` (wired into cli.py).

Both print results on stdout (JSONL completions; one JSON object of metrics) and everything else
on stderr, and exit 2 with a message naming the file, line or field and the fix on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def _decoding_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint", required=True, help="Hugging Face model directory (a trainer checkpoint)"
    )
    parser.add_argument(
        "--max-new-tokens", type=_positive, default=32, help="most tokens generated per prompt"
    )
    parser.add_argument(
        "--batch-size", type=_positive, default=32, help="prompts decoded together (same output)"
    )
    parser.add_argument(
        "--threads", type=_positive, default=None, help="CPU threads (default: torch's choice)"
    )
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")


def add_commands(commands: Any, nano_commands: Any) -> None:
    generate = commands.add_parser(
        "generate",
        help="greedy completions of chat prompts from a checkpoint; one JSON line per prompt "
        '{"id", "completion", "tokens", "finish_reason"}, in input order',
    )
    _decoding_flags(generate)
    generate.add_argument(
        "--prompts",
        required=True,
        help='JSONL file, one {"id": str, "messages": [{"role", "content"}, ...]} per line',
    )
    generate.add_argument("--out", default=None, help="write the JSONL here (default: stdout)")

    score = nano_commands.add_parser(
        "score",
        help="measure a checkpoint on the nano held-out eval sets (general accuracy, refusal "
        "and over-refusal rates, domain accuracy with --acme-eval); prints one JSON object",
    )
    _decoding_flags(score)
    score.add_argument(
        "--eval-dir", required=True, help="<home>/bases/nano-<preset>/eval from `nano build`"
    )
    score.add_argument(
        "--acme-eval", default=None, help="acme-eval.jsonl from `nano acme` (domain accuracy)"
    )
    score.add_argument(
        "--details", default=None, help="write each item's completion and verdict here (JSONL)"
    )


def _generator(args: argparse.Namespace) -> Any:
    from transformers.utils import logging as hf_logging

    from crucible_trainer.generate import Generator

    hf_logging.disable_progress_bar()
    return Generator(Path(args.checkpoint), args.device, args.threads)


def _log_timing(checkpoint: str, started: float, loaded: float, work: str) -> None:
    took = time.monotonic() - loaded
    print(f"loaded {checkpoint} in {loaded - started:.1f}s; {work} in {took:.1f}s", file=sys.stderr)


def run_generate(args: argparse.Namespace) -> int:
    from crucible_trainer.generate import output_lines, read_prompts

    records = read_prompts(Path(args.prompts))  # before loading the model: fail fast
    started = time.monotonic()
    generator = _generator(args)
    loaded = time.monotonic()
    completions = generator.chat(
        [r.messages for r in records],
        args.max_new_tokens,
        args.batch_size,
        ids=[r.id for r in records],
    )
    text = "".join(line + "\n" for line in output_lines(records, completions))
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    _log_timing(args.checkpoint, started, loaded, f"generated {len(records)} completion(s)")
    return 0


def run_score(args: argparse.Namespace) -> int:
    from crucible_trainer.nano.score import eval_items, score_checkpoint

    acme = Path(args.acme_eval) if args.acme_eval else None
    items = eval_items(Path(args.eval_dir), acme)  # every input checked before the model loads
    started = time.monotonic()
    generator = _generator(args)
    loaded = time.monotonic()
    metrics, details = score_checkpoint(generator, items, args.max_new_tokens, args.batch_size)
    if args.details:
        lines = (json.dumps(d, ensure_ascii=False) + "\n" for d in details)
        Path(args.details).write_text("".join(lines), encoding="utf-8")
    print(json.dumps(metrics))
    _log_timing(args.checkpoint, started, loaded, f"generated and scored {len(details)} prompt(s)")
    return 0
