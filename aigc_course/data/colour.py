"""Colour spaces for colourisation: CIE L*a*b* split into a lightness input and a colour target.

L*a*b* separates lightness L* (0–100) from two colour axes a* (green–red) and b* (blue–yellow), each
roughly in [−110, 110]. A colouriser reads L* and predicts (a*, b*), so it never has to reproduce the
lightness it was given. Conversions use scikit-image (D65 white, sRGB); the networks see
L = L*/50 − 1 ∈ [−1, 1] and ab = (a*, b*)/110, the pix2pix colourisation convention.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
from skimage import color

AB_SCALE = 110.0


def rgb_to_lab(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 RGB (N, 3, H, W) → (L (N, 1, H, W) in [−1, 1], ab (N, 2, H, W) ≈ in [−1, 1]), float32."""
    if images.ndim != 4 or images.shape[1] != 3 or images.dtype != torch.uint8:
        raise ValueError(f"images must be uint8 RGB of shape (N, 3, H, W); got {images.dtype} {tuple(images.shape)}")
    lab = color.rgb2lab(images.permute(0, 2, 3, 1).numpy().astype(np.float32) / 255.0)
    lab = torch.from_numpy(lab.astype(np.float32)).permute(0, 3, 1, 2).contiguous()
    return lab[:, :1] / 50.0 - 1.0, lab[:, 1:] / AB_SCALE


def lab_to_rgb(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`rgb_to_lab`: (N, 1, H, W) and (N, 2, H, W) → RGB (N, 3, H, W) float in [0, 1].

    Predicted (L, ab) pairs can fall outside the sRGB gamut; scikit-image clips them (with a warning we silence).
    """
    if L.ndim != 4 or L.shape[1] != 1 or ab.shape != (L.shape[0], 2, *L.shape[2:]):
        raise ValueError(f"L must be (N, 1, H, W) and ab (N, 2, H, W) of the same N, H, W; got "
                         f"{tuple(L.shape)} and {tuple(ab.shape)}")
    lab = torch.cat([(L.detach().float().cpu() + 1.0) * 50.0, ab.detach().float().cpu() * AB_SCALE], 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Conversion from CIE-LAB ... negative Z values that have been clipped"
        rgb = color.lab2rgb(lab.permute(0, 2, 3, 1).numpy().astype(np.float64))
    return torch.from_numpy(rgb.astype(np.float32)).permute(0, 3, 1, 2).clamp(0, 1).contiguous()
