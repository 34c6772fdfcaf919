"""Chapter 10 (diffusion models from first principles): the ring of 8 Gaussians with its exact score.

- :mod:`.ring`: diffusion on chapter 1's ring, the closed-form optimal noise predictor, the loss split.
"""
from __future__ import annotations

from ...runtime import Budget
from . import ring

__all__ = ["BUDGETS", "ring"]

# The notebook's count parameters: (quick, full) defaults when the learner leaves them at None.
BUDGETS = {
    "RING_STEPS": Budget(10_000, 30_000),  # denoiser steps on the ring (10,000: about 18 s on one core)
}
