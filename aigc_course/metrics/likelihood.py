"""Likelihood of binary images under a VAE, in nats: the negative ELBO and the importance-weighted bound.

Both are upper bounds on −log p(x); the importance-weighted one (Burda, Grosse & Salakhutdinov 2016)

    −log p(x) ≤ −log (1/k) Σ_j p(x, z_j) / q(z_j|x),   z_j ~ q(z|x)

tightens as k grows (k = 1 is the negative ELBO in expectation) and is the number published papers
report as "NLL" on binarised MNIST. Both depend on the binarisation: compare only numbers on the same
binarised test set (here: stochastic binarisation with a fixed seed).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..train.vae import bernoulli_log_likelihood, elbo_terms, normal_log_pdf


@torch.no_grad()
def log_weights(model: nn.Module, x: torch.Tensor, k: int) -> torch.Tensor:
    """log p(x, z_j) − log q(z_j|x) for k samples z_j ~ q(z|x) per image: shape (k, N)."""
    mu, logvar = model.encode(x)
    z = model.reparameterize(mu, logvar, k=k)                              # (k, N, d)
    logits = model.decode(z.flatten(0, 1)).unflatten(0, (k, len(x)))      # (k, N, 1, 28, 28)
    log_px_z = bernoulli_log_likelihood(logits, x.expand(k, *x.shape))
    log_pz = normal_log_pdf(z, torch.zeros_like(z), torch.zeros_like(z)).sum(-1)
    return log_px_z + log_pz - normal_log_pdf(z, mu, logvar).sum(-1)


@torch.no_grad()
def iw_nll(model: nn.Module, x: torch.Tensor, k: int = 100, batch_size: int = 100,
           seed: int = 0) -> tuple[float, float]:
    """Importance-weighted estimate of −log p(x) in nats per image, averaged over ``x``: (mean, standard error).

    ``x`` must be binary. Cost: k decoder passes per image. The estimate is biased upwards
    (an upper bound on average), by less as k grows.
    """
    if k < 1:
        raise ValueError(f"k={k!r} is not allowed; use an integer >= 1 (100 or more for a reported NLL)")
    torch.manual_seed(seed)
    was_training = model.training
    model.eval()
    out = torch.cat([-(log_weights(model, x[i:i + batch_size], k).double().logsumexp(0) - math.log(k))
                     for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return float(out.mean()), float(out.std() / math.sqrt(len(out)))


@torch.no_grad()
def nelbo(model: nn.Module, x: torch.Tensor, batch_size: int = 500, seed: int = 0) -> dict:
    """Negative ELBO of binary images ``x`` with one posterior sample each, in nats per image.

    Returns ``nelbo`` (mean), its standard error, and the split into ``rec`` (−E log p(x|z), the
    distortion) and ``kl`` (the rate).
    """
    torch.manual_seed(seed)
    was_training = model.training
    model.eval()
    parts = [elbo_terms(model, x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    model.train(was_training)
    elbo, rec, kl = (torch.cat([p[j] for p in parts]).double() for j in range(3))
    return {"nelbo": float(-elbo.mean()), "nelbo_se": float(elbo.std() / math.sqrt(len(elbo))),
            "rec": float(-rec.mean()), "kl": float(kl.mean())}
