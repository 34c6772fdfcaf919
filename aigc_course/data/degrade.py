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
- :func:`old_photo_degradation` — chapter 7's "old print": fading towards a sepia tint, blur, film grain, light
  scratches and dust specks, JPEG; it also returns where the scratches and dust are (the defect mask).
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
from .masks import make_masks


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


SEPIA = (0.78, 0.66, 0.48)  # the paper tone an old print fades towards (RGB in [0, 1])


def old_photo_degradation(images: torch.Tensor, seed: int = 0, fade: tuple[float, float] = (0.55, 0.8),
                          blur: tuple[float, float] = (0.4, 1.0), grain: tuple[float, float] = (4.0, 12.0),
                          scratches: tuple[float, float] = (0.01, 0.04), dust: float = 0.004,
                          jpeg: tuple[int, int] = (70, 95)) -> tuple[torch.Tensor, torch.Tensor]:
    """An old print made from a clean photo: ``(degraded, defects)``, both (N, ·, H, W), float in [0, 1].

    Per image, each strength drawn from a seeded generator: the photo keeps a share ``fade`` of its contrast
    and colour, the rest goes to the :data:`SEPIA` paper tone after desaturation to grey; Gaussian blur of σ in
    ``blur`` pixels; film grain, Gaussian noise of σ in ``grain`` (0–255 scale); light scratches (thin lines,
    :func:`~aigc_course.data.masks.make_masks` ``"scratches"``, covering a fraction in ``scratches``) and dust
    specks (a fraction ``dust`` of pixels, light or dark); JPEG at a quality in ``jpeg``. ``defects`` (N, 1, H, W)
    is 1 on scratch and dust pixels: what a classical pipeline would have to detect before inpainting them.
    """
    _check_images(images)
    if images.shape[1] != 3:
        raise ValueError(f"old_photo_degradation needs RGB images (N, 3, H, W); got {tuple(images.shape)}")
    for name, (lo, hi) in {"fade": fade, "blur": blur, "grain": grain, "scratches": scratches, "jpeg": jpeg}.items():
        if not 0 <= lo <= hi:
            raise ValueError(f"{name}={(lo, hi)!r} is not allowed; give a range (low, high) with 0 <= low <= high")
    if not (fade[1] <= 1 and jpeg[1] <= 100 and 0 <= dust < 1):
        raise ValueError(f"fade={fade!r}, jpeg={jpeg!r}, dust={dust!r}: fade lies in [0, 1], JPEG qualities in "
                         f"0..100, dust in [0, 1)")
    n, _, h, w = images.shape
    g = torch.Generator().manual_seed(seed)
    u = lambda lo_hi: lo_hi[0] + (lo_hi[1] - lo_hi[0]) * float(torch.rand((), generator=g))
    lines = (make_masks(n, min(h, w), "scratches", fraction=scratches, seed=seed)[..., :h, :w]
             if scratches[1] > 0 else torch.zeros(n, 1, h, w))
    sepia = torch.tensor(SEPIA).view(3, 1, 1)
    out, defects = [], []
    for image, line in zip(images, lines):
        keep = u(fade)
        grey = image.mean(0, keepdim=True)
        x = keep * image + (1 - keep) * (0.5 * grey + 0.5 * sepia)  # fading: contrast and colour go to paper
        x = x.permute(1, 2, 0).double().numpy()
        x = torch.from_numpy(np.ascontiguousarray(cv2.GaussianBlur(x, (0, 0), u(blur), borderType=cv2.BORDER_REFLECT)))
        x = x.permute(2, 0, 1).float() + (u(grain) / 255.0) * torch.randn(3, h, w, generator=g)
        specks = torch.rand(1, h, w, generator=g) < dust
        dark = torch.rand(1, h, w, generator=g) < 0.3  # most dust prints light; some dark
        brightness = 0.85 + 0.15 * torch.rand(1, h, w, generator=g)
        x = torch.where(line.bool() | (specks & ~dark), brightness.expand(3, h, w), x)
        x = torch.where(specks & dark, torch.full_like(x, 0.1), x)
        x8 = (x.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        quality = int(torch.randint(jpeg[0], jpeg[1] + 1, (), generator=g))
        out.append(torch.from_numpy(_jpeg(np.ascontiguousarray(x8), quality).copy()).permute(2, 0, 1))
        defects.append((line.bool() | specks).float())
    return torch.stack(out).float() / 255.0, torch.stack(defects)
