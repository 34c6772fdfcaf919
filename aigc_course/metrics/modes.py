"""Mode coverage and sample quality on a mixture of Gaussians with known centres."""
from __future__ import annotations

import torch


def mode_stats(samples: torch.Tensor, centers: torch.Tensor, std: float, min_frac: float = 0.01,
               radius_stds: float = 3.0) -> dict[str, float | int | list[float]]:
    """Modes covered and the fraction of high-quality samples (Srivastava et al. 2017's protocol).

    A sample is *high quality* if it lies within ``radius_stds`` standard deviations of some centre;
    a mode is *covered* if at least ``min_frac`` of all samples lie that close to it.

    Limits: it sees only where samples fall, not whether each mode gets its fair share (see
    ``per_mode``), and it needs the true centres, so it exists only for toy problems.
    """
    dist = torch.cdist(samples.float(), centers.float())  # (N, modes)
    nearest, which = dist.min(1)
    close = nearest <= radius_stds * std
    per_mode = torch.bincount(which[close], minlength=len(centers)).float() / len(samples)
    return {"modes_covered": int((per_mode >= min_frac).sum()), "hq_fraction": float(close.float().mean()),
            "per_mode": per_mode.tolist()}
