"""Data parallelism under torchrun: where this process sits, and the few steps that differ.

`python -m torch.distributed.run --nproc-per-node N -m crucible_trainer run --spec job.json`
starts N copies of the trainer with WORLD_SIZE, RANK, LOCAL_RANK and LOCAL_WORLD_SIZE in their
environment (on several machines, `--nnodes` and a rendezvous endpoint join them). The CLI reads
those variables and hands a `DataParallel` to the run; with one process it is `SINGLE` and every
method below is the identity, so the single-process run is unchanged.

What a data-parallel run means here (train.py follows it line by line):
- **One global batch.** Every rank advances the same deterministic mixer stream, so each step's
  global batch (batch_size × grad_accum packed sequences), the token budget, the per-source
  counts and the data position are exactly those of the one-process run. Rank r trains on the
  r-th contiguous 1/N of the global batch, in micro-batches of at most batch_size. Every rank
  tokenizes every document: the packing of a document depends on the lengths of all documents
  before it, so no rank could know where its slice starts otherwise; tokenizing is cheap next to
  a forward and backward pass.
- **One loss.** Each rank's loss is its slice's summed token loss over the target count of the
  whole global batch. DDP averages gradients over ranks, so each rank's loss is scaled by N
  before backward; the sum of the ranks' gradients is then the one-process gradient (for N a
  power of two the scaling is exact). Only the order of float additions differs.
- **One writer.** Rank 0 decides the resume point and broadcasts it, writes checkpoints (the
  state of rank 0 is the state of every rank: same weights, optimizer moments, data position
  and, with one seed and same-shaped work, RNG states) and emits events; other ranks log to
  stderr only. A checkpoint resumes at any world size.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from crucible_trainer import runtime
from crucible_trainer.errors import SpecError
from crucible_trainer.spec import Hyperparameters


@dataclass(frozen=True)
class DataParallel:
    """This process's rank in a torchrun group (world_size 1: a plain single-process run)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    local_world_size: int = 1

    @property
    def writes(self) -> bool:
        """Whether this process writes checkpoints and events (rank 0)."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    # -- setup ------------------------------------------------------------------------------------
    def check(self, h: Hyperparameters) -> None:
        """Refuse a global batch that cannot be split evenly over the ranks."""
        sequences = h.batch_size * h.grad_accum
        if sequences % self.world_size:
            raise SpecError(
                [
                    f"$.hyperparameters.batch_size: batch_size × grad_accum = {sequences} packed "
                    f"sequences per step cannot be split evenly over {self.world_size} processes "
                    f"(value {h.batch_size}); fix: make batch_size × grad_accum a multiple of "
                    "the number of processes (--nproc-per-node × --nnodes)"
                ]
            )

    def join(self, device: torch.device) -> torch.device:
        """Join the process group (nccl on CUDA, gloo on CPU); returns this rank's device."""
        if not self.active:
            return device
        if device.type == "cuda":
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)
        dist.init_process_group(
            "nccl" if device.type == "cuda" else "gloo",
            rank=self.rank,
            world_size=self.world_size,
            **({"device_id": device} if device.type == "cuda" else {}),
        )
        return device

    def cores(self) -> int | None:
        """Default intra-op threads per process: the machine's cores shared by its ranks."""
        if not self.active:
            return None
        return max(1, (os.cpu_count() or 1) // self.local_world_size)

    def wrap(self, model: Any, device: torch.device) -> Any:
        """The module the loop calls: DDP around the model, or the model itself."""
        if not self.active:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    # -- each step -------------------------------------------------------------------------------
    def no_sync(self, model: Any, last: bool) -> Any:
        """Skip DDP's gradient all-reduce on every micro-batch but the step's last."""
        if not self.active or last:
            return contextlib.nullcontext()
        return model.no_sync()

    def sum(self, value: float) -> float:
        """The sum of a float over all ranks (float64 on the wire)."""
        if not self.active:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=_wire_device())
        dist.all_reduce(tensor)
        return float(tensor.item())

    def from_writer(self, value: Any) -> Any:
        """Rank 0's value of a picklable object, on every rank."""
        if not self.active:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0, device=_wire_device())
        return box[0]

    def load_rng_state(self, state: dict[str, Any]) -> None:
        """Restore the RNG states rank 0 saved (every rank's, by the same seed and work).

        On CUDA rank 0 advanced only its first device's generator; this rank's device follows
        that one.
        """
        runtime.load_rng_state(state)
        if self.active and "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state(state["cuda"][0], device=torch.cuda.current_device())

    def leave(self) -> None:
        if self.active and dist.is_initialized():
            dist.destroy_process_group()


SINGLE = DataParallel()


def _wire_device() -> torch.device:
    """nccl moves CUDA tensors only; gloo CPU tensors."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def from_env(env: Mapping[str, str]) -> DataParallel:
    """The rank torchrun gave this process (WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE)."""
    world = int(env.get("WORLD_SIZE", "1"))
    if world <= 1:
        return SINGLE
    return DataParallel(
        rank=int(env["RANK"]),
        local_rank=int(env.get("LOCAL_RANK", "0")),
        world_size=world,
        local_world_size=int(env.get("LOCAL_WORLD_SIZE", "1")),
    )
