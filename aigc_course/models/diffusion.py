"""Denoisers for diffusion models: ``model(x_t, t[, labels]) -> output shaped like x_t``.

- :class:`MLPDenoiser` for 2-D toy data (chapter 10's ring of Gaussians): t enters as a sinusoidal embedding.
- :class:`DiffusionUNet`, a small U-Net in the style of Ho et al. (2020) — residual blocks with GroupNorm and
  SiLU, the time embedding added inside every block, self-attention at the lowest resolution, skip
  connections from each encoder level to the decoder — with an optional class embedding whose extra index
  ``n_classes`` means "no class" (classifier-free guidance, Ho & Salimans 2022).
"""
from __future__ import annotations

import math

import torch
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (N,) → (N, dim), as in the Transformer and DDPM:
    [cos(t·f_0), …, cos(t·f_{d/2−1}), sin(t·f_0), …], f_i = max_period^(−i/(d/2))."""
    if dim % 2:
        raise ValueError(f"dim={dim} is not allowed; use an even number")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]  # (N, half)
    return torch.cat([angles.cos(), angles.sin()], dim=1)


class MLPDenoiser(nn.Module):
    """(x_t, t) of shapes (N, d), (N,) → (N, d): an MLP on [x_t, embedding(t)], SiLU activations."""

    def __init__(self, dim: int = 2, hidden: int = 128, depth: int = 3, t_dim: int = 32) -> None:
        super().__init__()
        self.n_classes, self.t_dim = 0, t_dim
        layers: list[nn.Module] = []
        width = dim + t_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        self.net = nn.Sequential(*layers, nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, timestep_embedding(t, self.t_dim)], dim=1))


class ResBlock(nn.Module):
    """GroupNorm → SiLU → 3×3 conv, + the embedding as a per-channel bias, GroupNorm → SiLU → 3×3 conv, + skip.

    The second convolution starts at zero, so a new block is the identity (on its skip path).
    """

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int = 8) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2, self.conv2 = nn.GroupNorm(groups, c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.act(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None, None]  # (N, c_out) → (N, c_out, 1, 1)
        h = self.conv2(self.act(self.norm2(h)))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Single-head self-attention over the H·W positions, residual, output projection zero-initialised."""

    def __init__(self, channels: int, groups: int = 8) -> None:
        super().__init__()
        self.norm, self.qkv = nn.GroupNorm(groups, channels), nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(n, 3, c, h * w).unbind(1)  # each (N, C, HW)
        a = nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return x + self.out(a.transpose(1, 2).reshape(n, c, h, w))  # (N, HW, C) → (N, C, H, W)


class DiffusionUNet(nn.Module):
    """A small U-Net denoiser for 28×28 (or 32×32) images; ``channels * mult[i]`` features at level i.

    With the defaults on 1 × 28 × 28: 28×28 (C) → 14×14 (2C) → 7×7 (2C, attention) and back, C = 32.
    ``n_classes > 0`` adds a class embedding with one extra row, index ``n_classes`` = "no class".
    """

    def __init__(self, in_channels: int = 1, channels: int = 32, mult: tuple[int, ...] = (1, 2, 2),
                 n_classes: int = 0, attention: bool = True) -> None:
        super().__init__()
        self.n_classes, self.channels = n_classes, channels
        emb = 4 * channels
        self.time = nn.Sequential(nn.Linear(channels, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label = nn.Embedding(n_classes + 1, emb) if n_classes else None
        widths = [channels * m for m in mult]
        self.conv_in = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.down, self.pool = nn.ModuleList(), nn.ModuleList()
        c = channels
        for i, w in enumerate(widths):
            self.down.append(ResBlock(c, w, emb))
            self.pool.append(nn.Conv2d(w, w, 3, stride=2, padding=1) if i < len(widths) - 1 else nn.Identity())
            c = w
        self.mid1, self.mid2 = ResBlock(c, c, emb), ResBlock(c, c, emb)
        self.attn = SelfAttention(c) if attention else nn.Identity()
        self.up = nn.ModuleList()
        for w in reversed(widths):
            self.up.append(ResBlock(c + w, w, emb))  # concatenated skip from the same level
            c = w
        self.norm_out, self.conv_out = nn.GroupNorm(8, c), nn.Conv2d(c, in_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)  # starts by predicting 0 everywhere
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if (labels is None) != (self.label is None):
            raise ValueError(f"this U-Net has n_classes={self.n_classes}; give labels if and only if it is > 0")
        emb = self.time(timestep_embedding(t, self.channels))  # (N, 4C)
        if self.label is not None:
            emb = emb + self.label(labels)
        h, skips = self.conv_in(x), []
        for block, pool in zip(self.down, self.pool):
            h = block(h, emb)
            skips.append(h)
            h = pool(h)  # 28×28 => 14×14 => 7×7 (the last level keeps its size)
        h = self.mid2(self.attn(self.mid1(h, emb)), emb)
        for i, block in enumerate(self.up):
            skip = skips.pop()
            if i > 0:  # back up to the skip's size: 7×7 => 14×14 => 28×28
                h = nn.functional.interpolate(h, size=skip.shape[-2:], mode="nearest")
            h = block(torch.cat([h, skip], dim=1), emb)
        return self.conv_out(nn.functional.silu(self.norm_out(h)))
