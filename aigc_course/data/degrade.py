"""Degradations for the restoration chapters: the fixed, documented ways a clean photo is made small or noisy.

A restoration model learns the inverse of exactly the degradation it was trained on, so the degradation is
part of the experiment and must be stated (and reproducible from a seed):

- :func:`bicubic_downsample` — the super-resolution benchmarks' "bicubic ×s": bicubic interpolation *with
  antialiasing*, which is what MATLAB's ``imresize`` (used to make Set5, Set14, DIV2K's LR images) does.
  Without antialiasing, a ×4 reduction aliases fine texture into the low-resolution image; models trained on
  it and scored against the papers' numbers come out "below the paper".
- :func:`realistic_degradation` — a camera-like chain for the last section of chapter 6 (Wang et al. 2021's
  Real-ESRGAN uses a longer one): Gaussian blur, bicubic ×s, Gaussian noise, JPEG, each strength drawn per
  image from a seeded generator.
- :func:`add_gaussian_noise` — denoising's additive white Gaussian noise, σ on the 0–255 scale as papers
  state it (σ = 25 means 25/255 on [0, 1] images), not clipped unless asked (clipping changes the noise).

All take and return float images (N, C, H, W) in [0, 1].
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..runtime import check_float, check_int


def _check_images(images: torch.Tensor) -> None:
    if images.ndim != 4 or not images.is_floating_point():
        raise ValueError(f"images must be float (N, C, H, W) in [0, 1]; got {images.dtype} {tuple(images.shape)}")


def bicubic_downsample(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """×``scale`` bicubic reduction with antialiasing; H and W must be multiples of ``scale``. Clamped to [0, 1]."""
    _check_images(hr)
    scale = check_int("scale", scale)
    h, w = hr.shape[-2:]
    if h % scale or w % scale:
        raise ValueError(f"image size {h}×{w} is not a multiple of scale={scale}; crop it to "
                         f"{h - h % scale}×{w - w % scale} first")
    lr = F.interpolate(hr, size=(h // scale, w // scale), mode="bicubic", align_corners=False, antialias=True)
    return lr.clamp(0, 1)


def bicubic_upsample(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """The bicubic baseline: ×``scale`` bicubic interpolation of ``lr``, clamped to [0, 1]."""
    _check_images(lr)
    scale = check_int("scale", scale)
    return F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)


def add_gaussian_noise(images: torch.Tensor, sigma: float, seed: int = 0, clip: bool = False) -> torch.Tensor:
    """``images`` plus white Gaussian noise of standard deviation ``sigma``/255, from a seeded generator."""
    _check_images(images)
    sigma = check_float("sigma", sigma, inclusive=True)
    g = torch.Generator().manual_seed(seed)
    noisy = images + (sigma / 255.0) * torch.randn(images.shape, generator=g, dtype=images.dtype)
    return noisy.clamp(0, 1) if clip else noisy


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """One HWC RGB uint8 image through OpenCV's JPEG encoder and back."""
    ok, buf = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"OpenCV could not JPEG-encode an image of shape {image.shape}")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1]


def realistic_degradation(hr: torch.Tensor, scale: int, seed: int = 0, blur: tuple[float, float] = (0.5, 1.5),
                          noise: tuple[float, float] = (1.0, 10.0), jpeg: tuple[int, int] = (60, 95)) -> torch.Tensor:
    """Blur → bicubic ×``scale`` ↓ → Gaussian noise → JPEG, one draw of each strength per image.

    Per image: blur σ (HR pixels) uniform in ``blur``, noise σ (0–255 scale) uniform in ``noise``, JPEG quality
    an integer uniform in ``jpeg``. Deterministic for a ``seed``; returns the LR images, float in [0, 1].
    """
    _check_images(hr)
    if hr.shape[1] != 3:
        raise ValueError(f"realistic_degradation needs RGB images (N, 3, H, W); got {tuple(hr.shape)}")
    for name, (lo, hi) in {"blur": blur, "noise": noise, "jpeg": jpeg}.items():
        if not 0 <= lo <= hi:
            raise ValueError(f"{name}={(lo, hi)!r} is not allowed; give a range (low, high) with 0 <= low <= high")
    if not jpeg[1] <= 100:
        raise ValueError(f"jpeg={jpeg!r} is not allowed; JPEG qualities lie in 0..100")
    g = torch.Generator().manual_seed(seed)
    out = []
    for image in hr:
        sigma_blur = blur[0] + (blur[1] - blur[0]) * float(torch.rand((), generator=g))
        sigma_noise = noise[0] + (noise[1] - noise[0]) * float(torch.rand((), generator=g))
        quality = int(torch.randint(jpeg[0], jpeg[1] + 1, (), generator=g))
        x = image.permute(1, 2, 0).double().numpy()
        if sigma_blur > 0:
            x = cv2.GaussianBlur(x, (0, 0), sigma_blur, borderType=cv2.BORDER_REFLECT)
        lr = bicubic_downsample(torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].float(), scale)[0]
        lr = lr + (sigma_noise / 255.0) * torch.randn(lr.shape, generator=g)
        lr8 = (lr.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        out.append(torch.from_numpy(_jpeg(np.ascontiguousarray(lr8), quality).copy()).permute(2, 0, 1))
    return torch.stack(out).float() / 255.0
