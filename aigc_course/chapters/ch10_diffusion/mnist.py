"""Chapter 10's MNIST model: a class-conditional ε-prediction U-Net with classifier-free guidance.

One configuration (:data:`MNIST`) serves the notebook's live run, the command line's recipe
(``python -m aigc_course train ddpm-mnist``) and the benchmark, so they train the same model.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from ...models.diffusion import DiffusionUNet
from ...train.diffusion import NoiseSchedule, Prediction, ScheduleKind

SHAPE = (1, 28, 28)


@dataclass(frozen=True)
class DiffusionConfig:
    """A diffusion model and how it trains."""

    channels: int = 16  # U-Net width at 28×28; ×2 at 14×14, ×4 at 7×7 (``mult``)
    mult: tuple[int, ...] = (1, 2, 4)
    n_classes: int = 10  # 0: unconditional; else label n_classes means "no class"
    schedule: ScheduleKind = "linear"  # Ho et al. (2020)'s β from 1e-4 to 0.02
    train_steps: int = 1000  # T
    prediction: Prediction = "epsilon"
    lr: float = 5e-4
    ema_decay: float = 0.999
    cond_drop: float = 0.1  # probability of training a step's label as "no class" (Ho & Salimans 2022)
    batch_size: int = 64

    def build(self) -> DiffusionUNet:
        """A fresh U-Net (seed torch first for repeatable weights)."""
        return DiffusionUNet(SHAPE[0], self.channels, self.mult, self.n_classes)

    def noise_schedule(self) -> NoiseSchedule:
        return NoiseSchedule.make(self.schedule, self.train_steps)

    def fit_kwargs(self) -> dict[str, Any]:
        """The ``fit_diffusion`` keyword arguments of this configuration."""
        return {"schedule": self.noise_schedule(), "prediction": self.prediction, "lr": self.lr,
                "ema_decay": self.ema_decay, "cond_drop": self.cond_drop}

    def record(self) -> dict[str, Any]:
        """The configuration as plain values (for a provenance record)."""
        return {**asdict(self), "mult": list(self.mult)}


# 0.45 M parameters; about 0.23 s a step at batch 64 on one core of this 2-core CPU (2026-12-06).
MNIST = DiffusionConfig()
QUICK_STEPS = 200  # the notebook's live run: under a minute here — shown honestly, not a finished model
FULL_STEPS = 20_000  # the notebook's full mode (a GPU's budget; about 80 minutes on one core here)
SHIPPED_STEPS = 15_000  # the recipe's default budget: the shipped weights (``make weights``, about an hour here)


class DiffusersDenoiser(nn.Module):
    """``diffusers.UNet2DModel`` behind this course's denoiser interface ``model(x_t, t[, labels])``.

    The same training loop (``fit_diffusion``) and samplers then drive the field's U-Net: the way to go on
    to real projects, where that class (and its pretrained weights) is the standard one.
    """

    def __init__(self, unet: nn.Module, n_classes: int) -> None:
        super().__init__()
        self.unet, self.n_classes = unet, n_classes

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.unet(x, t, class_labels=labels).sample


def diffusers_unet(config: DiffusionConfig = MNIST) -> DiffusersDenoiser:
    """A ``diffusers.UNet2DModel`` of about this chapter's size for 28×28 digits, with the null class."""
    from diffusers import UNet2DModel

    widths = tuple(config.channels * m for m in config.mult)
    unet = UNet2DModel(sample_size=SHAPE[1], in_channels=SHAPE[0], out_channels=SHAPE[0], block_out_channels=widths,
                       layers_per_block=1, norm_num_groups=8,
                       down_block_types=("DownBlock2D",) * (len(widths) - 1) + ("AttnDownBlock2D",),
                       up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (len(widths) - 1),
                       num_class_embeds=config.n_classes + 1 if config.n_classes else None)
    return DiffusersDenoiser(unet, config.n_classes)
