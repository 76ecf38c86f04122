"""Helpers for data-parallel training under ``torchrun`` (reusable by every trainer).

``torchrun --nproc_per_node N -m holochat train NAME …`` starts N processes with
``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` / ``MASTER_ADDR`` / ``MASTER_PORT`` set.
``init()`` reads them, joins the process group (NCCL when training on CUDA, gloo
on CPU) and returns a ``Dist`` describing this process; without those variables
it returns a single-process ``Dist`` and every helper here is a no-op, so a
trainer is written once for both cases:

    dist = distributed.init(device)
    with dist.rank0_first():                 # build caches once
        data = load(...)
    shard = distributed.EpochSharder(len(data), batch, dist, seed)
    model = dist.wrap(model)                 # DistributedDataParallel
    ...
    if dist.is_main: save(...)
    dist.close()

The data is an in-memory tensor; each rank draws its batches from its own shard
of a per-epoch permutation that every rank computes from the same seed, as
``torch.utils.data.DistributedSampler`` does for a Dataset.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as td


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            td.barrier()

    @contextlib.contextmanager
    def rank0_first(self) -> Iterator[None]:
        """Rank 0 runs the block first (e.g. builds a cache), then the others."""
        if not self.is_main:
            self.barrier()
        yield
        if self.is_main:
            self.barrier()

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        """``module`` in DistributedDataParallel when distributed, else itself.

        DDP broadcasts rank 0's parameters and buffers at construction, so every
        rank starts from identical weights.
        """
        if not self.enabled:
            return module
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DDP(module, device_ids=ids)

    def broadcast_module(self, module: torch.nn.Module) -> None:
        """Copy rank 0's parameters and buffers into every rank's ``module``."""
        if not self.enabled:
            return
        with torch.no_grad():
            for t in list(module.parameters()) + list(module.buffers()):
                td.broadcast(t.data, src=0)

    def broadcast_buffers(self, module: torch.nn.Module) -> None:
        """Copy rank 0's buffers (batch-norm running statistics) to every rank.

        Parameters stay in step through DDP's gradient averaging, but each rank
        updates its running statistics from its own batches.
        """
        if not self.enabled:
            return
        with torch.no_grad():
            for t in module.buffers():
                td.broadcast(t.data, src=0)

    def broadcast_object(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every rank (e.g. a checkpoint read by rank 0 only)."""
        if not self.enabled:
            return obj
        box = [obj if self.is_main else None]
        td.broadcast_object_list(box, src=0, device=self._comm_device())
        return box[0]

    def all_reduce_mean(self, t: torch.Tensor) -> torch.Tensor:
        """Mean of ``t`` over ranks (in place; returns ``t``)."""
        if self.enabled:
            td.all_reduce(t, op=td.ReduceOp.SUM)
            t.div_(self.world_size)
        return t

    def close(self, barrier: bool = True) -> None:
        """Leave the process group (after a barrier, unless a rank failed)."""
        if self.enabled and td.is_initialized():
            if barrier:
                td.barrier()
            td.destroy_process_group()

    def _comm_device(self) -> torch.device:
        return self.device if self.device.type == "cuda" else torch.device("cpu")


def env_world() -> tuple[int, int, int]:
    """(rank, world_size, local_rank) from torchrun's environment (0, 1, 0 if absent)."""

    def get(name: str, default: int) -> int:
        value = os.environ.get(name, "")
        try:
            return int(value) if value else default
        except ValueError:
            raise RuntimeError(f"{name}={value!r} is not an integer") from None

    return get("RANK", 0), get("WORLD_SIZE", 1), get("LOCAL_RANK", 0)


def backend_for(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


def init(device: str | torch.device = "cpu") -> Dist:
    """Join the process group torchrun set up, or describe a single process.

    With ``device="cuda"`` each process takes GPU ``LOCAL_RANK``.
    """
    device = torch.device(device)
    rank, world, local = env_world()
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda was asked for but no CUDA GPU is available")
        if local >= torch.cuda.device_count():
            raise RuntimeError(
                f"LOCAL_RANK {local} but only {torch.cuda.device_count()} GPU(s) are visible"
            )
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if world > 1 and not td.is_initialized():
        td.init_process_group(
            backend=backend_for(device),
            rank=rank,
            world_size=world,
            device_id=device if device.type == "cuda" else None,
        )
    return Dist(rank, world, local, device)


class EpochSharder:
    """Per-rank batches of indices into an in-memory dataset of ``n`` items.

    Each epoch every rank draws the same permutation (seeded by ``seed`` and the
    epoch), pads it to a multiple of ``world_size`` by wrapping around, and keeps
    every ``world_size``-th index from its rank on, like DistributedSampler; the
    shard is then cut into batches of ``batch`` (the last short one dropped, and
    reused from the start of the shard when the shard is smaller than a batch).
    Index tensors are made on the CPU once per epoch and moved to ``device`` in
    one copy, so drawing a batch never waits on the host.
    """

    def __init__(self, n: int, batch: int, dist: Dist, seed: int, device: torch.device):
        if n < 1:
            raise ValueError("no training images")
        if batch < 1:
            raise ValueError(f"batch must be positive, got {batch}")
        self.n, self.batch, self.dist, self.seed = n, batch, dist, seed
        self.device = device
        self.per_rank = -(-n // dist.world_size)  # ceil(n / world)
        self.batches_per_epoch = max(1, self.per_rank // batch)
        self._epoch = -1
        self._batches: torch.Tensor | None = None

    def epoch_of(self, step: int) -> int:
        return step // self.batches_per_epoch

    def shard(self, epoch: int) -> torch.Tensor:
        """This rank's indices for ``epoch`` (CPU int64, length ``per_rank``)."""
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        perm = torch.randperm(self.n, generator=g)
        total = self.per_rank * self.dist.world_size
        if total > self.n:
            perm = torch.cat([perm, perm[: total - self.n]])
        return perm[self.dist.rank : total : self.dist.world_size]

    def indices(self, step: int) -> torch.Tensor:
        """The batch of indices (on ``device``) this rank uses at global ``step``."""
        epoch = self.epoch_of(step)
        if epoch != self._epoch:
            idx = self.shard(epoch)
            need = self.batches_per_epoch * self.batch
            if len(idx) < need:  # tiny data: wrap around
                idx = idx.repeat(-(-need // len(idx)))
            self._batches = (
                idx[:need]
                .view(self.batches_per_epoch, self.batch)
                .to(self.device, non_blocking=True)
            )
            self._epoch = epoch
        assert self._batches is not None
        return self._batches[step % self.batches_per_epoch]
