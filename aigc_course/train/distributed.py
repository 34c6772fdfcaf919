"""Running the same training loop on several processes (``torchrun``), one per device.

``torchrun --nproc_per_node=N -m aigc_course train dcgan-mnist`` sets RANK/WORLD_SIZE/LOCAL_RANK;
:func:`init_from_env` joins the process group (NCCL on GPUs, gloo on CPUs). The loops then wrap
their models in ``DistributedDataParallel``, each rank reads its own shard of every epoch
(``TensorLoader(rank=..., world_size=...)``), and rank 0 alone logs and writes checkpoints.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


def init_from_env(device: str = "auto") -> tuple[int, int, torch.device]:
    """Join the process group if launched by torchrun; return (rank, world_size, this rank's device)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but no CUDA GPU is visible; use 'auto' or 'cpu'")
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    dev = torch.device(f"cuda:{local}") if use_cuda else torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        if use_cuda:
            torch.cuda.set_device(dev)
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return rank(), world_size(), dev


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    """Number of processes (1 when not distributed)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main() -> bool:
    """True on the process that logs and writes checkpoints."""
    return rank() == 0


def barrier() -> None:
    """Wait for every rank (no-op when not distributed)."""
    if dist.is_initialized():
        dist.barrier()
