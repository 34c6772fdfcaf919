"""Hole masks for inpainting: square holes, free-form brush strokes and thin scratches, seeded and measured.

A mask here is a *hole* mask: a float tensor (N, 1, H, W) that is 1 where pixels are missing and 0 where they
are known (OpenCV's ``inpaint`` takes the same convention; partial convolutions use its complement, the
"valid" mask). Three kinds, after the papers that made each one standard:

- ``"square"``: one axis-aligned square per image at a random place (Pathak et al. 2016's "random block"; their
  central block is the special case of a fixed place). Easy to fill from its borders, and what early work
  reported on.
- ``"freeform"``: random brush strokes, each a short random walk drawn with a thick round brush (DeepFill v2,
  Yu et al. 2019; the irregular masks of Liu et al. 2018): holes of every shape, close to what a user paints.
- ``"scratches"``: a few long thin lines (1–2 px) across the image: what an old print's scratches look like,
  the case of chapter 7's old-photo repair.

:func:`make_masks` draws until each mask's hole covers a fraction of the image in the requested range, so every
mask really covers what it says (``tests/test_inpainting.py`` checks the coverage of every mask).
"""
from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
import torch

from ..runtime import check_choice, check_int

MASK_KINDS = ("square", "freeform", "scratches")
MaskKind = Literal["square", "freeform", "scratches"]
# Default hole fractions per kind: the 15–25 % of a crop for holes, a few per cent for scratches.
DEFAULT_FRACTION = {"square": (0.15, 0.25), "freeform": (0.15, 0.25), "scratches": (0.02, 0.05)}


def _square(rng: np.random.Generator, size: int, target: float) -> np.ndarray:
    side = max(1, round(size * np.sqrt(target)))
    top, left = rng.integers(0, size - side + 1, size=2)
    hole = np.zeros((size, size), np.uint8)
    hole[top:top + side, left:left + side] = 1
    return hole


def _strokes(rng: np.random.Generator, size: int, target: float, width: tuple[int, int],
             segments: tuple[int, int], length: tuple[float, float]) -> np.ndarray:
    """Random-walk strokes with a round brush, one segment at a time, until the hole covers ``target``."""
    hole = np.zeros((size, size), np.uint8)
    while hole.mean() < target:
        x, y = rng.uniform(0, size, size=2)
        angle = rng.uniform(0, 2 * np.pi)
        w = int(rng.integers(width[0], width[1] + 1))
        for _ in range(int(rng.integers(segments[0], segments[1] + 1))):
            angle += rng.normal(0, 0.6)  # a stroke bends a little at each vertex
            step = rng.uniform(*length) * size
            nx, ny = np.clip(x + step * np.cos(angle), 0, size - 1), np.clip(y + step * np.sin(angle), 0, size - 1)
            cv2.line(hole, (round(x), round(y)), (round(nx), round(ny)), 1, w, lineType=cv2.LINE_8)
            x, y = nx, ny
            if hole.mean() >= target:
                break
    return hole


def _one(rng: np.random.Generator, kind: str, size: int, target: float) -> np.ndarray:
    if kind == "square":
        return _square(rng, size, target)
    if kind == "freeform":  # brush 5–12 % of the side wide, segments 10–25 % of the side long
        return _strokes(rng, size, target, width=(max(2, size // 20), max(3, size // 8)), segments=(2, 6),
                        length=(0.10, 0.25))
    return _strokes(rng, size, target, width=(1, 2), segments=(1, 3), length=(0.3, 0.8))  # long thin scratches


def make_masks(n: int, size: int, kind: MaskKind = "freeform", fraction: tuple[float, float] | None = None,
               seed: int = 0) -> torch.Tensor:
    """``n`` hole masks (n, 1, size, size), float 0/1, each covering a fraction of the image in ``fraction``
    (default :data:`DEFAULT_FRACTION` of ``kind``). Deterministic for a seed; independent of torch's RNG."""
    n, size = check_int("n", n), check_int("size", size, minimum=8)
    check_choice("kind", kind, MASK_KINDS)
    lo, hi = DEFAULT_FRACTION[kind] if fraction is None else fraction
    if not 0 < lo <= hi < 1:
        raise ValueError(f"fraction={fraction!r} is not allowed; give (low, high) with 0 < low <= high < 1")
    rng = np.random.default_rng(seed)
    out = np.empty((n, 1, size, size), np.float32)
    for i in range(n):
        while True:  # the last stroke can overshoot the range: draw that mask again
            hole = _one(rng, kind, size, rng.uniform(lo, hi))
            if lo <= hole.mean() <= hi:
                break
        out[i, 0] = hole
    return torch.from_numpy(out)


def coverage(holes: torch.Tensor) -> torch.Tensor:
    """The fraction of each mask (N, 1, H, W) that is hole; shape (N,)."""
    return holes.flatten(1).float().mean(1)
