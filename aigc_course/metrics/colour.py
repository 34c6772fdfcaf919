"""Measures for colour and restoration: colourfulness, and PSNR / SSIM from torchmetrics.

- :func:`colourfulness` (Hasler & Süsstrunk 2003): on the opponent axes rg = R − G and
  yb = (R + G)/2 − B (0–255 scale), M = √(σ_rg² + σ_yb²) + 0.3·√(μ_rg² + μ_yb²). In their study it
  agrees with people's ratings (correlation 0.95); a grey image scores 0, and "not colourful" ends
  near 15, "extremely colourful" above 100. Compare a model's score with real images of the same
  kind: a colouriser that plays safe scores far below them.
- :func:`psnr` and :func:`ssim`: per-image values on [0, 1] images, from torchmetrics' functional
  forms (``data_range=1``); read PSNR gains in dB against a baseline, not as absolute quality.
  Super-resolution papers score the *Y channel* of YCbCr (:func:`rgb_to_y`, ITU-R BT.601 as MATLAB's
  ``rgb2ycbcr``) with ``border = scale`` pixels cropped on each side (``y_channel=True, border=scale``);
  RGB with no crop gives other numbers on the same outputs, and comparing the two is the classic reason
  for results "below the paper".
"""
from __future__ import annotations

import torch
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from ..runtime import check_int


def colourfulness(images: torch.Tensor) -> torch.Tensor:
    """Hasler–Süsstrunk colourfulness of each RGB image (N, 3, H, W) in [0, 1]; shape (N,)."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be RGB of shape (N, 3, H, W) in [0, 1]; got {tuple(images.shape)}")
    r, g, b = (255.0 * images.double()).unbind(1)
    rg, yb = (r - g).flatten(1), (0.5 * (r + g) - b).flatten(1)
    std = (rg.var(1, unbiased=False) + yb.var(1, unbiased=False)).sqrt()
    mean = (rg.mean(1) ** 2 + yb.mean(1) ** 2).sqrt()
    return std + 0.3 * mean


def rgb_to_y(images: torch.Tensor) -> torch.Tensor:
    """Luma Y of RGB images (N, 3, H, W) in [0, 1], BT.601 "studio swing" as MATLAB's ``rgb2ycbcr``:
    Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255, in [16/255, 235/255]. Shape (N, 1, H, W)."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be RGB of shape (N, 3, H, W) in [0, 1]; got {tuple(images.shape)}")
    r, g, b = images.float().unbind(1)
    return ((16.0 + 65.481 * r + 128.553 * g + 24.966 * b) / 255.0).unsqueeze(1)


def _prepare(pred: torch.Tensor, target: torch.Tensor, y_channel: bool, border: int
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a pair of image batches, then take Y (if asked) and crop ``border`` pixels from every side."""
    if pred.shape != target.shape or pred.ndim != 4:
        raise ValueError(f"pred and target must both be (N, C, H, W) of the same shape; got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")
    border = check_int("border", border, minimum=0)
    if 2 * border >= min(pred.shape[-2:]):
        raise ValueError(f"border={border} leaves nothing of {tuple(pred.shape[-2:])} images; use border < "
                         f"{min(pred.shape[-2:]) // 2}")
    pred, target = pred.float(), target.float()
    if y_channel:
        pred, target = rgb_to_y(pred), rgb_to_y(target)
    if border:
        pred, target = pred[..., border:-border, border:-border], target[..., border:-border, border:-border]
    return pred, target


def psnr(pred: torch.Tensor, target: torch.Tensor, y_channel: bool = False, border: int = 0) -> torch.Tensor:
    """PSNR in dB of each image pair (N, C, H, W) in [0, 1]; shape (N,). ``y_channel``: on BT.601 Y only;
    ``border``: pixels cropped from each side first (super-resolution: the scale factor)."""
    pred, target = _prepare(pred, target, y_channel, border)
    return peak_signal_noise_ratio(pred, target, data_range=1.0, reduction="none", dim=(1, 2, 3))


def ssim(pred: torch.Tensor, target: torch.Tensor, y_channel: bool = False, border: int = 0) -> torch.Tensor:
    """SSIM (Gaussian window 11, σ 1.5) of each image pair (N, C, H, W) in [0, 1]; shape (N,). ``y_channel``
    and ``border`` as in :func:`psnr`."""
    pred, target = _prepare(pred, target, y_channel, border)
    return structural_similarity_index_measure(pred, target, data_range=1.0, reduction="none")
