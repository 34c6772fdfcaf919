"""Checkpoints that are never half-written and never half-loaded.

Saving writes a temporary file beside the target, flushes it to disk, then renames it over the
target (``os.replace`` is atomic), so a crash mid-write leaves the previous checkpoint intact.
Loading uses ``torch.load(weights_only=True)`` (no arbitrary code from a file) and reports a
corrupt file as :class:`CheckpointError` instead of loading part of it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

CHECKPOINT_NAME = "checkpoint.pt"  # the file every training loop writes in its checkpoint_dir


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: unreadable, corrupt, or made for a different model."""


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path`` atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | os.PathLike, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a checkpoint (tensors and plain containers only) and check it holds ``required`` keys."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated zip, bad pickle, foreign object: all mean "do not use"
        raise CheckpointError(f"checkpoint {path} is corrupt or unreadable ({type(err).__name__}: {err}); "
                              f"delete it or train without resume") from err
    missing = [k for k in required if not isinstance(state, dict) or k not in state]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {', '.join(missing)}; it was not written by this trainer")
    return state


def check_compatible(module: nn.Module, state_dict: dict[str, torch.Tensor], what: str, path: Path) -> None:
    """Raise :class:`CheckpointError` unless ``state_dict`` has exactly ``module``'s keys and shapes."""
    own = module.state_dict()
    if set(own) != set(state_dict):
        extra, lacking = sorted(set(state_dict) - set(own)), sorted(set(own) - set(state_dict))
        raise CheckpointError(f"checkpoint {path} does not fit this {what}: unexpected keys {extra[:3]}, "
                              f"missing keys {lacking[:3]}")
    for k, v in own.items():
        if tuple(v.shape) != tuple(state_dict[k].shape):
            raise CheckpointError(f"checkpoint {path} does not fit this {what}: {k} has shape "
                                  f"{tuple(state_dict[k].shape)}, the model has {tuple(v.shape)}")
