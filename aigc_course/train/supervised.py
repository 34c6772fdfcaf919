"""``fit``: one generic loop for models trained on a single loss — classifiers, autoencoders, VAEs, restoration.

The model-specific part is ``loss_fn(model, x, y) -> (loss, {name: value})``; the rest comes from
the skeleton shared with :func:`~aigc_course.train.gan.fit_gan` (:mod:`.engine`): deferred
read-back, divergence guard, progress bar, atomic checkpoints with bit-exact resume, learning-rate
schedules, an optional EMA of the model, bf16 autocast / channels_last / compile, and DDP.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from ..data.loader import TensorLoader
from ..runtime import check_float
from .engine import Context, Task, train
from .history import History
from .loop import in_layout

LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]


@dataclass
class FitRun:
    """The outcome of :func:`fit`."""

    model: nn.Module
    history: History
    ema: nn.Module | None
    checkpoint: Path | None
    steps: int
    train_seconds: float

    @property
    def averaged(self) -> nn.Module:
        """The model to evaluate: the EMA copy when there is one."""
        return self.ema if self.ema is not None else self.model


def classification_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor
                        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Cross-entropy on the model's logits, with the batch accuracy as a metric."""
    logits = model(x)
    return nn.functional.cross_entropy(logits, y), {"accuracy": (logits.argmax(1) == y).float().mean()}


def l1_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Mean absolute error of the model's output against the target: restoration's usual loss (EDSR and most
    modern super-resolution models train with it; it is less swayed by outliers than the squared error)."""
    return (model(x).float() - y.float()).abs().mean(), {}


def mse_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Mean squared error of the model's output against the target: what PSNR rewards directly (SRCNN, ESPCN
    and SRResNet trained with it)."""
    return (model(x).float() - y.float()).pow(2).mean(), {}


class LossTask(Task):
    """A model trained on one loss ``loss_fn(model, x, y)`` with AdamW."""

    format = "aigc-fit-v1"

    def __init__(self, model: nn.Module, loss_fn: LossFn, lr: float, weight_decay: float, desc: str) -> None:
        self.model, self.loss_fn, self.lr, self.weight_decay, self.desc = model, loss_fn, lr, weight_decay, desc

    def setup(self, ctx: Context) -> None:
        self.model = self.model.to(ctx.device, memory_format=ctx.memory_format)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.opt}

    def config(self) -> dict[str, Any]:
        return {"kind": "fit"}

    def compile(self, ctx: Context) -> None:
        self.step_model = ctx.wrap(self.model)

    def step(self, step: int, batches: Iterator, ctx: Context) -> dict[str, torch.Tensor]:
        x, y = next(batches)
        with ctx.autocast():
            loss, metrics = self.loss_fn(self.step_model, in_layout(x, ctx.memory_format), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss, **metrics}


def fit(model: nn.Module, loader: TensorLoader, loss_fn: LossFn, steps: int, *, lr: float = 1e-3,
        weight_decay: float = 0.0, schedule: Literal["constant", "cosine", "linear"] = "constant",
        ema_decay: float | None = None, log_every: int = 50, checkpoint_dir: str | Path | None = None,
        checkpoint_every: int | None = None, resume: bool = False, amp: bool | Literal["auto"] = "auto",
        channels_last: bool | Literal["auto"] = "auto", compile: bool = False, progress: bool = True,
        desc: str = "train") -> FitRun:
    """Minimise ``loss_fn`` with AdamW for ``steps`` steps over ``loader``'s batches.

    ``schedule`` (``constant``, ``cosine`` or ``linear``) sets the learning rate per step (see
    :func:`~aigc_course.train.loop.set_lr`); a resumed run follows the same schedule. ``ema_decay``
    keeps an exponential moving average of the model (``FitRun.ema``). Under ``torchrun`` the model
    runs in DistributedDataParallel, with one shard of the data per rank (build the loader so).
    ``checkpoint_dir``/``checkpoint_every``/``resume`` behave as in ``fit_gan``.
    """
    lr = check_float("lr", lr)
    check_float("weight_decay", weight_decay, inclusive=True)
    task = LossTask(model, loss_fn, lr, weight_decay, desc)
    done = train(task, loader, steps, schedule=schedule, ema_of="model" if ema_decay is not None else None,
                 ema_decay=ema_decay, log_every=log_every, checkpoint_dir=checkpoint_dir,
                 checkpoint_every=checkpoint_every, resume=resume, amp=amp, channels_last=channels_last,
                 compile=compile, progress=progress)
    return FitRun(model=task.model, history=done.history, ema=done.ema, checkpoint=done.checkpoint, steps=done.steps,
                  train_seconds=done.train_seconds)
