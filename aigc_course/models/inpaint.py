"""Inpainting: filling holes in photographs, classically and with a network, and the composite that keeps the rest.

Images are float RGB (N, 3, H, W) in [0, 1]; ``hole`` masks (N, 1, H, W) are 1 where pixels are missing
(:mod:`aigc_course.data.masks`). Every method returns a *composite*: the known pixels of the input exactly, the
method's guess only inside the hole (:func:`composite`). Scores are therefore taken inside the hole
(:func:`hole_psnr`), where methods differ, not over the whole image, where the kept pixels would make every
method look good.

Classical baselines, each a library call: OpenCV's ``inpaint`` with Telea's fast marching method (Telea 2004)
or the Navier–Stokes method (Bertalmio et al. 2001), and scikit-image's biharmonic inpainting (Damelin & Hoang
2018), which solves ∇⁴u = 0 in the hole: the smoothest surface that meets the known pixels.

:class:`InpaintNet` is a small context encoder (Pathak et al. 2016) in U-Net form: an encoder down to 1/8 of
the side, dilated residual blocks there (a wide receptive field, as in Iizuka et al. 2017, so a hole's
surroundings reach its centre), a decoder with skips. How it reads the holes is the chapter's experiment:

- ``conv="plain"``: the masked image (holes set to 0, i.e. black) and the mask as a fourth channel go through
  ordinary convolutions. Every window that overlaps a hole averages real pixels with fake black ones, so the
  features near holes depend on how much of the window is hole.
- ``conv="partial"``: the encoder's convolutions are partial convolutions (:class:`PartialConv2d`, Liu et al.
  2018): each window uses only its known pixels, rescaled by how many there were, and the mask shrinks layer by
  layer as holes fill from their borders. (The decoder's convolutions stay plain here; Liu et al. use partial
  convolutions there too, with the encoder's masks beside its skips.)

By default the network predicts the hole's pixels directly, so any quality is learned; ``prior=True`` instead
starts from a classical fill (see :class:`InpaintNet`).
"""
from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from skimage.restoration import inpaint_biharmonic
from torch import nn

from ..runtime import check_choice, check_int
from .sr import he_init

CLASSICAL = ("telea", "ns", "biharmonic")
CONVS = ("plain", "partial")


def _check(images: torch.Tensor, hole: torch.Tensor) -> None:
    if images.ndim != 4 or images.shape[1] != 3 or not images.is_floating_point():
        raise ValueError(f"images must be float RGB (N, 3, H, W) in [0, 1]; got {images.dtype} {tuple(images.shape)}")
    if hole.shape != (images.shape[0], 1, *images.shape[2:]):
        raise ValueError(f"hole must be (N, 1, H, W) = {(images.shape[0], 1, *images.shape[2:])} for these images; "
                         f"got {tuple(hole.shape)}")


