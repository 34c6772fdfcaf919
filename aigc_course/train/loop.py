"""Pieces every training loop shares: speed options, deferred read-back with a divergence guard,
progress bars, and checkpoint restore that checks everything before loading anything."""
from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from tqdm.auto import tqdm

from ..runtime import check_choice
from .checkpoint import CheckpointError, check_compatible, load_checkpoint


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss; the message names the step and the last good checkpoint."""


def speed_options(device: torch.device, amp: bool | Literal["auto"], channels_last: bool | Literal["auto"]
                  ) -> tuple[bool, torch.memory_format]:
    """Resolve ``"auto"``: bf16 autocast on CUDA only; channels_last (NHWC) everywhere.

    Where each pays was measured: NHWC trains most chapters' quick-mode networks 1.1-1.3 times faster on this
    2-core CPU too, and none clearly slower (``benchmarks/memory_format.py``); bf16 autocast runs the CPU's
    convolutions about 20 times slower than float32 (chapter 5's full-mode test). ``amp=True`` forces CPU bf16
    autocast, which is how the tests exercise the CUDA code path without a GPU. The layout applies to 4-D (image)
    tensors only (:func:`in_layout`).
    """
    check_choice("amp", amp, ("auto", True, False))
    check_choice("channels_last", channels_last, ("auto", True, False))
    cuda = device.type == "cuda"
    use_amp = (cuda and torch.cuda.is_bf16_supported()) if amp == "auto" else amp
    use_cl = channels_last in ("auto", True)
    return bool(use_amp), torch.channels_last if use_cl else torch.contiguous_format


def in_layout(x: torch.Tensor, memory_format: torch.memory_format) -> torch.Tensor:
    """``x`` in ``memory_format`` when it is a batch of images (4-D); any other tensor as it is."""
    return x.contiguous(memory_format=memory_format) if x.dim() == 4 else x


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on ``device`` when enabled, else nothing."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if enabled else contextlib.nullcontext()


class StatBuffer:
    """Per-step scalars kept on the device and read back in one transfer every few steps.

    Calling ``.item()`` on a loss each step forces the host to wait for the device; here the loop
    stacks the step's numbers on the device and :meth:`flush` copies a whole block at once.
    """

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.steps: list[int] = []
        self.rows: list[torch.Tensor] = []

    def add(self, step: int, *values: torch.Tensor) -> None:
        self.steps.append(step)
        self.rows.append(torch.stack([v.detach().float() for v in values]))

    def flush(self, last_good: str) -> tuple[list[int], dict[str, list[float]]]:
        """Return the buffered numbers; raise :class:`DivergenceError` at the first non-finite one."""
        if not self.rows:
            return [], {}
        block = torch.stack(self.rows).cpu()
        bad = (~torch.isfinite(block)).nonzero()
        if len(bad):
            i, j = bad[0].tolist()
            raise DivergenceError(f"training diverged at step {self.steps[i] + 1}: {self.keys[j]} = "
                                  f"{block[i, j].item()}. {last_good}")
        steps, self.steps, self.rows = self.steps, [], []
        return steps, {k: block[:, j].tolist() for j, k in enumerate(self.keys)}


def progress_bar(total: int, initial: int, desc: str, enabled: bool) -> tqdm:
    """A tqdm bar (a widget in Jupyter, text elsewhere) that starts at ``initial`` when resuming."""
    return tqdm(total=total, initial=initial, desc=desc, disable=not enabled, dynamic_ncols=True)


def restore(path: Path, modules: dict[str, nn.Module | None], optimizers: dict[str, torch.optim.Optimizer],
            config: dict[str, Any]) -> dict[str, Any]:
    """Load a checkpoint into ``modules`` and ``optimizers`` after checking that all of it fits.

    Checks run first (format, training configuration, every tensor's shape, optimizer sizes), so an
    incompatible checkpoint raises :class:`CheckpointError` with nothing loaded.
    """
    needed = ("step", "config", *[k for k, m in modules.items() if m is not None], *optimizers)
    state = load_checkpoint(path, required=needed)
    saved = state["config"]
    diff = {k: (saved.get(k), v) for k, v in config.items() if saved.get(k) != v}
    if diff:
        what = ", ".join(f"{k}: checkpoint {a!r} vs this run {b!r}" for k, (a, b) in diff.items())
        raise CheckpointError(f"checkpoint {path} was made with different settings ({what})")
    for name, module in modules.items():
        if module is not None:
            check_compatible(module, state[name], name, path)
    for name, opt in optimizers.items():
        sizes = [len(g["params"]) for g in state[name]["param_groups"]]
        if sizes != [len(g["params"]) for g in opt.param_groups]:
            raise CheckpointError(f"checkpoint {path}: optimizer {name} has parameter groups {sizes}")
    for name, module in modules.items():
        if module is not None:
            module.load_state_dict(state[name])
    for name, opt in optimizers.items():
        opt.load_state_dict(state[name])
    return state


def unwrap(module: nn.Module) -> nn.Module:
    """The plain module inside DistributedDataParallel and/or torch.compile wrappers."""
    while hasattr(module, "module") or hasattr(module, "_orig_mod"):
        module = getattr(module, "module", None) or module._orig_mod
    return module


SCHEDULES = ("constant", "cosine", "linear")


def set_lr(optimizers: list[torch.optim.Optimizer], base_lrs: list[float], schedule: str, step: int,
           steps: int) -> None:
    """Set each optimizer's learning rate for ``step`` of ``steps`` under ``schedule``.

    ``constant`` keeps the base rate; ``cosine`` decays it to 0 along half a cosine (Loshchilov &
    Hutter 2017); ``linear`` decays it linearly to 0. A function of the step alone, so a resumed run
    follows the same schedule as an uninterrupted one.
    """
    if schedule == "constant":
        return
    frac = step / steps
    factor = 0.5 * (1 + math.cos(math.pi * frac)) if schedule == "cosine" else 1.0 - frac
    for opt, lr in zip(optimizers, base_lrs):
        for group in opt.param_groups:
            group["lr"] = lr * factor
