"""The VAE objective: the evidence lower bound (ELBO), in nats, for a Bernoulli decoder.

For one image x, with q(z|x) = N(μ, diag σ²) and prior p(z) = N(0, I):

    ELBO(x) = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)) ≤ log p(x)

:func:`vae_loss` turns it into a ``loss_fn`` for :func:`~aigc_course.train.fit`, with dynamic
binarisation (each pixel intensity is the probability of a 1, resampled at every step: Salakhutdinov
& Murray 2008), so the Bernoulli likelihood is a real likelihood of binary data.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def normal_log_pdf(x: torch.Tensor, mean: torch.Tensor | float, logvar: torch.Tensor | float) -> torch.Tensor:
    """log N(x; mean, exp(logvar)) elementwise: −½ ((x − mean)² / σ² + log σ² + log 2π).

    Parametrised by the log-variance, as a VAE's encoder outputs it; sum over the last dimension for
    a diagonal Gaussian.
    """
    if not isinstance(logvar, torch.Tensor):
        logvar = torch.tensor(float(logvar), dtype=torch.float64)
    return -0.5 * ((x - mean) ** 2 / logvar.exp() + logvar + math.log(2 * math.pi))


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) per row, in nats: ½ Σ (μ² + σ² − log σ² − 1)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0).sum(-1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x|z) = Σ_i [x_i log σ(l_i) + (1 − x_i) log(1 − σ(l_i))] per image, computed from logits."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(-3).sum(-1)


def binarize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Stochastic binarisation: pixel i becomes 1 with probability x_i (x in [0, 1])."""
    if generator is None:
        return torch.bernoulli(x)
    return torch.bernoulli(x.cpu(), generator=generator).to(x.device)


def elbo_terms(model: nn.Module, x: torch.Tensor, beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-image (ELBO_β, E_q log p(x|z), KL) with one reparameterised sample; ELBO_β = rec − β·KL."""
    logits, mu, logvar = model(x)
    rec = bernoulli_log_likelihood(logits, x)
    kl = gaussian_kl(mu, logvar)
    return rec - beta * kl, rec, kl


def vae_loss(beta: float = 1.0) -> Callable:
    """A ``fit`` loss: the mean negative ELBO_β of a dynamically binarised batch (labels ignored).

    β = 1 is the VAE; β > 1 is the β-VAE of Higgins et al. (2017), which trades reconstruction
    (distortion) for a smaller KL (rate). Metrics logged: ``rec`` (−E log p(x|z)) and ``kl``, in nats.
    """
    if not beta >= 0:
        raise ValueError(f"beta={beta!r} is not allowed; use a number >= 0 (1 for the plain VAE)")

    def loss_fn(model: nn.Module, x: torch.Tensor, _y: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        elbo, rec, kl = elbo_terms(model, binarize(x), beta)
        return -elbo.mean(), {"rec": -rec.mean().detach(), "kl": kl.mean().detach()}

    return loss_fn
