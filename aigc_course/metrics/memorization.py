"""A memorisation check: the nearest training images of generated samples, in a feature space.

A generator that copies its training set scores perfectly on FID and the classifier metrics. The
check looks for copies directly: for each sample, find the closest training image (Euclidean
distance between classifier features) and compare those distances with the same distances for
*held-out real* images. A memorising generator sits far closer to the training set than new real
data does (ratio well below 1); a generalising one about as close or farther. Limits: it detects
near-copies in what the feature network sees, not partial copying of strokes or textures.
"""
from __future__ import annotations

import torch
from torch import nn

from .classifier import features


def _nearest(queries_f: torch.Tensor, train_f: torch.Tensor, batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    dists, idx = [], []
    for part in queries_f.split(batch):
        best = torch.cdist(part, train_f).min(1)
        dists.append(best.values)
        idx.append(best.indices)
    return torch.cat(dists), torch.cat(idx)


@torch.no_grad()
def nearest_neighbours(queries: torch.Tensor, train: torch.Tensor, classifier: nn.Module,
                       batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """For each query image, (distance, index) of the nearest ``train`` image in classifier-feature space."""
    return _nearest(features(classifier, queries), features(classifier, train), batch)


@torch.no_grad()
def memorization_report(fake: torch.Tensor, held_out: torch.Tensor, train: torch.Tensor,
                        classifier: nn.Module) -> dict:
    """Median nearest-training-neighbour distance of samples vs held-out real images, and their ratio.

    ``ratio`` ≈ 1 or above: samples are no closer to the training set than new real images are;
    ``ratio`` ≪ 1: a sign of copying. ``fake_index`` gives each sample's nearest training image.
    """
    train_f = features(classifier, train)  # once, for both sets of queries
    fake_d, fake_i = _nearest(features(classifier, fake), train_f)
    real_d, _ = _nearest(features(classifier, held_out), train_f)
    return {"fake_median": float(fake_d.median()), "held_out_median": float(real_d.median()),
            "ratio": float(fake_d.median() / real_d.median()), "fake_distance": fake_d, "fake_index": fake_i}
