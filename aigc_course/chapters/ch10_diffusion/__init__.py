"""Chapter 10 (diffusion models from first principles): the ring of 8 Gaussians with its exact score.

- :mod:`.ring`: diffusion on chapter 1's ring, the closed-form optimal noise predictor, the loss split.
"""
from __future__ import annotations

from . import ring

__all__ = ["ring"]
