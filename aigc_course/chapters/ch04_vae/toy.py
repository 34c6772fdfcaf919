"""Chapter 4's numerical checks: a toy model whose log p(x) is exact, the KL term, and gradient estimators.

The toy model is linear-Gaussian: z ~ N(0, 1), x | z ~ N(w·z, s²). Everything is closed-form —
p(x) = N(0, w² + s²), p(z|x) = N(w·x / (w² + s²), s² / (w² + s²)) — so the ELBO of any Gaussian
q(z|x) = N(m, v) can be set beside the true log p(x), and the gap checked against KL(q ‖ p(z|x)).
"""
from __future__ import annotations

import math

import torch

from ...runtime import check_choice
from ...train.vae import gaussian_kl, normal_log_pdf


def toy_log_evidence(x: float, w: float, s: float) -> float:
    """Exact log p(x) of the toy model: x ~ N(0, w² + s²)."""
    return float(normal_log_pdf(torch.tensor(x, dtype=torch.float64), 0.0, math.log(w * w + s * s)))


def toy_posterior(x: float, w: float, s: float) -> tuple[float, float]:
    """Mean and variance of the exact posterior p(z|x)."""
    return w * x / (w * w + s * s), s * s / (w * w + s * s)


def toy_elbo(x: float, m: torch.Tensor, v: torch.Tensor, w: float, s: float) -> torch.Tensor:
    """Closed-form ELBO of q = N(m, v) for the toy model: E_q log p(x|z) − KL(q ‖ N(0, 1)).

    E_q log N(x; w z, s²) = −½ log(2π s²) − ((x − w m)² + w² v) / (2 s²).
    """
    m, v = torch.as_tensor(m, dtype=torch.float64), torch.as_tensor(v, dtype=torch.float64)
    expected_loglik = -0.5 * math.log(2 * math.pi * s * s) - ((x - w * m) ** 2 + w * w * v) / (2 * s * s)
    return expected_loglik - gaussian_kl(m.unsqueeze(-1), v.log().unsqueeze(-1))


def kl_normal_1d(m1: torch.Tensor, v1: torch.Tensor, m2: float, v2: float) -> torch.Tensor:
    """KL(N(m1, v1) ‖ N(m2, v2)) for scalars (elementwise)."""
    return 0.5 * (torch.log(torch.as_tensor(v2 / v1)) + (v1 + (m1 - m2) ** 2) / v2 - 1.0)


def toy_elbo_monte_carlo(x: float, m: float, v: float, w: float, s: float, n: int, seed: int = 0) -> dict:
    """Jensen's view, sampled: E_q[log r] (the ELBO) and log E_q[r] (→ log p(x)) for r = p(x, z) / q(z), z ~ q.

    The first is what a VAE optimises; the second is exact as n → ∞ because E_q[p(x, z)/q(z)] = p(x).
    """
    g = torch.Generator().manual_seed(seed)
    z = m + math.sqrt(v) * torch.randn(n, generator=g, dtype=torch.float64)
    log_r = normal_log_pdf(z, 0.0, 0.0) + normal_log_pdf(torch.tensor(x, dtype=torch.float64), w * z, math.log(s * s)) \
        - normal_log_pdf(z, m, math.log(v))
    return {"elbo": float(log_r.mean()), "log_mean": float(log_r.logsumexp(0) - math.log(n))}


def kl_monte_carlo(mu: torch.Tensor, logvar: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) per row, estimated as E_q[log q(z) − log p(z)] from ``n`` samples."""
    g = torch.Generator().manual_seed(seed)
    mu, logvar = mu.double(), logvar.double()
    z = mu + (0.5 * logvar).exp() * torch.randn((n, *mu.shape), generator=g, dtype=torch.float64)
    return (normal_log_pdf(z, mu, logvar) - normal_log_pdf(z, 0.0, 0.0)).sum(-1).mean(0)


def gradient_estimates(mu: float, sigma: float, target: float, n_samples: int, n_trials: int,
                       method: str, seed: int = 0) -> torch.Tensor:
    """``n_trials`` estimates of d/dμ E_{z~N(μ, σ²)}[(z − target)²] (exact value: 2(μ − target)),
    each from ``n_samples`` draws.

    - ``reparam``: z = μ + σε, so the gradient is the mean of f'(z) = 2(z − target).
    - ``score``: REINFORCE, the mean of f(z) · ∂ log q(z)/∂μ = f(z)(z − μ)/σ²; needs no derivative of f.
    - ``score-baseline``: the same with f(z_i) − b_i, b_i the mean of f over the *other* draws
      (a leave-one-out baseline, independent of z_i, so the estimate stays unbiased).
    """
    check_choice("method", method, ("reparam", "score", "score-baseline"))
    g = torch.Generator().manual_seed(seed)
    z = mu + sigma * torch.randn(n_trials, n_samples, generator=g, dtype=torch.float64)
    f = (z - target) ** 2
    if method == "reparam":
        return (2 * (z - target)).mean(1)
    if method == "score-baseline":
        if n_samples < 2:
            raise ValueError("method='score-baseline' needs n_samples >= 2 for its leave-one-out baseline")
        f = f - (f.sum(1, keepdim=True) - f) / (n_samples - 1)
    return (f * (z - mu) / sigma**2).mean(1)
