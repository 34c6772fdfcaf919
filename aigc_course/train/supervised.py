"""``fit``: one generic loop for models trained on a single loss — classifiers, autoencoders, VAEs.

The model-specific part is ``loss_fn(model, x, y) -> (loss, {name: value})``; the loop supplies
the rest, shared with :func:`~aigc_course.train.gan.fit_gan`: deferred read-back, divergence guard,
progress bar, atomic checkpoints with bit-exact resume, bf16 autocast / channels_last / compile.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import torch
from torch import nn

from ..data.loader import TensorLoader
from ..runtime import check_choice, check_float, check_int
from . import distributed as dist_utils
from .checkpoint import save_checkpoint
from .history import History
from .loop import SCHEDULES, StatBuffer, autocast, progress_bar, restore, set_lr, speed_options

CHECKPOINT_NAME = "checkpoint.pt"
LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]


@dataclass
class FitRun:
    """The outcome of :func:`fit`."""

    model: nn.Module
    history: History
    checkpoint: Path | None
    steps: int
    train_seconds: float


def classification_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor
                        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Cross-entropy on the model's logits, with the batch accuracy as a metric."""
    logits = model(x)
    return nn.functional.cross_entropy(logits, y), {"accuracy": (logits.argmax(1) == y).float().mean()}


def fit(model: nn.Module, loader: TensorLoader, loss_fn: LossFn, steps: int, *, lr: float = 1e-3,
        weight_decay: float = 0.0, schedule: Literal["constant", "cosine", "linear"] = "constant", log_every: int = 50, checkpoint_dir: str | Path | None = None,
        checkpoint_every: int | None = None, resume: bool = False, amp: bool | Literal["auto"] = "auto",
        channels_last: bool | Literal["auto"] = "auto", compile: bool = False, progress: bool = True,
        desc: str = "train") -> FitRun:
    """Minimise ``loss_fn`` with AdamW for ``steps`` steps over ``loader``'s batches.

    ``schedule`` (``constant``, ``cosine`` or ``linear``) sets the learning rate per step (see
    :func:`~aigc_course.train.loop.set_lr`); a resumed run follows the same schedule.
    ``checkpoint_dir``/``checkpoint_every``/``resume`` behave as in ``fit_gan``.
    """
    steps, log_every = check_int("steps", steps), check_int("log_every", log_every)
    lr = check_float("lr", lr)
    check_float("weight_decay", weight_decay, inclusive=True)
    check_choice("schedule", schedule, SCHEDULES)
    if checkpoint_every is not None:
        check_int("checkpoint_every", checkpoint_every)
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, the folder of the run to continue")
    if dist_utils.world_size() > 1:
        raise ValueError("fit runs on one process; use fit_gan under torchrun, or train per rank")
    device = loader.device
    use_amp, memfmt = speed_options(device, amp, channels_last)
    model = model.to(device, memory_format=memfmt)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    ckpt = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None
    history, start = History(), 0
    if resume and ckpt.exists():
        state = restore(ckpt, {"model": model}, {"opt": opt}, {"kind": "fit"})
        start, history = state["step"], History.from_state_dict(state["history"])
        print(f"[train] resumed from {ckpt} at step {start}")
    step_model = torch.compile(model) if compile else model

    def checkpoint(step: int) -> None:
        if ckpt is not None:
            save_checkpoint({"format": "aigc-fit-v1", "step": step, "config": {"kind": "fit"},
                             "model": model.state_dict(), "opt": opt.state_dict(),
                             "history": history.state_dict()}, ckpt)

    last_good = "No checkpoint was written." if ckpt is None else f"No checkpoint was written to {ckpt} yet."
    stats: StatBuffer | None = None
    bar = progress_bar(steps, start, desc, progress)

    def flush() -> None:
        if stats is not None:
            steps_, values = stats.flush(last_good)
            history.extend(steps_, values)
            if values:
                bar.set_postfix({k: f"{v[-1]:.3f}" for k, v in values.items()}, refresh=False)

    batches = loader.batches(start)
    t0 = time.perf_counter()
    for step in range(start, steps):
        x, y = next(batches)
        set_lr([opt], [lr], schedule, step, steps)
        with autocast(device, use_amp):
            loss, metrics = loss_fn(step_model, x.contiguous(memory_format=memfmt), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if stats is None:  # the metric names are known after the first step
            stats = StatBuffer(("loss", *metrics))
        stats.add(step, loss, *metrics.values())
        done = step + 1
        bar.update(1)
        if done % log_every == 0 or done == steps:
            flush()
        if checkpoint_every and done % checkpoint_every == 0 and done != steps:
            flush()
            checkpoint(done)
            last_good = f"The last good checkpoint is {ckpt} (step {done})."
    flush()
    checkpoint(steps)
    bar.close()
    return FitRun(model=model, history=history, checkpoint=ckpt, steps=steps, train_seconds=time.perf_counter() - t0)
