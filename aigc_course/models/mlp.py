"""Tiny fully connected generator and discriminator for 1-D and 2-D toy problems."""
from __future__ import annotations

import torch
from torch import nn


def _mlp(sizes: list[int], act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), act()]
    return nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))


class MLPGenerator(nn.Module):
    """z of shape (N, nz) → point of shape (N, out_dim), no output squashing (toy data is unbounded)."""

    def __init__(self, nz: int = 2, out_dim: int = 2, hidden: int = 128, depth: int = 3) -> None:
        super().__init__()
        self.nz = nz
        self.net = _mlp([nz] + [hidden] * depth + [out_dim], nn.ReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """point of shape (N, in_dim) → one logit per point, shape (N,)."""

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3) -> None:
        super().__init__()
        self.net = _mlp([in_dim] + [hidden] * depth + [1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()
