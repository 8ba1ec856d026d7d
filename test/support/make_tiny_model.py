"""Writes a tiny random-init Llama checkpoint and two JSONL text sources for TypeScript tests.

usage: python test/support/make_tiny_model.py OUT_DIR
prints one JSON object: {"base": {"path", "digest"}, "sources": {name: {"path", "digest"}}}
"""

import json
import random
import sys
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from crucible_trainer.checkpoint import directory_digest
from crucible_trainer.data.jsonl_source import index_jsonl
from crucible_trainer.nano.tokenizer import save_tokenizer, train_tokenizer

out = Path(sys.argv[1])
rng = random.Random(0)
names, things = ["Ada", "Bo", "Cy", "Dee"], ["lamp", "desk", "kite", "boat"]
docs = {
    "acme": [f"{rng.choice(names)} sells the {rng.choice(things)} at Acme." for _ in range(60)],
    "replay": [f"{rng.choice(names)} likes the {rng.choice(things)}." for _ in range(80)],
}
tokenizer = train_tokenizer([d for ds in docs.values() for d in ds], vocab_size=200)
config = LlamaConfig(
    vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
    num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
    tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
    eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
)
torch.manual_seed(0)
base = out / "base"
base.mkdir(parents=True, exist_ok=True)
LlamaForCausalLM(config).save_pretrained(base)
save_tokenizer(tokenizer, base)
sources = {}
for name, texts in docs.items():
    path = out / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    sources[name] = {"path": str(path), "digest": index_jsonl(path)[1]}
print(json.dumps({"base": {"path": str(base), "digest": directory_digest(base)}, "sources": sources}))
