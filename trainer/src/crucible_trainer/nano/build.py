"""Build the nano family: corpora → tokenizer → random-init Llama → pre → mid → post.

Every stage is an ordinary job of this trainer (pre and mid are cpt jobs, post is an sft job) run
through train.run, so the base family is produced by the same code, events and checkpoints users
get. Results land in `<home>/bases/nano-<preset>/{pre,mid,post}` (Hugging Face format +
manifest.json) next to the corpora (usable as replay data) and the held-out eval sets. A finished
build whose recipe digest matches is reused as is.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from crucible_trainer import __version__, checkpoint
from crucible_trainer.data.jsonl_source import index_jsonl
from crucible_trainer.errors import CheckpointError
from crucible_trainer.events import EventEmitter, utc_now
from crucible_trainer.nano.corpora import CORPORA_FORMAT, build_corpora, tokenizer_texts
from crucible_trainer.nano.presets import PRESETS, NanoPreset, StageRecipe
from crucible_trainer.nano.tokenizer import TOKENIZER_FORMAT, save_tokenizer, train_tokenizer
from crucible_trainer.nano.world import generate_world
from crucible_trainer.run_checkpoint import library_versions
from crucible_trainer.spec import canonical_digest, parse_spec
from crucible_trainer.train import run

log = logging.getLogger("crucible_trainer")

STAGES = ("pre", "mid", "post")
PUBLISHED_FILES = ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json")


def _write_jsonl(path: Path, field: str | None, records: list[Any]) -> str:
    lines = (json.dumps(r if field is None else {field: r}, ensure_ascii=False) for r in records)
    path.write_text("".join(line + "\n" for line in lines))
    return index_jsonl(path)[1]


def _init_model(preset: NanoPreset, tokenizer: Any, directory: Path) -> str:
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=preset.hidden_size,
        intermediate_size=preset.intermediate_size,
        num_hidden_layers=preset.layers,
        num_attention_heads=preset.heads,
        num_key_value_heads=preset.heads,
        max_position_embeddings=2 * preset.seq_len,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(preset.seed)
    model = LlamaForCausalLM(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    save_tokenizer(tokenizer, directory)
    return checkpoint.directory_digest(directory)


# Each stage's data mix: (corpus, share of the token stream, format).
STAGE_MIXES = {
    "pre": ("cpt", [("pre", 1.0, "text")]),
    "mid": ("cpt", [("mid", 0.7, "text"), ("pre", 0.3, "text")]),
    "post": ("sft", [("post", 0.85, "chat"), ("pre", 0.15, "text")]),
}


def stage_spec(
    preset: NanoPreset,
    stage: str,
    base: tuple[Path, str],
    data: dict[str, tuple[Path, str]],
    output_dir: Path,
) -> dict[str, Any]:
    """The JobSpec document that trains one stage of the family."""
    kind, sources = STAGE_MIXES[stage]
    recipe: StageRecipe = getattr(preset, stage)
    return {
        "protocol_version": 1,
        "run_id": f"nano-{preset.name}-{stage}",
        "stage": kind,
        "base": {"path": str(base[0]), "digest": base[1]},
        "data": {
            "sources": [
                {
                    "name": f"nano-{name}",
                    "path": str(data[name][0]),
                    "digest": data[name][1],
                    "share": share,
                    "format": fmt,
                }
                for name, share, fmt in sources
            ]
        },
        "hyperparameters": {
            "lr": recipe.lr,
            "warmup_steps": recipe.warmup_steps,
            "schedule": "cosine",
            "budget": {"steps": recipe.steps},
            "batch_size": preset.batch_size,
            "seq_len": preset.seq_len,
            "weight_decay": 0.1,
            "adapter": {"kind": "full"},
        },
        "seed": preset.seed,
        "checkpoint": {"every_steps": recipe.steps, "keep_last": 1},
        "resume": False,
        "output_dir": str(output_dir),
        "runtime": {"precision": _precision(preset)},
    }


def _precision(preset: NanoPreset) -> str:
    """The preset's precision, falling back to fp32 where bf16 would be emulated (slower)."""
    native = torch.cuda.is_available() or torch.ops.mkldnn._is_mkldnn_bf16_supported()
    if preset.precision == "bf16" and not native:
        log.warning("this CPU has no native bf16: nano-%s trains in fp32", preset.name)
        return "fp32"
    return preset.precision


