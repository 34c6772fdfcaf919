"""Sharpness measured on the pixels, with no classifier in the loop.

A classifier trained to tolerate blur (as the course's fair judge is) cannot say which of two sets of
images is blurrier. These measures can, and they are what restoration chapters report beside
PSNR/SSIM: read each one against the same measure on real images of the same kind.

- :func:`gradient_energy`: the mean squared finite-difference gradient per image. Blur spreads edges
  over more pixels, lowering it; noise raises it, so read it together with an image grid.
- :func:`high_frequency_ratio`: the share of an image's spectral energy (mean removed) above a radial
  frequency, a fraction of Nyquist. Blur removes exactly these frequencies.
"""
from __future__ import annotations

import torch

from ..runtime import check_float


def _gray(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) in any range → (N, H, W) float64 luminance (the channel mean)."""
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W); got {tuple(images.shape)}")
    return images.double().mean(1)


def gradient_energy(images: torch.Tensor) -> torch.Tensor:
    """Per image: mean over pixels of (∂x I)² + (∂y I)², with forward differences. Shape (N,)."""
    g = _gray(images)
    dx, dy = g[:, :, 1:] - g[:, :, :-1], g[:, 1:, :] - g[:, :-1, :]
    return dx.pow(2).mean((1, 2)) + dy.pow(2).mean((1, 2))


def high_frequency_ratio(images: torch.Tensor, cutoff: float = 0.5) -> torch.Tensor:
    """Per image: the fraction of spectral energy at radial frequencies above ``cutoff`` × Nyquist. Shape (N,)."""
    cutoff = check_float("cutoff", cutoff)
    if cutoff >= 1:
        raise ValueError(f"cutoff={cutoff!r} is not allowed; give a fraction of Nyquist in (0, 1)")
    g = _gray(images)
    g = g - g.mean((1, 2), keepdim=True)
    power = torch.fft.fft2(g).abs().pow(2)
    fy = torch.fft.fftfreq(g.shape[1], dtype=torch.float64).abs() * 2  # in units of Nyquist
    fx = torch.fft.fftfreq(g.shape[2], dtype=torch.float64).abs() * 2
    radius = torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    total = power.sum((1, 2)).clamp_min(1e-30)
    return power[:, radius > cutoff].sum(1) / total
