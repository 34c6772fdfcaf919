"""Numerical companions to the GAN theory of Goodfellow et al. (2014), used by chapter 1.

Each function computes one claim of the theory on problems whose densities are known, so the
notebook can check the algebra against numbers.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...data.loader import TensorLoader
from ...models.mlp import MLPDiscriminator
from ...runtime import check_choice
from ...train.losses import d_loss, gradient_penalty
from ...train.supervised import fit


def gaussian_pdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """The density of N(mu, sigma²) at ``x``."""
    return np.exp(-0.5 * ((np.asarray(x) - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), the maximiser of V(D, G) for a fixed G (0.5 where both are 0)."""
    total = p_data + p_g
    return np.divide(p_data, total, out=np.full_like(total, 0.5), where=total > 0)


def jsd(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """Jensen–Shannon divergence (nats) of two densities sampled on the grid ``x``, by the trapezoid rule.

    JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m) with m = (p + q)/2; it lies in [0, log 2].
    """
    m = (p + q) / 2

    def kl_part(a: np.ndarray) -> np.ndarray:  # a·log(a/m), with 0·log 0 = 0
        out = np.zeros_like(a)
        pos = (a > 0) & (m > 0)  # m ≥ a/2, but a denormal a can halve to 0
        out[pos] = a[pos] * (np.log(a[pos]) - np.log(m[pos]))
        return out

    return float(np.trapezoid(0.5 * kl_part(p) + 0.5 * kl_part(q), x))


def kl(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """KL(p‖q) in nats of two densities sampled on the grid ``x`` (trapezoid rule; 0·log 0 = 0)."""
    pos = (p > 0) & (q > 0)
    out = np.zeros_like(p)
    out[pos] = p[pos] * (np.log(p[pos]) - np.log(q[pos]))
    return float(np.trapezoid(out, x))


def generator_objectives(p_data: np.ndarray, p_g: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """What each generator loss minimises against the optimal discriminator, for densities on the grid ``x``.

    - ``minimax``: −log 4 + 2·JSD(p_data‖p_g) (Goodfellow et al. 2014);
    - ``nonsaturating``: KL(p_g‖p_data) − 2·JSD(p_data‖p_g), whose gradient the non-saturating loss follows
      against D* (Arjovsky & Bottou 2017, Theorem 2.5); the reverse KL makes missing modes cheap.
    """
    j = jsd(p_data, p_g, x)
    return {"jsd": j, "kl_g_data": kl(p_g, p_data, x), "minimax": -math.log(4) + 2 * j,
            "nonsaturating": kl(p_g, p_data, x) - 2 * j}


def nonsaturating_gradient_check(pdf_data, mu: float, sigma: float, x: np.ndarray, h: float = 1e-4
                                 ) -> tuple[float, float]:
    """d/dμ of E_{N(μ, σ²)}[−log D*(x)] with D* held at the current generator, beside d/dμ of
    KL(p_g‖p_data) − 2·JSD: central differences of both at ``mu``. They agree (Arjovsky & Bottou 2017)."""
    p_data = pdf_data(x)
    d_star = optimal_discriminator(p_data, gaussian_pdf(x, mu, sigma))
    neg_log_d = -np.log(np.maximum(d_star, 1e-300))

    def loss(m: float) -> float:
        return float(np.trapezoid(gaussian_pdf(x, m, sigma) * neg_log_d, x))

    def objective(m: float) -> float:
        return generator_objectives(p_data, gaussian_pdf(x, m, sigma), x)["nonsaturating"]

    return (loss(mu + h) - loss(mu - h)) / (2 * h), (objective(mu + h) - objective(mu - h)) / (2 * h)


def train_discriminator(real: torch.Tensor, fake: torch.Tensor, steps: int = 1500, lr: float = 2e-3,
                        batch_size: int = 512, hidden: int = 64, seed: int = 0) -> MLPDiscriminator:
    """Fit a fresh MLP discriminator to tell ``real`` (label 1) from ``fake`` (label 0) with cross-entropy.

    With enough capacity and data its sigmoid output approaches D*(x); this is the maximisation
    over D inside the GAN game, run to (near) convergence for a fixed generator.
    """
    torch.manual_seed(seed)
    D = MLPDiscriminator(in_dim=real.shape[1], hidden=hidden)
    x = torch.cat([real, fake]).float()
    y = torch.cat([torch.ones(len(real)), torch.zeros(len(fake))])
    loader = TensorLoader(x, y, batch_size=batch_size, seed=seed, drop_last=True)

    def bce(model: torch.nn.Module, xb: torch.Tensor, yb: torch.Tensor):
        return F.binary_cross_entropy_with_logits(model(xb), yb), {}

    fit(D, loader, bce, steps, lr=lr, progress=False)
    return D.eval()


@torch.no_grad()
def value_function(D: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor) -> float:
    """V(D, G) = E_data[log D(x)] + E_g[log(1 − D(x))], estimated on samples (D returns logits)."""
    return float(-F.softplus(-D(real)).mean() - F.softplus(D(fake)).mean())


def bilinear_game(x0: float, y0: float, lr: float, steps: int, alternating: bool) -> np.ndarray:
    """Gradient play on min_x max_y x·y from (x0, y0); returns the (steps + 1, 2) trajectory.

    Simultaneous updates use the old y and x together; alternating updates let y respond to the new x.
    The unique equilibrium is (0, 0).
    """
    path = np.empty((steps + 1, 2))
    x, y = path[0] = (x0, y0)
    for t in range(1, steps + 1):
        x_new = x - lr * y  # x descends ∂(xy)/∂x = y
        y = y + lr * (x_new if alternating else x)  # y ascends ∂(xy)/∂y = x
        x = x_new
        path[t] = (x, y)
    return path


def train_critic(real: torch.Tensor, fake: torch.Tensor, method: str, steps: int = 1000, lr: float = 1e-3,
                 clip: float = 0.01, gp_weight: float = 10.0, hidden: int = 64, seed: int = 0,
                 free_steps: int = 0) -> tuple[MLPDiscriminator, list[float]]:
    """Train a WGAN critic to maximise E[f(real)] − E[f(fake)], kept Lipschitz by ``method``.

    ``"clip"``: clamp every weight to [−clip, clip] after each step, optimised with RMSProp as in the
    original WGAN (Arjovsky et al. 2017, section 4: with a momentum method such as Adam the critic's
    training "becomes unstable at times", its objective being nonstationary; they use lr 5·10⁻⁵ for
    images, this 1-D toy uses ``lr``). ``"gp"``: add the gradient penalty (Gulrajani et al. 2017),
    optimised with Adam (β = 0.5, 0.9) as they did. The first ``free_steps`` steps skip the penalty (an
    experiment of chapter 1). Returns the critic and its estimate of the Wasserstein distance after each step.
    """
    check_choice("method", method, ("clip", "gp"))
    torch.manual_seed(seed)
    f = MLPDiscriminator(in_dim=real.shape[1], hidden=hidden)
    opt = (torch.optim.RMSprop(f.parameters(), lr=lr) if method == "clip"
           else torch.optim.Adam(f.parameters(), lr=lr, betas=(0.5, 0.9)))
    estimates = []
    for step in range(steps):
        loss = d_loss("wgan-gp", f(real), f(fake))  # = −(E[f(real)] − E[f(fake)])
        if method == "gp" and step >= free_steps:
            loss = loss + gp_weight * gradient_penalty(f, real, fake)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if method == "clip":
            with torch.no_grad():
                for p in f.parameters():
                    p.clamp_(-clip, clip)
        with torch.no_grad():
            estimates.append(float(f(real).mean() - f(fake).mean()))
    return f.eval(), estimates


def max_slope(f: nn.Module, lo: float, hi: float, n: int = 2000) -> float:
    """max |f'(x)| of a 1-D critic on ``n`` points of [lo, hi]: its Lipschitz constant K on that interval.

    A critic with constant K is 1-Lipschitz after division by K, so E[f(real)] − E[f(fake)] ≤ K·W₁ and
    (estimate / K) is a lower bound on W₁ that reaches it only if f is the best K-Lipschitz critic.
    """
    x = torch.linspace(lo, hi, n).unsqueeze(1).requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x).sum(), x)
    return float(grad.abs().max())
