"""Toy distributions whose densities are known exactly, for checking GAN theory by computation."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Mixture1D:
    """A 1-D mixture of Gaussians with known density."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """The exact density at ``x``."""
        x = np.asarray(x, dtype=np.float64)[..., None]
        w, m, s = (np.asarray(v, dtype=np.float64) for v in (self.weights, self.means, self.stds))
        return (w * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))).sum(-1)

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """``n`` samples as a float32 tensor of shape (n, 1)."""
        g = torch.Generator().manual_seed(seed)
        comp = torch.multinomial(torch.tensor(self.weights), n, replacement=True, generator=g)
        mean, std = torch.tensor(self.means)[comp], torch.tensor(self.stds)[comp]
        return (mean + std * torch.randn(n, generator=g)).unsqueeze(1).float()


# The chapter's 1-D target: two well-separated bumps, so mode dropping is easy to see.
BIMODAL = Mixture1D(weights=(0.5, 0.5), means=(-2.0, 2.0), stds=(0.5, 0.5))


def ring_centers(n_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """Centres of ``n_modes`` Gaussians evenly spaced on a circle, shape (n_modes, 2)."""
    angle = torch.arange(n_modes, dtype=torch.float64) * (2 * np.pi / n_modes)
    return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], 1).float()


def ring_of_gaussians(n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.02, seed: int = 0) -> torch.Tensor:
    """``n`` points from the ring-of-Gaussians benchmark (Metz et al. 2017), shape (n, 2).

    Equal-weight isotropic Gaussians of standard deviation ``std`` centred on :func:`ring_centers`.
    """
    g = torch.Generator().manual_seed(seed)
    mode = torch.randint(0, n_modes, (n,), generator=g)
    return ring_centers(n_modes, radius)[mode] + std * torch.randn(n, 2, generator=g)


# The benchmark as chapters 1 (GANs) and 10 (diffusion) use it: 8 modes on a circle of radius 2, std 0.02.
RING_STD = 0.02
RING_CENTERS = ring_centers(8, 2.0)
