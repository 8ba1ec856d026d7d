"""Writes tiny random-init Hugging Face models, saved by transformers as a user would have them
on disk (no Crucible manifest), and a JSONL text source, for `crucible base add` tests.

usage: python test/support/make_hf_models.py OUT_DIR
writes OUT_DIR/{llama,qwen2,olmo2}/ (model.safetensors), OUT_DIR/llama-sharded/ (shards and
model.safetensors.index.json), OUT_DIR/llama-pickle/ (pytorch_model.bin only) and
OUT_DIR/text.jsonl; prints {"models": {name: path}, "text": path}
"""

import json
import random
import sys
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM

from crucible_trainer.nano.tokenizer import save_tokenizer, train_tokenizer

out = Path(sys.argv[1])
rng = random.Random(0)
names, things = ["Ada", "Bo", "Cy", "Dee"], ["lamp", "desk", "kite", "boat"]
texts = [f"{rng.choice(names)} keeps the {rng.choice(things)} by the door." for _ in range(80)]
tokenizer = train_tokenizer(texts, vocab_size=200)
common = {
    "vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "max_position_embeddings": 128, "tie_word_embeddings": True,
    "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
    "pad_token_id": tokenizer.pad_token_id,
}
models = {}


def save(name: str, arch: str, **kwargs) -> None:
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(arch, **common))
    path = out / name
    model.save_pretrained(path, **kwargs)
    save_tokenizer(tokenizer, path)
    models[name] = str(path)


for arch in ("llama", "qwen2", "olmo2"):
    save(arch, arch)
save("llama-sharded", "llama", max_shard_size="20KB")
save("llama-pickle", "llama")
pickle_dir = out / "llama-pickle"
(pickle_dir / "model.safetensors").unlink()
torch.save(AutoModelForCausalLM.from_pretrained(pickle_dir.parent / "llama").state_dict(),
           pickle_dir / "pytorch_model.bin")
(out / "text.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
print(json.dumps({"models": models, "text": str(out / "text.jsonl")}))
