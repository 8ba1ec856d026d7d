"""Device choice, reproducibility settings and the RNG state that a checkpoint must carry."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import torch

from crucible_trainer.errors import SpecError
from crucible_trainer.spec import RuntimeSpec


def pick_device(runtime: RuntimeSpec) -> torch.device:
    if runtime.device == "cuda" or (runtime.device == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise SpecError(
                [
                    '$.runtime.device: no CUDA device is available (value "cuda"); '
                    'fix: use "auto" or "cpu", or run on a machine with a GPU'
                ]
            )
        return torch.device("cuda")
    return torch.device("cpu")


def configure(
    runtime: RuntimeSpec, seed: int, device: torch.device, cores: int | None = None
) -> None:
    """Fix threads, seeds and (when asked) deterministic kernels before the model is built.

    On CPU every op we use has a deterministic kernel, so a missing one is an error; on CUDA a
    kernel without a deterministic variant only warns rather than failing a long run. `cores`
    is the default thread count when runtime.threads is unset (all cores when None).
    """
    if runtime.deterministic:
        # cuBLAS needs a fixed workspace to be deterministic; set before the first CUDA call.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
        torch.backends.cudnn.benchmark = False
    torch.set_num_threads(runtime.threads or cores or os.cpu_count() or 1)
    seed_everything(seed)


def check_bf16(device: torch.device) -> None:
    """Refuse bf16 on a CPU without native bf16 matmuls (emulated, it is slower than fp32)."""
    if device.type == "cpu" and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        raise SpecError(
            [
                "$.runtime.precision: this CPU has no native bf16 matrix instructions (value "
                '"bf16"); fix: use "fp32" on this machine, or a CPU with AVX512-BF16 or AMX'
            ]
        )


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """All RNG states, as plain values and tensors (loadable with torch.load(weights_only=True))."""
    py_version, py_state, py_gauss = random.getstate()
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": [py_version, list(py_state), py_gauss],
        "numpy": [np_state[0], np_state[1].tolist(), *np_state[2:]],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def load_rng_state(state: dict[str, Any]) -> None:
    version, py_state, gauss = state["python"]
    random.setstate((version, tuple(py_state), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
