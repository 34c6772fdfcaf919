"""Scores of a set of images under a classifier, and FID / KID on classifier features.

All of them are relative measures: read each one next to the same number for *real* images
(``classifier_record(...)["real_confident_rate"]``, :func:`fid_floor`), never alone.
"""
from __future__ import annotations

import warnings

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from .classifier import features


def classifier_scores(probs: torch.Tensor, threshold: float = 0.9) -> dict:
    """Confident rate, class fractions and an Inception-Score analogue from class probabilities (N, K).

    - ``confident_rate``: fraction with max probability >= ``threshold``. A generator of clean digits
      scores near the real-data rate; an overconfident classifier inflates both alike.
    - ``class_fractions``: how often each class is predicted (coverage; uniform data gives ~1/K each).
    - ``inception_score``: exp(E_x KL(p(y|x) ‖ p(y))) (Salimans et al. 2016) with this classifier
      instead of Inception: high when samples are confidently classified *and* classes are balanced;
      blind to diversity within a class and to memorisation.
    """
    probs = probs.double()
    marginal = probs.mean(0)
    kl = (probs * (probs.clamp_min(1e-12).log() - marginal.clamp_min(1e-12).log())).sum(1)
    fractions = torch.bincount(probs.argmax(1), minlength=probs.shape[1]).double() / len(probs)
    return {"confident_rate": float((probs.max(1).values >= threshold).double().mean()),
            "class_fractions": fractions.tolist(), "inception_score": float(kl.mean().exp())}


def torn_between_two(probs: torch.Tensor, threshold: float = 0.9) -> torch.Tensor:
    """Which samples are *torn between two classes*: top probability below ``threshold``, top two at least it.

    Splits the unconfident samples of :func:`classifier_scores` into the ambiguous ones (the
    classifier hesitates between exactly two classes, e.g. a 4 that could be a 9) and the rest
    (blurry, broken or no-class images). It says nothing about *which* pairs, and, like every score
    here, it inherits the classifier's biases: read its rate next to the same rate on real images.
    Returns a boolean tensor (N,).
    """
    top2 = probs.double().topk(2, dim=1).values
    return (top2[:, 0] < threshold) & (top2.sum(1) >= threshold)


def torn_rate(probs: torch.Tensor, threshold: float = 0.9) -> float:
    """The fraction of samples :func:`torn_between_two` flags."""
    return float(torn_between_two(probs, threshold).double().mean())


def wasserstein_1d(a: torch.Tensor, b: torch.Tensor) -> float:
    """W1 between two equal-size 1-D samples: the mean gap between their sorted values (0 = same distribution)."""
    return float((a.flatten().sort().values - b.flatten().sort().values).abs().mean())


def _feed(metric, real: torch.Tensor, fake: torch.Tensor, batch: int = 500):
    for i in range(0, len(real), batch):
        metric.update(real[i:i + batch], real=True)
    for i in range(0, len(fake), batch):
        metric.update(fake[i:i + batch], real=False)
    return metric.compute()


class _Given(nn.Module):
    """torchmetrics' feature extractor for features computed already (:func:`~.classifier.features`): the
    identity, in float64, so the metric's statistics are float64 as with its own extractors."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.double()


def fid_of_features(real: torch.Tensor, fake: torch.Tensor) -> float:
    """:func:`fid` from the classifier features of the two sets (N, F), computed once by the caller."""
    metric = FrechetInceptionDistance(feature=_Given(real.shape[1]), reset_real_features=True)
    return float(_feed(metric, real, fake))


@torch.no_grad()
def fid(real: torch.Tensor, fake: torch.Tensor, classifier: nn.Module) -> float:
    """Fréchet distance between Gaussians fitted to classifier features of ``real`` and ``fake`` (images in [-1, 1]).

    Biased upwards at small N (Chong & Forsyth 2020): compare only at equal N, next to :func:`fid_floor`.
    With a small classifier's features it measures what that classifier sees, not human perception.
    """
    return fid_of_features(features(classifier, real), features(classifier, fake))


def real_order(n_real: int, seed: int = 0) -> torch.Tensor:
    """The seeded order of ``n_real`` real images that :func:`fid_floor` takes its two halves from; its first
    ``n`` are also ``score_samples``' reference set, so one pass of the judge serves the FID and its floor."""
    return torch.randperm(n_real, generator=torch.Generator().manual_seed(seed))


def check_floor_size(n_real: int, n: int) -> None:
    """The FID floor compares two disjoint sets of ``n`` real images: a clear error where there are fewer than 2n."""
    if n_real < 2 * n:
        raise ValueError(f"fid_floor needs 2·n = {2 * n} real images; got {n_real}")


@torch.no_grad()
def fid_floor(real: torch.Tensor, classifier: nn.Module, n: int, seed: int = 0) -> float:
    """FID between two disjoint random halves of real images, ``n`` each: the best score a perfect
    generator could get at this sample size (needs at least 2n real images)."""
    check_floor_size(len(real), n)
    both = features(classifier, real[real_order(len(real), seed)[:2 * n]])
    return fid_of_features(both[:n], both[n:])


@torch.no_grad()
def kid(real: torch.Tensor, fake: torch.Tensor, classifier: nn.Module, subset_size: int = 500,
        subsets: int = 50) -> tuple[float, float]:
    """Kernel Inception Distance (Bińkowski et al. 2018) on classifier features: (mean, std) over subsets.

    An unbiased estimate of a squared MMD: near 0 (and sometimes negative) for equal distributions
    at any N, which makes it fairer than FID for small sample sizes.
    """
    subset_size = min(subset_size, len(real), len(fake))
    with warnings.catch_warnings():  # "will save all extracted features": intended, our sets are small
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        metric = KernelInceptionDistance(feature=_Given(classifier.num_features), subsets=subsets,
                                         subset_size=subset_size)
    mean, std = _feed(metric, features(classifier, real), features(classifier, fake))
    return float(mean), float(std)