def composite(pred: torch.Tensor, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """The inpainted image: ``image`` where it is known (hole = 0), ``pred`` inside the hole (hole = 1).
    Known pixels come out bit for bit as they went in."""
    return torch.where(hole.bool(), pred, image)


def masked_l1(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the hole's pixels only (all channels): the loss of a network whose known
    pixels are replaced by the input anyway. An empty hole gives 0."""
    weight = hole.expand_as(target)
    return ((pred - target).abs() * weight).sum() / weight.sum().clamp_min(1)


def hole_psnr(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of each image (N,) over the hole's pixels only (RGB in [0, 1], all channels)."""
    _check(target, hole)
    weight = hole.expand_as(target).double()
    mse = ((pred.double() - target.double()) ** 2 * weight).flatten(1).sum(1) / weight.flatten(1).sum(1).clamp_min(1)
    return (10 * torch.log10(1.0 / mse)).float()


def _to_uint8(images: torch.Tensor) -> np.ndarray:
    return (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def inpaint_classical(images: torch.Tensor, hole: torch.Tensor,
                      method: Literal["telea", "ns", "biharmonic"] = "telea", radius: int = 5) -> torch.Tensor:
    """Fill the holes of ``images`` with a classical method and composite: ``"telea"`` or ``"ns"`` (OpenCV's
    ``cv2.inpaint`` on uint8, neighbourhood ``radius`` pixels) or ``"biharmonic"`` (scikit-image, float)."""
    check_choice("method", method, CLASSICAL)
    _check(images, hole)
    radius = check_int("radius", radius)
    holes = hole[:, 0].numpy().astype(np.uint8)
    out = []
    if method == "biharmonic":
        for img, m in zip(images.permute(0, 2, 3, 1).double().numpy(), holes):
            out.append(torch.from_numpy(inpaint_biharmonic(img, m.astype(bool), channel_axis=-1)).float())
        filled = torch.stack(out).permute(0, 3, 1, 2)
    else:
        flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
        for img, m in zip(_to_uint8(images), holes):
            out.append(torch.from_numpy(cv2.inpaint(np.ascontiguousarray(img), m, radius, flag)))
        filled = torch.stack(out).permute(0, 3, 1, 2).float() / 255
    return composite(filled.clamp(0, 1), images, hole)


class PartialConv2d(nn.Conv2d):
    """Partial convolution (Liu et al. 2018, eq. 1–2): ``forward(x, valid) -> (y, valid')``.

    With ``valid`` (N, 1, H, W) = 1 on known pixels, each output is W·(x ⊙ M)·(|window| / sum(M)) + b over the
    window's known pixels only, and 0 where the window has none; the new mask is 1 wherever the window saw any
    known pixel. With no holes it is exactly ``nn.Conv2d`` (a test checks both)."""

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        with torch.no_grad():
            ones = torch.ones(1, 1, *self.kernel_size, dtype=x.dtype, device=x.device)
            count = F.conv2d(valid.to(x.dtype), ones, stride=self.stride, padding=self.padding,
                             dilation=self.dilation)  # known pixels under each window
            new_valid = (count > 0).to(x.dtype)
            ratio = self.kernel_size[0] * self.kernel_size[1] / count.clamp_min(1.0) * new_valid
        raw = F.conv2d(x * valid, self.weight, None, self.stride, self.padding, self.dilation, self.groups)
        bias = 0.0 if self.bias is None else self.bias.view(1, -1, 1, 1)
        return (raw * ratio + bias) * new_valid, new_valid


class _Down(nn.Module):
    """A stride-2 3×3 convolution and a 3×3 one, ReLU after each: (c_in) × H × W => (c_out) × H/2 × W/2."""

    def __init__(self, c_in: int, c_out: int, partial: bool) -> None:
        super().__init__()
        conv = PartialConv2d if partial else nn.Conv2d
        self.partial = partial
        self.conv1, self.conv2 = conv(c_in, c_out, 3, stride=2, padding=1), conv(c_out, c_out, 3, padding=1)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.partial:
            x, valid = self.conv1(x, valid)
            x, valid = self.conv2(F.relu(x), valid)
            return F.relu(x), valid
        return F.relu(self.conv2(F.relu(self.conv1(x)))), valid


class _DilatedBlock(nn.Module):
    """x + conv(relu(dilated conv(x))): context from ``dilation`` pixels away at the bottleneck, size unchanged."""

    def __init__(self, c: int, dilation: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=dilation, dilation=dilation), nn.ReLU(inplace=True),
                                  nn.Conv2d(c, c, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


def pack(image: torch.Tensor, hole: torch.Tensor, fill: torch.Tensor | None = None) -> torch.Tensor:
    """:class:`InpaintNet`'s input, one tensor for the shared training loops: the image with its hole zeroed, the
    hole, and (for a network with ``prior=True``) a classical ``fill``: (N, 4 or 7, H, W)."""
    _check(image, hole)
    parts = [image * (1 - hole), hole] + ([] if fill is None else [fill])
    return torch.cat(parts, 1)


class InpaintNet(nn.Module):
    """:func:`pack` (image, hole[, fill]) (N, 4 or 7, H, W) → the composite (N, 3, H, W); H, W multiples of 8.

    Channels: ``base`` at full size, 2·base at 1/2, 4·base at 1/4 and at 1/8 (the bottleneck, ``dilations``
    one residual block each). ``conv`` chooses how the encoder reads the holes (module docstring). With
    ``prior=True`` the network reads a classical fill instead of the black-holed image and predicts a residual
    over it, zero-initialised: untrained, it returns the classical result exactly, so any gain is learned."""

    def __init__(self, base: int = 16, conv: Literal["plain", "partial"] = "plain",
                 dilations: tuple[int, ...] = (2, 4, 8), prior: bool = False) -> None:
        super().__init__()
        base = check_int("base", base)
        self.conv = check_choice("conv", conv, CONVS)
        if prior and conv == "partial":
            raise ValueError("prior=True reads a filled image, with no hole to skip: use it with conv='plain'")
        self.prior = prior
        partial = conv == "partial"
        widths = (base, 2 * base, 4 * base, 4 * base)
        # (3 + 1) x H x W => base x H x W: the plain network knows where holes are only from the mask channel
        self.head = PartialConv2d(3, base, 3, padding=1) if partial else nn.Conv2d(4, base, 3, padding=1)
        self.down = nn.ModuleList(_Down(a, b, partial) for a, b in zip(widths[:-1], widths[1:]))  # to H/8
        self.context = nn.Sequential(*[_DilatedBlock(widths[-1], d) for d in dilations])  # H/8, wide field
        self.up = nn.ModuleList(  # level i: upsample ×2, concatenate the encoder's level, 3×3 conv
            nn.Conv2d(widths[i + 1] + widths[i], widths[i], 3, padding=1) for i in reversed(range(3)))
        self.tail = nn.Conv2d(base, 3, 3, padding=1)  # base x H x W => 3 x H x W
        he_init(self)
        if prior:  # start exactly at the classical fill
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

    @property
    def in_channels(self) -> int:
        return 7 if self.prior else 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"input has shape {tuple(x.shape)}; this InpaintNet takes pack(image, hole"
                             f"{', fill' if self.prior else ''}): (N, {self.in_channels}, H, W)")
        image, hole = x[:, :3], x[:, 3:4]
        valid = 1.0 - hole
        if self.prior:
            h = self.head(torch.cat([x[:, 4:], hole], 1))
        elif self.conv == "partial":
            h, valid = self.head(image, valid)
        else:
            h = self.head(x)
        skips = [F.relu(h)]
        for down in self.down:  # H => H/2 => H/4 => H/8
            h, valid = down(skips[-1], valid)
            skips.append(h)
        h = self.context(skips.pop())  # (4·base) x H/8 x W/8
        for conv in self.up:  # H/8 => H/4 => H/2 => H
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = F.relu(conv(torch.cat([h, skips.pop()], 1)))
        pred = self.tail(h) + (x[:, 4:] if self.prior else 0.0)
        if not self.training:
            pred = pred.clamp(0, 1)
        return composite(pred, image, hole)
