#!/usr/bin/env bash
# One-shot GPU check: environment, then the trainer bench in bf16 on CUDA.
# Usage on a GPU machine from the repo root: bash bench/trainer/device-check.sh [TOKENS]
set -uo pipefail
py="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] && py=.venv/bin/python
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
"$py" - <<'PY'
import importlib
for name in ("torch", "transformers", "peft", "accelerate", "tokenizers", "safetensors", "jsonschema"):
    try:
        print(name, importlib.import_module(name).__version__)
    except Exception as e:  # report what is missing, keep going
        print(name, "MISSING", e)
import torch
print("cuda", torch.cuda.is_available())
PY
PYTHONPATH=trainer/src "$py" bench/trainer/run.py --device cuda --tokens "${1:-1048576}"
