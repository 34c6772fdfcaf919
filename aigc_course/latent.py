"""Walking a generator's latent space: interpolation (linear, spherical) and truncated noise.

In high dimension, N(0, I) samples concentrate on a shell of radius ≈ √d. A straight line between
two of them passes *inside* the shell (its midpoint has norm ≈ √(d/2)), through noise the
generator rarely saw; spherical interpolation (slerp, Shoemake 1985; White 2016) follows the arc
and keeps the norm typical.
"""
from __future__ import annotations

import torch

from .runtime import check_choice, check_int


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows of ``z0`` and ``z1`` at fraction ``t`` ∈ [0, 1].

    slerp = sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1, Ω the angle between z0 and z1;
    it falls back to linear interpolation where the vectors are (nearly) parallel.
    """
    t = torch.as_tensor(t, dtype=z0.dtype)
    cos = (z0 * z1).sum(-1, keepdim=True) / (z0.norm(dim=-1, keepdim=True) * z1.norm(dim=-1, keepdim=True))
    omega = torch.acos(cos.clamp(-1.0, 1.0))
    so = torch.sin(omega)
    parallel = so.abs() < 1e-6
    safe = torch.where(parallel, torch.ones_like(so), so)
    out = torch.sin((1 - t) * omega) / safe * z0 + torch.sin(t * omega) / safe * z1
    return torch.where(parallel, (1 - t) * z0 + t * z1, out)


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "slerp") -> torch.Tensor:
    """``steps`` points from vector ``z0`` to ``z1`` (shape (d,)), as rows of a (steps, d) tensor."""
    check_choice("method", method, ("linear", "slerp"))
    check_int("steps", steps, minimum=2)
    ts = torch.linspace(0, 1, steps, dtype=z0.dtype).unsqueeze(1)
    if method == "linear":
        return (1 - ts) * z0 + ts * z1
    return slerp(z0.expand(steps, -1), z1.expand(steps, -1), ts)


def truncated_noise(n: int, nz: int, threshold: float | None, seed: int = 0) -> torch.Tensor:
    """N(0, I) noise (n, nz) whose entries with |z| > ``threshold`` are redrawn until inside.

    The truncation trick (Brock et al. 2019): sampling nearer the mode trades diversity for
    fidelity. ``threshold=None`` gives plain, untruncated noise.
    """
    if threshold is not None and not threshold > 0:
        raise ValueError(f"threshold={threshold!r} is not allowed; use None or a number > 0 (e.g. 1.0)")
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, nz, generator=g)
    if threshold is None:
        return z
    outside = z.abs() > threshold
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=g)
        outside = z.abs() > threshold
    return z
