"""Benchmark: Crucible's CPT loop vs transformers.Trainer on the same model, data and budget.

    .venv/bin/python bench/trainer/run.py                 # CPU, nano demo size, ~2-3 min
    .venv/bin/python bench/trainer/run.py --device cuda   # bf16 on a GPU
    .venv/bin/python bench/trainer/run.py --tokens 262144 --repeat 2

Prints JSON lines {bench, name, value, unit, baseline, ratio}; every baseline is measured in the
same run. Setup: a random-init Llama at the nano demo size (hidden 256, 4 layers, ~3.7M
parameters, seq 128) with the nano tokenizer, trained on the nano `pre` corpus (its document
length distribution). Both variants use the same AdamW hyperparameters, warmup + cosine schedule
(to 10%), gradient clipping, seed and real-token budget:
- ours: `crucible_trainer.train.run` — documents packed into full sequences with per-document
  position ids (no cross-document attention), no padding.
- baseline: `transformers.Trainer` with DataCollatorForLanguageModeling(mlm=False), i.e. one
  document per row padded to the longest in the batch; batch size chosen so a batch holds about
  as many real tokens as one of our steps.
tokens/s counts real (non-padding) tokens over training time only (no checkpoint writing).
MFU = 6 · parameters · tokens/s / (torch.mm FLOP/s, measured in each variant's process with the
same threads right after it trained; the highest of those is used). Each variant runs in its own
process so peak RSS is its own. On a shared machine use --repeat and read load_average_1m.

Wall-clock rates on a shared machine measure the neighbours as much as the code: a process that
gets a third of a core trains at a third of the speed, while the short matmul probe may catch a
quiet moment. So every rate is also measured per CPU-second of the process (`*_cpu` lines):
tokens per CPU-second of the training loop, and matmul FLOP per CPU-second, both in the same
process. With --threads 1 that is exactly what the wall-clock figure would be on an idle core;
with more threads, spinning or waiting threads count too, so it is a lower bound on efficiency.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = "trainer"
SEQ_LEN, ROWS = 128, 16
HYPER = {
    "lr": 1e-3,
    "warmup_steps": 10,
    "weight_decay": 0.1,
    "betas": (0.9, 0.95),
    "grad_clip": 1.0,
}


def _emit(name: str, value: float, unit: str, baseline: float | None = None) -> None:
    ratio = None if baseline in (None, 0) else value / baseline
    line = {"bench": BENCH, "name": name, "value": value, "unit": unit}
    line |= {"baseline": baseline, "ratio": ratio}
    print(json.dumps(line), flush=True)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- shared setup --------------------------------------------------------------------------------
def prepare(workdir: Path) -> dict:
    """Nano demo corpora, tokenizer and a random-init demo-size Llama, written to `workdir`."""
    import torch
    from crucible_trainer.checkpoint import directory_digest
    from crucible_trainer.data.jsonl_source import index_jsonl
    from crucible_trainer.nano.corpora import build_corpora, training_texts
    from crucible_trainer.nano.presets import PRESETS
    from crucible_trainer.nano.tokenizer import save_tokenizer, train_tokenizer
    from crucible_trainer.nano.world import generate_world
    from transformers import LlamaConfig, LlamaForCausalLM

    p = PRESETS["demo"]
    world = generate_world(p.seed, p.people, p.cities, p.companies, p.products)
    corpora = build_corpora(world, p.seed, p.arithmetic_items)
    tokenizer = train_tokenizer(training_texts(corpora), p.vocab_size)
    data = workdir / "pre.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in corpora.pre))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=p.hidden_size,
        intermediate_size=p.intermediate_size,
        num_hidden_layers=p.layers,
        num_attention_heads=p.heads,
        max_position_embeddings=2 * SEQ_LEN,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model_dir = workdir / "model"
    LlamaForCausalLM(config).save_pretrained(model_dir)
    save_tokenizer(tokenizer, model_dir)
    return {
        "model": str(model_dir),
        "model_digest": directory_digest(model_dir),
        "data": str(data),
        "data_digest": index_jsonl(data)[1],
    }


def matmul_flops(device: str) -> tuple[float, float]:
    """Sustained torch.mm rate (fp32 on CPU, bf16 on CUDA), best of several timed rounds:
    (FLOP per wall second, FLOP per CPU-second of this process)."""
    import torch

    n = 1024 if device == "cpu" else 8192
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best, best_cpu = 0.0, 0.0
    for _ in range(5):
        reps = 4 if device == "cpu" else 20
        if device == "cuda":
            torch.cuda.synchronize()
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            a @ b
        if device == "cuda":
            torch.cuda.synchronize()
        flop = 2 * n**3 * reps
        best = max(best, flop / (time.perf_counter() - t0))
        best_cpu = max(best_cpu, flop / max(time.process_time() - c0, 1e-9))
    return best, best_cpu


# -- variants (each in its own process) ----------------------------------------------------------
def run_ours(setup: dict, tokens: int, device: str, threads: int) -> dict:
    from crucible_trainer.events import EventEmitter, list_sink
    from crucible_trainer.spec import parse_spec
    from crucible_trainer.train import run

    steps = math.ceil(tokens / (ROWS * SEQ_LEN))
    with tempfile.TemporaryDirectory() as out:
        spec = {
            "protocol_version": 1,
            "run_id": "bench-ours",
            "stage": "cpt",
            "base": {"path": setup["model"], "digest": setup["model_digest"]},
            "data": {
                "sources": [
                    {
                        "name": "nano-pre",
                        "path": setup["data"],
                        "digest": setup["data_digest"],
                        "share": 1.0,
                        "format": "text",
                    }
                ]
            },
            "hyperparameters": {
                "lr": HYPER["lr"],
                "warmup_steps": HYPER["warmup_steps"],
                "schedule": "cosine",
                "min_lr_ratio": 0.1,
                "budget": {"steps": steps},
                "batch_size": ROWS,
                "seq_len": SEQ_LEN,
                "weight_decay": HYPER["weight_decay"],
                "betas": list(HYPER["betas"]),
                "grad_clip": HYPER["grad_clip"],
                "adapter": {"kind": "full"},
            },
            "seed": 0,
            "checkpoint": {"every_steps": steps},
            "output_dir": out,
            "runtime": {
                "device": device,
                "precision": "bf16" if device == "cuda" else "fp32",
                "threads": threads,
                "deterministic": device == "cpu",
            },
        }
        events: list[dict] = []
        cpu_at: dict[str, float] = {}  # CPU time of this process when each event was emitted
        collect = list_sink(events)

        def sink(event: dict) -> None:
            cpu_at[event["type"]] = time.process_time()
            collect(event)

        run(parse_spec(spec), EventEmitter("bench", sink))
    progress = [e for e in events if e["type"] == "progress"]
    started = events[0]
    # From `started` (just before the first step) to the last step's progress event.
    train_cpu_s = cpu_at["progress"] - cpu_at["started"]
    return {
        "tokens": progress[-1]["tokens"],
        "tokens_per_s": progress[-1]["tokens_per_s"],
        "tokens_per_cpu_s": progress[-1]["tokens"] / train_cpu_s,
        "params": started["parameters"],
        "final_loss": progress[-1]["loss"],
        "peak_rss_mb": _peak_rss_mb(),
    }


def _cpu_clock() -> Any:
    """A TrainerCallback (built here: transformers is slow to import)."""
    from transformers import TrainerCallback

    class CpuClock(TrainerCallback):
        """CPU time of this process from the first to the end of the last training step."""

        def on_train_begin(self, args, state, control, **kwargs):
            self.start = time.process_time()

        def on_train_end(self, args, state, control, **kwargs):
            self.seconds = time.process_time() - self.start

    return CpuClock()


def run_hf(setup: dict, tokens: int, device: str, threads: int) -> dict:
    import torch
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForLanguageModeling,
        Trainer,
        TrainingArguments,
    )

    torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(setup["model"])
    texts = [json.loads(line)["text"] for line in Path(setup["data"]).read_text().splitlines()]
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    rows = [
        {
            "input_ids": ([bos] + tokenizer(t, add_special_tokens=False)["input_ids"] + [eos])[
                :SEQ_LEN
            ]
        }
        for t in texts
    ]
    mean_len = statistics.fmean(len(r["input_ids"]) for r in rows)
    batch = max(1, round(ROWS * SEQ_LEN / mean_len))
    steps = math.ceil(tokens / (batch * mean_len))
    model = AutoModelForCausalLM.from_pretrained(
        setup["model"], dtype=torch.float32, attn_implementation="sdpa"
    )
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=batch,
            max_steps=steps,
            learning_rate=HYPER["lr"],
            warmup_steps=HYPER["warmup_steps"],
            lr_scheduler_type="cosine_with_min_lr",
            lr_scheduler_kwargs={"min_lr_rate": 0.1},
            weight_decay=HYPER["weight_decay"],
            adam_beta1=HYPER["betas"][0],
            adam_beta2=HYPER["betas"][1],
            max_grad_norm=HYPER["grad_clip"],
            logging_strategy="no",
            save_strategy="no",
            report_to="none",
            seed=0,
            dataloader_num_workers=0,
            use_cpu=device == "cpu",
            bf16=device == "cuda",
            include_num_input_tokens_seen="non_padding",
            disable_tqdm=True,
        )
        collator = DataCollatorForLanguageModeling(tokenizer, mlm=False)
        cpu = _cpu_clock()
        trainer = Trainer(
            model=model, args=args, train_dataset=rows, data_collator=collator, callbacks=[cpu]
        )
        result = trainer.train()
    seen = int(trainer.state.num_input_tokens_seen)
    return {
        "tokens": seen,
        "tokens_per_s": seen / result.metrics["train_runtime"],
        "tokens_per_cpu_s": seen / cpu.seconds,
        "params": sum(p.numel() for p in model.parameters()),
        "final_loss": result.training_loss,
        "peak_rss_mb": _peak_rss_mb(),
        "rows_per_batch": batch,
        "mean_doc_tokens": mean_len,
    }


def _child(variant: str, setup: dict, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--variant", variant, "--setup", json.dumps(setup)]
    cmd += [
        "--tokens",
        str(args.tokens),
        "--device",
        args.device,
        "--threads",
        str(args.threads),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench variant {variant} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--tokens", type=int, default=ROWS * SEQ_LEN * 24, help="real-token budget")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=2, help="runs per variant; best is kept")
    parser.add_argument("--variant", choices=["ours", "hf"], help=argparse.SUPPRESS)
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.variant:
        runner = run_ours if args.variant == "ours" else run_hf
        result = runner(json.loads(args.setup), args.tokens, args.device, args.threads)
        # Peak measured in the same process, with the same threads, right after training.
        result["matmul_flops"], result["matmul_flops_per_cpu_s"] = matmul_flops(args.device)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as work:
        setup = prepare(Path(work))
        results: dict[str, list[dict]] = {"ours": [], "hf": []}
        for _ in range(args.repeat):  # interleaved, so drift in machine load hits both
            for variant in ("ours", "hf"):
                results[variant].append(_child(variant, setup, args))
    # The highest matmul rate seen by any variant: MFU is never flattered by a slow moment.
    peak = max(r["matmul_flops"] for runs in results.values() for r in runs)
    ours = max(results["ours"], key=lambda r: r["tokens_per_s"])
    hf = max(results["hf"], key=lambda r: r["tokens_per_s"])
    _emit("tokens_per_s", ours["tokens_per_s"], "tokens/s", hf["tokens_per_s"])
    mfu = 6 * ours["params"] * ours["tokens_per_s"] / peak
    hf_mfu = 6 * hf["params"] * hf["tokens_per_s"] / peak
    _emit("mfu", mfu, "fraction", hf_mfu)
    _emit("matmul_flops", peak, "FLOP/s")
    # The same figures per CPU-second of each process (see the module docstring).
    peak_cpu = max(r["matmul_flops_per_cpu_s"] for runs in results.values() for r in runs)
    ours_cpu = max(results["ours"], key=lambda r: r["tokens_per_cpu_s"])
    hf_cpu = max(results["hf"], key=lambda r: r["tokens_per_cpu_s"])
    _emit(
        "tokens_per_cpu_s", ours_cpu["tokens_per_cpu_s"], "tokens/CPU-s", hf_cpu["tokens_per_cpu_s"]
    )
    mfu_cpu = 6 * ours_cpu["params"] * ours_cpu["tokens_per_cpu_s"] / peak_cpu
    _emit(
        "mfu_cpu", mfu_cpu, "fraction", 6 * hf_cpu["params"] * hf_cpu["tokens_per_cpu_s"] / peak_cpu
    )
    _emit("matmul_flops_cpu", peak_cpu, "FLOP/CPU-s")
    _emit("threads", args.threads, "threads")
    _emit("peak_rss", ours["peak_rss_mb"], "MiB", hf["peak_rss_mb"])
    _emit("tokens_trained", ours["tokens"], "tokens", hf["tokens"])
    _emit("final_loss", ours["final_loss"], "nats/token", hf["final_loss"])
    _emit("parameters", ours["params"], "parameters")
    # Context for reading the numbers: other processes competing for the CPU during the run.
    _emit("load_average_1m", os.getloadavg()[0], "runnable processes")


if __name__ == "__main__":
    main()