class NanoBuilder:
    def __init__(self, preset: NanoPreset, home: Path, emitter_for: Any):
        self.preset = preset
        self.root = home / "bases" / f"nano-{preset.name}"
        self.emitter_for = emitter_for  # stage name -> EventEmitter
        self.recipe = {
            "preset": dataclasses.asdict(preset),
            "code": __version__,
            "tokenizer": TOKENIZER_FORMAT,
            "corpora": CORPORA_FORMAT,
        }
        self.recipe_digest = canonical_digest(self.recipe)

    def cached(self) -> dict[str, str] | None:
        """Digests of a complete earlier build of the same recipe, else None."""
        digests = {}
        for stage in STAGES:
            try:
                manifest, digest = checkpoint.read_valid_manifest(self.root / stage)
            except CheckpointError:
                return None
            if manifest["config"].get("recipe_digest") != self.recipe_digest:
                return None
            digests[stage] = digest
        return digests

    def build(self) -> dict[str, str]:
        found = self.cached()
        if found is not None:
            for stage, digest in found.items():
                self._announce(stage, digest)
            return found
        p = self.preset
        work = self.root / ".work"
        shutil.rmtree(work, ignore_errors=True)
        for stage in STAGES:
            shutil.rmtree(self.root / stage, ignore_errors=True)
        corpora_dir, eval_dir = self.root / "corpora", self.root / "eval"
        for d in (work, corpora_dir, eval_dir):
            d.mkdir(parents=True, exist_ok=True)

        world = generate_world(p.seed, p.people, p.cities, p.companies, p.products)
        corpora = build_corpora(world, p.seed, p.arithmetic_items)
        data = {
            "pre": (
                corpora_dir / "pre.jsonl",
                _write_jsonl(corpora_dir / "pre.jsonl", "text", corpora.pre),
            ),
            "mid": (
                corpora_dir / "mid.jsonl",
                _write_jsonl(corpora_dir / "mid.jsonl", "text", corpora.mid),
            ),
            "post": (
                corpora_dir / "post.jsonl",
                _write_jsonl(corpora_dir / "post.jsonl", "messages", corpora.post),
            ),
        }
        for name, items in corpora.eval.items():
            _write_jsonl(eval_dir / f"{name}.jsonl", None, items)

        tokenizer = train_tokenizer(tokenizer_texts(corpora), p.vocab_size)
        base = (work / "init", _init_model(p, tokenizer, work / "init"))
        digests = {}
        for stage in STAGES:
            spec_doc = stage_spec(p, stage, base, data, work / f"{stage}-run")
            finished = run(parse_spec(spec_doc), self.emitter_for(stage))
            digests[stage] = self._publish(stage, Path(finished["checkpoint_path"]), spec_doc)
            base = (self.root / stage, digests[stage])
        shutil.rmtree(work, ignore_errors=True)
        return digests

    def _publish(self, stage: str, trained: Path, spec_doc: dict[str, Any]) -> str:
        """Copy the stage's final weights to `<root>/<stage>` with a base-family manifest."""
        trained_manifest, _ = checkpoint.read_valid_manifest(trained)
        parent = None if stage == "pre" else spec_doc["base"]["digest"]

        def write(tmp: Path) -> None:
            for name in PUBLISHED_FILES:
                shutil.copy2(trained / name, tmp / name)

        manifest = {
            "protocol_version": 1,
            "kind": "crucible-checkpoint",
            "run_id": spec_doc["run_id"],
            "stage": stage,
            "step": trained_manifest["step"],
            "tokens": trained_manifest["tokens"],
            "final": True,
            "data_sources": trained_manifest["data_sources"],
            "spec_digest": trained_manifest["spec_digest"],
            "code_version": f"crucible-trainer {__version__}",
            "library_versions": library_versions(),
            "config": {
                "recipe": self.recipe,
                "recipe_digest": self.recipe_digest,
                "job_spec": spec_doc,
            },
            "created_at": utc_now(),
        }
        if parent is not None:
            manifest["parent_digest"] = parent
        digest = checkpoint.write_checkpoint(self.root / stage, write, manifest)
        self._announce(stage, digest)
        return digest

    def _announce(self, stage: str, digest: str) -> None:
        manifest, _ = checkpoint.read_valid_manifest(self.root / stage)
        emitter: EventEmitter = self.emitter_for(stage)
        emitter.emit(
            "checkpoint",
            step=manifest["step"],
            path=str(self.root / stage),
            manifest_digest=digest,
            final=True,
            tokens_by_source={s["name"]: s["tokens_seen"] for s in manifest["data_sources"]},
        )


def build_nano(preset: str, home: Path, emitter_for: Any) -> dict[str, str]:
    """Build (or reuse) the nano family for `preset`; returns the digest of each stage."""
    return NanoBuilder(PRESETS[preset], home, emitter_for).build()
