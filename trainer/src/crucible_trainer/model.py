"""Load a Hugging Face causal LM from a local directory, add LoRA, and export weights.

Only architectures whose attention honours packed `position_ids` (a block-diagonal causal mask
built from position resets, transformers' packed-sequence path) are accepted: the model types
listed in protocol/checkpoint-manifest.schema.json `$defs/model_type` (`crucible base add`
refuses the others with the same list); tests/test_packing_attention.py checks each of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, PreTrainedModel

from crucible_trainer import protocol
from crucible_trainer.errors import BaseCheckpointError
from crucible_trainer.spec import AdapterSpec

SUPPORTED_MODEL_TYPES = protocol.model_types()
ADAPTER_PREFIX = "base_model.model."


def check_architecture(path: Path) -> Any:
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise BaseCheckpointError(
            f"cannot read config.json of base checkpoint {path}: {e}; fix: point base.path at a "
            "Hugging Face model directory"
        ) from e
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise BaseCheckpointError(
            f"base checkpoint {path} is a {config.model_type!r} model; fix: use one of "
            f"{', '.join(SUPPORTED_MODEL_TYPES)}"
        )
    return config


def load_tokenizer(path: Path) -> Any:
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise BaseCheckpointError(
            f"cannot load the tokenizer of {path}: {e}; fix: save the tokenizer with the model"
        ) from e
    if tokenizer.eos_token_id is None:
        raise BaseCheckpointError(f"tokenizer of {path} has no eos token; fix: set eos_token")
    return tokenizer


def load_model(path: Path, dtype: torch.dtype = torch.float32) -> PreTrainedModel:
    check_architecture(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, attn_implementation="sdpa")
    model.config.use_cache = False
    return model


def add_lora(model: PreTrainedModel, adapter: AdapterSpec) -> Any:
    """Wrap `model` with LoRA adapters (B starts at zero, so the output is unchanged at step 0)."""
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [m for m in adapter.target_modules if m not in names]
    if missing:
        raise BaseCheckpointError(
            f"hyperparameters.adapter.target_modules names modules the model does not have: "
            f"{missing}; fix: use module names such as q_proj, k_proj, v_proj, o_proj"
        )
    from peft import LoraConfig, get_peft_model  # imported late: peft alone takes seconds

    config = LoraConfig(
        r=adapter.r,
        lora_alpha=adapter.alpha,
        lora_dropout=adapter.dropout,
        target_modules=list(adapter.target_modules),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def adapter_state(model: Any) -> dict[str, torch.Tensor]:
    """The trainable LoRA tensors, keyed by their parameter names."""
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def load_adapter_state(model: Any, state: dict[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in state.items():
            params[name].copy_(tensor)


def merged_weights(model: Any) -> dict[str, torch.Tensor]:
    """Plain Hugging Face weights: base weights with LoRA deltas folded in (if any).

    Computed into new tensors; the live model is left untouched so training can go on
    bit-for-bit as if no checkpoint had been written.
    """
    if not hasattr(model, "peft_config"):
        base = model
        state = {k: v.detach().clone() for k, v in base.state_dict().items()}
    else:
        from peft.tuners.lora import LoraLayer

        base = model.get_base_model()
        state = {}
        with torch.no_grad():
            for key, value in base.state_dict().items():
                if "lora_" in key:
                    continue
                state[key.replace(".base_layer.", ".")] = value.detach().clone()
            for name, module in base.named_modules():
                if isinstance(module, LoraLayer) and "default" in module.lora_A:
                    key = f"{name}.weight"
                    state[key] = state[key] + module.get_delta_weight("default").to(state[key])
    if getattr(base.config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)
    return {k: v.contiguous() for k, v in state.items()}


def base_config(model: Any) -> Any:
    return model.get_base_model().config if hasattr(model, "peft_config") else model.config


def parameter_counts(model: Any) -> tuple[int, int]:
    """(all parameters, trainable parameters), counting tied tensors once."""
    seen: dict[int, torch.Tensor] = {}
    for p in model.parameters():
        seen[id(p)] = p
    total = sum(p.numel() for p in seen.values())
    trainable = sum(p.numel() for p in seen.values() if p.requires_grad)
    return total, trainable
