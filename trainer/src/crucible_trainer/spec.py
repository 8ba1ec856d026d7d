"""The JobSpec as typed dataclasses: schema-validated, semantically checked, defaults resolved."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from crucible_trainer import protocol
from crucible_trainer.errors import SpecError

SHARE_TOLERANCE = 1e-6


def _help(text: str, **kwargs: Any) -> Any:
    return field(metadata={"help": text}, **kwargs)


@dataclass(frozen=True)
class SourceSpec:
    name: str = _help("Source name; the key of per-source token counts.")
    path: str = _help(
        "JSONL file: {'text': ...}, {'messages': [...]} or {'prompt', 'chosen', 'rejected'}."
    )
    digest: str = _help("sha256:<hex> of the file's bytes; checked before training.")
    share: float = _help("Share of the final token stream taken from this source.")
    format: Literal["text", "chat", "preference"] = _help(
        "text: plain documents; chat: OpenAI messages; preference: pairs. Each stage trains on "
        "some of them (protocol/stage.schema.json $defs/formats)."
    )


@dataclass(frozen=True)
class AdapterSpec:
    kind: Literal["full", "lora"] = _help("full fine-tuning or LoRA adapters.")
    r: int = _help("LoRA rank.", default=8)
    alpha: float = _help("LoRA scaling numerator (scale = alpha / r).", default=16.0)
    dropout: float = _help("Dropout on the LoRA input.", default=0.0)
    target_modules: tuple[str, ...] = _help(
        "Module names that get adapters.", default=("q_proj", "k_proj", "v_proj", "o_proj")
    )


@dataclass(frozen=True)
class Hyperparameters:
    lr: float = _help("Peak learning rate.")
    steps: int = _help("Optimizer steps (token budgets are rounded up to whole steps).")
    batch_size: int = _help("Packed sequences per micro-batch.")
    seq_len: int = _help("Tokens per packed sequence.")
    adapter: AdapterSpec = _help("Full fine-tuning or LoRA.")
    grad_accum: int = _help("Micro-batches per optimizer step.", default=1)
    warmup_steps: int = _help("Linear warmup steps from 0 to lr.", default=0)
    schedule: Literal["cosine", "linear", "constant"] = _help(
        "Decay after warmup.", default="cosine"
    )
    min_lr_ratio: float = _help("Final lr as a fraction of lr.", default=0.1)
    weight_decay: float = _help("AdamW weight decay (not applied to norms/biases).", default=0.0)
    betas: tuple[float, float] = _help("AdamW betas.", default=(0.9, 0.95))
    grad_clip: float = _help("Max global gradient norm.", default=1.0)

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.grad_accum * self.seq_len


@dataclass(frozen=True)
class DpoSpec:
    beta: float = _help("Pull towards the reference (the base): lower lets it move further.")


@dataclass(frozen=True)
class EvalSpec:
    every_steps: int = _help("Evaluate held-out loss every N steps (and at the end).")
    sources: tuple[SourceSpec, ...] = _help("Held-out sources (share is ignored).")
    max_sequences: int = _help("Packed sequences evaluated per source.", default=64)


@dataclass(frozen=True)
class RuntimeSpec:
    device: Literal["auto", "cpu", "cuda"] = _help("Where to train.", default="auto")
    precision: Literal["fp32", "bf16"] = _help(
        "bf16 autocast (CUDA, or a CPU with native bf16); weights stay fp32.", default="fp32"
    )
    threads: int | None = _help("torch intra-op threads (None: all cores).", default=None)
    deterministic: bool = _help("torch.use_deterministic_algorithms.", default=True)


@dataclass(frozen=True)
class JobSpec:
    run_id: str = _help("Identifier echoed in every event.")
    stage: str = _help("Training stage: one of protocol/stage.schema.json (protocol.stages()).")
    base_path: str = _help("Base checkpoint directory (Hugging Face format).")
    base_digest: str = _help(
        "sha256:<hex> of the base checkpoint (see checkpoint.directory_digest)."
    )
    sources: tuple[SourceSpec, ...] = _help("Data mix.")
    hyper: Hyperparameters = _help("Optimisation settings.")
    seed: int = _help("Seed of model init randomness, dropout and data order.")
    checkpoint_every: int = _help("Checkpoint every N steps.")
    output_dir: str = _help("Where checkpoints go.")
    keep_last: int | None = _help("Keep only the newest N intermediate checkpoints.", default=None)
    resume: bool = _help("Continue from the latest valid checkpoint in output_dir.", default=True)
    eval: EvalSpec | None = _help("Held-out loss evaluation.", default=None)
    dpo: DpoSpec | None = _help(
        "DPO settings (stage dpo only; beta defaults to 0.1).", default=None
    )
    runtime: RuntimeSpec = _help("Device and reproducibility.", default_factory=RuntimeSpec)
    digest: str = _help("sha256 of the canonical JSON of the spec as given.", default="")

    def resolved(self) -> dict[str, Any]:
        """The spec with every default filled in (stored in each checkpoint manifest)."""
        return dataclasses.asdict(self)


def canonical_digest(document: Any) -> str:
    """sha256 of the canonical JSON (sorted keys, no whitespace) of a document."""
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def _source(d: dict[str, Any]) -> SourceSpec:
    return SourceSpec(d["name"], d["path"], d["digest"], float(d.get("share", 0.0)), d["format"])


def _semantic_problems(doc: dict[str, Any]) -> list[str]:
    found = []
    sources = doc["data"]["sources"]
    total = math.fsum(s["share"] for s in sources)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        shares = ", ".join(f"{s['name']}={s['share']}" for s in sources)
        found.append(
            f"$.data.sources: shares must sum to 1 but sum to {total:.6g} ({shares}); "
            "fix: scale the shares so they add up to 1"
        )
    found.extend(_stage_problems(doc))
    names = [s["name"] for s in sources]
    for i, name in enumerate(names):
        if name in names[:i]:
            found.append(
                f"$.data.sources[{i}].name: duplicate source name (value {json.dumps(name)}); "
                "fix: give every source a unique name"
            )
    return found


def _stage_problems(doc: dict[str, Any]) -> list[str]:
    """Every source (held-out ones too) in a format the stage trains on; a stage's settings
    (`$.dpo`) only in a job of that stage."""
    found = []
    stage = doc["stage"]
    formats = protocol.stage_formats(stage)
    want = " or ".join(formats)
    for i, source in enumerate(doc["data"]["sources"]):
        if source["format"] not in formats:
            found.append(
                f"$.data.sources[{i}].format: stage {stage} cannot train on format "
                f"{source['format']!r} (value {json.dumps(source['format'])}); fix: use {want} "
                "data for this stage"
            )
    for i, source in enumerate(doc.get("eval", {}).get("sources", [])):
        if source["format"] not in formats:
            found.append(
                f"$.eval.sources[{i}].format: held-out loss on {source['format']} data means "
                f"nothing to stage {stage}, which trains on {want}; fix: remove eval from this "
                f"{stage} job"
            )
    for other in protocol.stages():
        if other in doc and other != stage:
            found.append(
                f"$.{other}: settings for the {other} stage in a {stage} job; fix: remove them "
                f"or set stage to {other}"
            )
    return found


def parse_spec(document: Any) -> JobSpec:
    """Validate a JobSpec document against the schema and the rules the schema cannot express.

    Raises SpecError listing every problem at once, each naming its JSON path and a fix.
    """
    found = protocol.problems("job-spec", document)
    if not found:
        found = _semantic_problems(document)
    if found:
        raise SpecError(found)
    h = document["hyperparameters"]
    a = h["adapter"]
    adapter = AdapterSpec(
        kind=a["kind"],
        r=a.get("r", 8),
        alpha=float(a.get("alpha", 16.0)),
        dropout=float(a.get("dropout", 0.0)),
        target_modules=tuple(a.get("target_modules", AdapterSpec.target_modules)),
    )
    tokens_per_step = h["batch_size"] * h.get("grad_accum", 1) * h["seq_len"]
    budget = h["budget"]
    steps = budget["steps"] if "steps" in budget else -(-budget["tokens"] // tokens_per_step)
    hyper = Hyperparameters(
        lr=float(h["lr"]),
        steps=steps,
        batch_size=h["batch_size"],
        seq_len=h["seq_len"],
        adapter=adapter,
        grad_accum=h.get("grad_accum", 1),
        warmup_steps=h.get("warmup_steps", 0),
        schedule=h.get("schedule", "cosine"),
        min_lr_ratio=float(h.get("min_lr_ratio", 0.1)),
        weight_decay=float(h.get("weight_decay", 0.0)),
        betas=tuple(h.get("betas", (0.9, 0.95))),
        grad_clip=float(h.get("grad_clip", 1.0)),
    )
    ev = document.get("eval")
    rt = document.get("runtime", {})
    return JobSpec(
        run_id=document["run_id"],
        stage=document["stage"],
        base_path=document["base"]["path"],
        base_digest=document["base"]["digest"],
        sources=tuple(_source(s) for s in document["data"]["sources"]),
        hyper=hyper,
        seed=document["seed"],
        checkpoint_every=document["checkpoint"]["every_steps"],
        keep_last=document["checkpoint"].get("keep_last"),
        output_dir=document["output_dir"],
        resume=document.get("resume", True),
        dpo=DpoSpec(beta=float(document.get("dpo", {}).get("beta", 0.1)))
        if document["stage"] == "dpo"
        else None,
        eval=None
        if ev is None
        else EvalSpec(
            every_steps=ev["every_steps"],
            sources=tuple(_source(s) for s in ev["sources"]),
            max_sequences=ev.get("max_sequences", 64),
        ),
        runtime=RuntimeSpec(
            device=rt.get("device", "auto"),
            precision=rt.get("precision", "fp32"),
            threads=rt.get("threads"),
            deterministic=rt.get("deterministic", True),
        ),
        digest=canonical_digest(document),
    )


def load_spec(path: str | Path) -> JobSpec:
    """Read and parse a JobSpec file; unreadable or non-JSON files are SpecErrors too."""
    try:
        document = json.loads(Path(path).read_text())
    except FileNotFoundError:
        problem = f"--spec: file not found (value {str(path)!r}); fix: pass an existing path"
        raise SpecError([problem]) from None
    except json.JSONDecodeError as e:
        problem = f"$: not valid JSON at line {e.lineno} column {e.colno}: {e.msg}; fix: repair it"
        raise SpecError([problem]) from None
    return parse_spec(document)
