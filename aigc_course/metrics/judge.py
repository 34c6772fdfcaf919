"""Judging the judge: is a classifier's confidence a fair measure of "a recognisable digit"?

A generator's *confident rate* (the share of samples a classifier labels with probability >= 0.9)
is only as honest as the classifier. Two failures make it lie:

- **fooled by garbage** — an ordinary CNN gives extreme logits on inputs unlike any training image,
  so uniform noise or a checkerboard can be "an 8 with probability 1.0"; a collapsed generator's
  blobs then score 100 %;
- **brittle on real digits** — a slight blur or a few flipped pixels, which no reader would notice,
  can drop its confidence; a generator is then punished for texture, not for the shape of its digits.

:func:`judge_report` measures both on real test images, so every confident rate can be read next to
them. :func:`random_affine`, :func:`add_noise` and :func:`outlier_images` are the training-time remedies
that ``train_classifiers`` uses for the MNIST judge: data augmentation and outlier exposure
(Hendrycks, Mazeika & Dietterich 2019: train the classifier to be *uncertain* on non-digits).
Which checks are *held out* depends on the recipe: the shipped judge trains on Gaussian pixel noise and
on uniform noise, smooth blobs and flat greys, so those checks only confirm that training worked;
:func:`held_out_checks` names the others (blur, thicker and thinner strokes, salt-and-pepper, checkerboards,
stripes, shuffled pixels), the kinds of image it never saw. ``benchmarks/judge_fairness.py`` also trains a
*reverse* judge, exposed to checkerboards and stripes only, to test uniform noise, blobs and flats held out.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import check_choice
from .classifier import predict_probs
from .scores import classifier_scores

OUTLIER_KINDS = ("uniform_noise", "blobs", "flat", "checkerboard", "stripes")  # what outlier_images can draw
TRAINED_OUTLIERS = ("uniform_noise", "blobs", "flat")  # the shipped MNIST judge's outlier exposure
REVERSE_OUTLIERS = ("checkerboard", "stripes")  # the benchmark's second judge: the other kinds
# each check whose kind of image some training recipe may use: Gaussian noise is an augmentation of both
# recipes, the garbage_* checks are outlier kinds; every other check is held out from every recipe
CHECK_KINDS = {"noise_0.15": "gaussian_noise", "garbage_uniform_noise": "uniform_noise", "garbage_blobs": "blobs",
               "garbage_flat": "flat", "garbage_checkerboard": "checkerboard", "garbage_stripes": "stripes"}


def random_affine(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image (N, C, H, W) in [-1, 1] rotated ±12°, scaled ±10 %, sheared ±0.15 and shifted ±6 %.

    These are the small deformations of handwriting (the classic MNIST augmentation, Simard et al.
    2003); the background (-1) fills what moves in.
    """
    n = x.shape[0]

    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=generator, device=x.device) * 2 - 1

    angle, scale = uniform(n) * math.radians(12), 1 + uniform(n) * 0.1
    shear, shift = uniform(n) * 0.15, uniform(n, 2) * 0.12  # shift in units of half the image side
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos / scale, (shear - sin) / scale, shift[:, 0]], 1),
                         torch.stack([sin / scale, cos / scale, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1


def add_noise(x: torch.Tensor, max_std: float = 0.3, generator: torch.Generator | None = None) -> torch.Tensor:
    """Gaussian pixel noise with a standard deviation drawn per image from U(0, ``max_std``)."""
    std = torch.rand(x.shape[0], *([1] * (x.ndim - 1)), generator=generator, device=x.device) * max_std
    return x + std * torch.randn(x.shape, generator=generator, device=x.device)


def _uniform(n: int, generator: torch.Generator | None, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, 1, 1, 1, generator=generator)


def outlier_images(n: int, shape: tuple[int, int, int] = (1, 28, 28), kinds: Sequence[str] = TRAINED_OUTLIERS,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` images in [-1, 1] that are not digits, for outlier exposure, each of one of ``kinds`` at random.

    ``uniform_noise``; ``blobs`` (upsampled Gaussian noise, squashed); ``flat`` greys; ``checkerboard``
    (random cell size 2–7 px and phase); ``stripes`` (binary gratings, random period 3–10 px and angle).
    """
    kinds = [check_choice("outlier kind", k, OUTLIER_KINDS) for k in kinds]
    if not kinds:
        raise ValueError(f"kinds is empty; choose some of {', '.join(OUTLIER_KINDS)}")
    c, h, w = shape
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    draws = {}
    for kind in kinds:
        if kind == "uniform_noise":
            draws[kind] = torch.rand(n, c, h, w, generator=generator) * 2 - 1
        elif kind == "blobs":
            draws[kind] = torch.tanh(2 * F.interpolate(torch.randn(n, c, h // 4, w // 4, generator=generator),
                                                       size=(h, w), mode="bilinear", align_corners=False))
        elif kind == "flat":
            draws[kind] = _uniform(n, generator, -1, 1).expand(n, c, h, w)
        elif kind == "checkerboard":
            cell = torch.randint(2, 8, (n, 1, 1, 1), generator=generator).float()
            dy, dx = _uniform(n, generator, 0, 8), _uniform(n, generator, 0, 8)
            board = ((torch.floor((yy + dy) / cell) + torch.floor((xx + dx) / cell)) % 2) * 2 - 1
            draws[kind] = board.expand(n, c, h, w)
        else:  # stripes
            period, angle = _uniform(n, generator, 3, 10), _uniform(n, generator, 0, math.pi)
            phase = _uniform(n, generator, 0, 2 * math.pi)
            wave = torch.sin(2 * math.pi * (xx * torch.cos(angle) + yy * torch.sin(angle)) / period + phase)
            draws[kind] = torch.sign(wave).expand(n, c, h, w)
    pick = torch.randint(0, len(kinds), (n, 1, 1, 1), generator=generator)
    out = draws[kinds[0]]
    for i, kind in enumerate(kinds[1:], start=1):
        out = torch.where(pick == i, draws[kind], out)
    return out


def held_out_checks(outliers: Sequence[str] = TRAINED_OUTLIERS) -> list[str]:
    """The names of :func:`judge_checks` whose kind of image a judge exposed to ``outliers`` (and trained with
    Gaussian-noise augmentation, as both recipes are) never saw: only these test generalisation."""
    seen = {"gaussian_noise", *outliers}
    return [name for name in CHECK_NAMES if name != "real" and CHECK_KINDS.get(name) not in seen]


def outlier_exposure_loss(logits: torch.Tensor) -> torch.Tensor:
    """Cross-entropy from the uniform distribution to the prediction: lowest when the classifier is unsure."""
    return -logits.log_softmax(1).mean()


CHECK_NAMES = ("real", "blur", "thicker", "thinner", "salt_pepper", "noise_0.15", "garbage_uniform_noise",
               "garbage_blobs", "garbage_flat", "garbage_checkerboard", "garbage_stripes", "garbage_shuffled_pixels")


def judge_checks(real: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
    """The images :func:`judge_report` shows a judge, by name (:data:`CHECK_NAMES`), each of the shape of
    ``real`` (N, 1, H, W) in [-1, 1].

    ``real``; ``blur`` (3×3 binomial), ``thicker`` / ``thinner`` (strokes one pixel wider / narrower:
    2×2 max / min filter), ``salt_pepper`` (3 % of pixels flipped), ``noise_0.15`` (Gaussian, σ = 0.15);
    no digit at all: ``garbage_uniform_noise``, ``garbage_blobs``, ``garbage_flat`` (one grey level),
    ``garbage_checkerboard``, ``garbage_stripes`` (random cells, periods, angles: :func:`outlier_images`),
    ``garbage_shuffled_pixels`` (each digit's pixels in random order: the same ink, no shape).
    :func:`held_out_checks` says which of them a recipe never trained on.
    """
    if real.ndim != 4 or real.shape[1] != 1:
        raise ValueError(f"real must be single-channel images (N, 1, H, W); got shape {tuple(real.shape)}")
    g = torch.Generator().manual_seed(seed)
    n, side = real.shape[0], real.shape[-1]
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :] / 16).view(1, 1, 3, 3)
    flips = torch.rand(real.shape, generator=g) < 0.03
    checks = {
        "real": real,
        "blur": F.conv2d(F.pad(real, (1, 1, 1, 1), value=-1.0), kernel),
        "thicker": F.max_pool2d(F.pad(real, (0, 1, 0, 1), value=-1.0), 2, 1),
        "thinner": -F.max_pool2d(F.pad(-real, (0, 1, 0, 1), value=1.0), 2, 1),
        "salt_pepper": torch.where(flips, -real, real),
        "noise_0.15": real + 0.15 * torch.randn(real.shape, generator=g),
        "garbage_uniform_noise": torch.rand(n, 1, side, side, generator=g) * 2 - 1,
        "garbage_blobs": outlier_images(n, (1, side, side), ("blobs",), generator=g),
        "garbage_flat": outlier_images(n, (1, side, side), ("flat",), generator=g),
        "garbage_checkerboard": outlier_images(n, (1, side, side), ("checkerboard",), generator=g),
        "garbage_stripes": outlier_images(n, (1, side, side), ("stripes",), generator=g),
        "garbage_shuffled_pixels": torch.gather(
            real.flatten(1), 1, torch.argsort(torch.rand(n, side * side, generator=g), 1)).view_as(real),
    }
    return {name: checks[name].clamp(-1, 1) for name in CHECK_NAMES}


@torch.no_grad()
def judge_report(classifier: nn.Module, real: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """Confident rates of ``classifier`` on real single-channel images ``real`` (N, 1, H, W) in [-1, 1],
    on identity-preserving changes of them, and on images that are not digits (:func:`judge_checks`).

    A fair judge is confident on the first two groups (a reader would recognise every digit) and not
    on the third.
    """
    report = {}
    for name, x in judge_checks(real, seed).items():
        report[name] = classifier_scores(predict_probs(classifier, x))["confident_rate"]
    return report
