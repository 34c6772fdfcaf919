"""Super-resolution networks that work at low resolution and upsample at the end with sub-pixel convolution.

Both read the low-resolution image (N, C, h, w) and return (N, C, s·h, s·w) in [0, 1]:

- :class:`ESPCN` (Shi et al. 2016): three convolutions at low resolution, the last with C·s² channels,
  then :class:`torch.nn.PixelShuffle`, which rearranges those channels into an s× larger image. Every
  convolution runs on h × w pixels, s² times fewer than on the output: this is why sub-pixel models are fast.
- :class:`SRResNet` (Ledig et al. 2017, without batch norm as in EDSR, Lim et al. 2017): a head convolution,
  ``blocks`` residual blocks (conv–ReLU–conv plus the block's input), a global skip around them, then
  log₂ s stages of (conv to 4× channels → PixelShuffle(2) → ReLU) and a tail convolution. With
  ``residual=True`` (default) the network predicts the *residual over bicubic*: its output is
  bicubic(lr) + tail(...), and the tail is zero-initialised, so an untrained SRResNet returns exactly the
  bicubic baseline and any gain is learned (a test checks both).

Weights use He (Kaiming) initialisation for the ReLU stacks; with PyTorch's default initialisation a deep
stack of this kind learns far more slowly at the budgets of a CPU course.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import check_int


def he_init(module: nn.Module) -> None:
    """He (Kaiming) normal initialisation of every convolution in ``module`` for ReLU, biases 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _check_scale(scale: int, powers_of_two: bool) -> int:
    scale = check_int("scale", scale)
    if powers_of_two and scale & (scale - 1):
        raise ValueError(f"scale={scale} is not allowed; SRResNet upsamples by ×2 stages: use 2, 4 or 8")
    return scale


class ESPCN(nn.Module):
    """Efficient sub-pixel CNN: (N, C, h, w) → (N, C, s·h, s·w). Output clamped to [0, 1] at eval time."""

    def __init__(self, scale: int = 4, channels: int = 3, features: tuple[int, int] = (64, 32)) -> None:
        super().__init__()
        self.scale = _check_scale(scale, powers_of_two=False)
        f1, f2 = features
        self.body = nn.Sequential(
            nn.Conv2d(channels, f1, 5, padding=2), nn.Tanh(),  # (N, f1, h, w)
            nn.Conv2d(f1, f2, 3, padding=1), nn.Tanh(),  # (N, f2, h, w)
            nn.Conv2d(f2, channels * self.scale ** 2, 3, padding=1),  # (N, C·s², h, w)
            nn.PixelShuffle(self.scale),  # (N, C, s·h, s·w)
        )

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        out = self.body(lr)
        return out if self.training else out.clamp(0, 1)


class ResidualBlock(nn.Module):
    """x + res_scale · conv(relu(conv(x))), channels and size unchanged (EDSR's block: no batch norm, the
    branch scaled by ``res_scale`` so a stack of blocks does not inflate the features)."""

    def __init__(self, features: int, res_scale: float = 0.1) -> None:
        super().__init__()
        self.res_scale = res_scale
        self.body = nn.Sequential(nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(features, features, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.body(x)


class SRResNet(nn.Module):
    """A small SRResNet: (N, C, h, w) → (N, C, s·h, s·w); s a power of two. Output clamped to [0, 1] at eval time."""

    def __init__(self, scale: int = 4, channels: int = 3, features: int = 64, blocks: int = 8,
                 residual: bool = True, res_scale: float = 0.1) -> None:
        super().__init__()
        self.scale = _check_scale(scale, powers_of_two=True)
        features, blocks = check_int("features", features), check_int("blocks", blocks, minimum=0)
        self.residual = residual
        self.head = nn.Sequential(nn.Conv2d(channels, features, 3, padding=1), nn.ReLU(inplace=True))  # (N, F, h, w)
        self.blocks = nn.Sequential(*[ResidualBlock(features, res_scale) for _ in range(blocks)])  # (N, F, h, w)
        self.fuse = nn.Conv2d(features, features, 3, padding=1)  # before the global skip
        up = []
        for _ in range(int(math.log2(self.scale))):  # each stage: (N, F, h', w') → (N, F, 2h', 2w')
            up += [nn.Conv2d(features, 4 * features, 3, padding=1), nn.PixelShuffle(2), nn.ReLU(inplace=True)]
        self.upsample = nn.Sequential(*up)
        self.tail = nn.Conv2d(features, channels, 3, padding=1)  # (N, C, s·h, s·w)
        he_init(self)
        if residual:  # start exactly at bicubic: the residual branch outputs 0 until it learns something
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        h = self.head(lr)
        h = h + self.fuse(self.blocks(h))  # global skip around the residual blocks
        out = self.tail(self.upsample(h))
        if self.residual:
            out = residual_over_bicubic(out, lr, self.scale)
        return out if self.training else out.clamp(0, 1)


def residual_over_bicubic(residual: torch.Tensor, lr: torch.Tensor, scale: int) -> torch.Tensor:
    """SRResNet's output with the global residual: ``residual`` (N, C, s·h, s·w) plus bicubic ×``scale`` of
    ``lr`` (N, C, h, w) — PyTorch's bicubic, ``align_corners=False`` (upsampling: no antialias needed)."""
    return residual + F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False)
