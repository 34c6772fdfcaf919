"""Measures for colour and restoration: colourfulness, and PSNR / SSIM from torchmetrics.

- :func:`colourfulness` (Hasler & Süsstrunk 2003): on the opponent axes rg = R − G and
  yb = (R + G)/2 − B (0–255 scale), M = √(σ_rg² + σ_yb²) + 0.3·√(μ_rg² + μ_yb²). In their study it
  agrees with people's ratings (correlation 0.95); a grey image scores 0, and "not colourful" ends
  near 15, "extremely colourful" above 100. Compare a model's score with real images of the same
  kind: a colouriser that plays safe scores far below them.
- :func:`psnr` and :func:`ssim`: per-image values on [0, 1] images, from torchmetrics' functional
  forms (``data_range=1``); read PSNR gains in dB against a baseline, not as absolute quality.
"""
from __future__ import annotations

import torch
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure


def colourfulness(images: torch.Tensor) -> torch.Tensor:
    """Hasler–Süsstrunk colourfulness of each RGB image (N, 3, H, W) in [0, 1]; shape (N,)."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be RGB of shape (N, 3, H, W) in [0, 1]; got {tuple(images.shape)}")
    r, g, b = (255.0 * images.double()).unbind(1)
    rg, yb = (r - g).flatten(1), (0.5 * (r + g) - b).flatten(1)
    std = (rg.var(1, unbiased=False) + yb.var(1, unbiased=False)).sqrt()
    mean = (rg.mean(1) ** 2 + yb.mean(1) ** 2).sqrt()
    return std + 0.3 * mean


def _check_pair(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise ValueError(f"pred and target must both be (N, C, H, W) of the same shape; got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")


def psnr(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of each image pair (N, C, H, W) in [0, 1]; shape (N,)."""
    _check_pair(pred, target)
    return peak_signal_noise_ratio(pred.float(), target.float(), data_range=1.0, reduction="none",
                                   dim=(1, 2, 3))


def ssim(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SSIM (Gaussian window 11, σ 1.5) of each image pair (N, C, H, W) in [0, 1]; shape (N,)."""
    _check_pair(pred, target)
    return structural_similarity_index_measure(pred.float(), target.float(), data_range=1.0, reduction="none")
