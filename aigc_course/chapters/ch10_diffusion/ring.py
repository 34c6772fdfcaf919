"""Diffusion on chapter 1's ring of 8 Gaussians, where the true noise predictor is known in closed form.

The data are x_0 ~ (1/8) Σ_k N(μ_k, s² I). Forward-noising a Gaussian gives a Gaussian, so
x_t ~ (1/8) Σ_k N(√ᾱ_t μ_k, v_t I) with v_t = ᾱ_t s² + 1 − ᾱ_t, and its score is

    ∇ log p_t(x) = Σ_k r_k(x) (√ᾱ_t μ_k − x) / v_t,   r_k ∝ exp(−‖x − √ᾱ_t μ_k‖² / (2 v_t)).

The best possible ε-prediction is the conditional mean E[ε | x_t] = −√(1 − ᾱ_t) ∇ log p_t(x_t) (Tweedie's
formula; Vincent 2011): what the network is trained towards, here computable exactly. The training loss
splits into E‖ε − ε*‖² (irreducible, the same for every network) plus E‖ε_θ − ε*‖² (the score error).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ...data.loader import TensorLoader
from ...data.toy import RING_CENTERS as CENTERS
from ...data.toy import RING_STD, ring_of_gaussians
from ...metrics.modes import mode_stats
from ...models.diffusion import MLPDenoiser
from ...train.diffusion import (
    DiffusionRun,
    NoiseSchedule,
    Prediction,
    fit_diffusion,
    q_sample,
    sample,
    split_prediction,
)

BATCH = 256  # chapter 1's batch on the same points
SCHEDULE = NoiseSchedule.make("linear", 1000)  # Ho et al. (2020)'s T = 1000, β from 1e-4 to 0.02
# Probed on seeds 0–1 (10,000 steps, 18 s on one core): a cosine-decayed learning rate and EMA 0.999 brought the
# DDIM-100 high-quality fraction from 0.18–0.45 (5,000 steps, constant or EMA 0.99) to 0.69–0.72; see the benchmark.
LR, LR_SCHEDULE, EMA_DECAY = 1e-3, "cosine", 0.999


def optimal_eps(x_t: torch.Tensor, t: torch.Tensor, schedule: NoiseSchedule = SCHEDULE,
                centers: torch.Tensor = CENTERS, std: float = RING_STD) -> torch.Tensor:
    """E[ε | x_t] for the ring: −√(1 − ᾱ_t) · ∇ log p_t(x_t), exactly (module docstring). x_t (N, 2), t (N,)."""
    abar = schedule.alphas_cumprod[t.long()].to(x_t)[:, None, None]  # (N, 1, 1)
    means = abar.sqrt() * centers.to(x_t)[None]  # (N, K, 2): the noised centres √ᾱ μ_k
    var = abar * std ** 2 + 1 - abar  # (N, 1, 1)
    diff = means - x_t[:, None]  # (N, K, 2)
    resp = torch.softmax(-(diff ** 2).sum(-1, keepdim=True) / (2 * var), dim=1)  # r_k, (N, K, 1)
    score = (resp * diff / var).sum(1)  # (N, 2)
    return -(1 - abar[:, 0]).sqrt() * score


@torch.no_grad()
def score_error(model: torch.nn.Module, schedule: NoiseSchedule = SCHEDULE, n: int = 20_000,
                seed: int = 123, prediction: Prediction = "epsilon") -> dict[str, float]:
    """The loss split on fresh data: ``loss`` = E‖ε − ε_θ‖², ``irreducible`` = E‖ε − ε*‖², ``score_error`` =
    E‖ε_θ − ε*‖² (each a mean per coordinate, t uniform). loss ≈ irreducible + score_error.

    A network that predicts x_0 or v is scored through the ε̂ its output implies (``split_prediction``),
    so the three parameterisations are compared on one scale."""
    x0 = ring_of_gaussians(n, std=RING_STD, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)  # not ``seed``: that stream drew x0's own noise
    t = torch.randint(schedule.steps, (n,), generator=g)
    noise = torch.randn(x0.shape, generator=g)
    x_t = q_sample(x0, t, noise, schedule)
    was_training = model.training
    model.eval()
    pred = split_prediction(x_t, model(x_t, t).float(), t, schedule, prediction)[1]
    model.train(was_training)
    best = optimal_eps(x_t, t, schedule)
    return {"loss": float((pred - noise).pow(2).mean()), "irreducible": float((best - noise).pow(2).mean()),
            "score_error": float((pred - best).pow(2).mean())}


@dataclass
class RingDiffusionRun:
    """A trained ring denoiser, its DDPM samples and their mode statistics (chapter 1's protocol)."""

    run: DiffusionRun
    samples: torch.Tensor
    final: dict
    errors: dict[str, float]


def train_ring_diffusion(seed: int, steps: int, n_samples: int = 5000, sampler: str = "ddim",
                         sample_steps: int = 100, prediction: Prediction = "epsilon") -> RingDiffusionRun:
    """Train an :class:`MLPDenoiser` on chapter 1's ring data (same points, batch and seed) for ``steps`` steps,
    then draw ``n_samples`` points from its EMA copy with DDIM (``sample_steps``) or ancestral DDPM (all 1,000).
    ``prediction``: what the network outputs (ε, x_0 or v); the loss split is on the ε̂ it implies.

    No clipping of x̂_0: the ring's radius is 2, outside the [−1, 1] that image models clip to.
    """
    points = ring_of_gaussians(100_000, std=RING_STD, seed=seed)
    loader = TensorLoader(points, torch.zeros(len(points)), batch_size=BATCH, seed=seed, drop_last=True)
    torch.manual_seed(seed)
    run = fit_diffusion(MLPDenoiser(), loader, steps, schedule=SCHEDULE, prediction=prediction, lr=LR,
                        lr_schedule=LR_SCHEDULE, ema_decay=EMA_DECAY, seed=seed, progress=False)
    samples = sample(run.denoiser, n_samples, (2,), SCHEDULE, sampler=sampler, steps=sample_steps, clip=False,
                     prediction=prediction, seed=seed + 100, batch_size=n_samples)
    return RingDiffusionRun(run=run, samples=samples, final=mode_stats(samples, CENTERS, RING_STD),
                            errors=score_error(run.denoiser, prediction=prediction))
