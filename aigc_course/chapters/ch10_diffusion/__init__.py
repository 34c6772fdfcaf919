"""Chapter 10 (diffusion models from first principles): budgets, the exercises, and the chapter's parts.

- :mod:`.ring`: diffusion on chapter 1's ring of 8, the closed-form optimal noise predictor, the loss split.
- :mod:`.mnist`: the class-conditional MNIST model's configuration, shared by the notebook and the recipe.
"""
from __future__ import annotations

import torch

from ...exercises import Exercise, ExerciseSet
from ...runtime import Budget
from ...train.diffusion import NoiseSchedule, ddim_step, guide, q_sample
from . import mnist, ring

__all__ = ["BUDGETS", "DDIM_STEPS", "QUICK_BAR", "exercises", "meets", "mnist", "ring"]

# The notebook's count parameters: (quick, full) defaults when the learner leaves them at None.
BUDGETS = {
    "RING_STEPS": Budget(10_000, 30_000),  # denoiser steps on the ring (10,000: about 18 s on one core)
    "MNIST_STEPS": Budget(mnist.QUICK_STEPS, mnist.FULL_STEPS),  # the live MNIST run
    "N_EVAL": Budget(100, 2_000),  # samples per judged setting of the shipped model (guidance, DDIM steps)
}
# The DDIM step counts of the notebook's cost curve. Quick mode stops at 50: 100 steps took a third of the quick
# notebook's time in CI (2026-12-07) and the judge scored it as 50 (FID 2.60 both, 200 samples); full mode adds it.
DDIM_STEPS = Budget((10, 20, 50), (10, 20, 50, 100))

# What the quick-mode notebook must show (tests/test_notebooks.py checks its recorded results): the ring's 8 modes
# with a high-quality fraction at least chapter 1's WGAN-GP mean over five seeds (0.60, ring_diffusion.json);
# the shipped model drawing the asked digit at the chapter's guidance scale; our DDIM trajectory equal to
# diffusers'; and the pitfall of section 7 visible (keeping the network's ε̂ after clamping loses digits).
QUICK_BAR = {"ring_modes": 8, "ring_hq": 0.6, "asked_digit": 0.9, "diffusers_max_abs_diff": 1e-4}


def meets(results: dict, bar: dict) -> bool:
    """Whether a run's recorded ``results`` show the chapter's points (see :data:`QUICK_BAR`)."""
    pitfall = results["pitfall_keep_network_eps"]
    return (results["ring_modes"] >= bar["ring_modes"] and results["ring_hq"] >= bar["ring_hq"]
            and results["cfg_requested_class_acc"] >= bar["asked_digit"]
            and results["diffusers_max_abs_diff"] <= bar["diffusers_max_abs_diff"]
            and pitfall["asked_digit"] < results["cfg_scales"][str(pitfall["scale"])]["asked_digit"])


_SCHEDULE = NoiseSchedule.make("linear", 1000)


def _x0_t_noise(g: torch.Generator) -> tuple:
    n = int(torch.randint(1, 9, (1,), generator=g))
    x0 = torch.rand(n, 1, 6, 6, generator=g) * 2 - 1
    t = torch.randint(0, 1000, (n,), generator=g)
    return x0, t, torch.randn(x0.shape, generator=g), _SCHEDULE.alphas_cumprod


def _q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε with ᾱ_t = ``alphas_cumprod[t]`` per image: the library's ``q_sample`` on
    the chapter's schedule (whose ᾱ the checker passes in)."""
    return q_sample(x0, t, noise, _SCHEDULE)


def _ddim_inputs(g: torch.Generator) -> tuple:
    x_t = torch.randn(int(torch.randint(1, 9, (1,), generator=g)), 1, 6, 6, generator=g)
    t = int(torch.randint(100, 1000, (1,), generator=g))
    return x_t, torch.randn(x_t.shape, generator=g), t, t - int(torch.randint(1, 100, (1,), generator=g)), \
        _SCHEDULE.alphas_cumprod


def _ddim_step(x_t: torch.Tensor, eps: torch.Tensor, t: int, t_prev: int, alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """One deterministic DDIM step x_t → x_{t_prev} (η = 0, no clipping) from the predicted noise ``eps``:
    the library's ``ddim_step`` on the chapter's schedule (whose ᾱ the checker passes in)."""
    return ddim_step(x_t, eps, t, t_prev, _SCHEDULE, clip=False)


def _guide_inputs(g: torch.Generator) -> tuple:
    shape = (int(torch.randint(1, 9, (1,), generator=g)), 1, 4, 4)
    return torch.randn(shape, generator=g), torch.randn(shape, generator=g), float(torch.rand(1, generator=g) * 6)


exercises = ExerciseSet({
    "q_sample": Exercise(_q_sample, _x0_t_noise,
                         "index ᾱ with t, one value per image, and broadcast it over (C, H, W); the signal is "
                         "scaled by √ᾱ_t and the noise by √(1 − ᾱ_t) — square roots of ᾱ, not ᾱ or β."),
    "ddim_step": Exercise(_ddim_step, _ddim_inputs,
                          "first x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t, then x_prev = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev) ε̂: "
                          "the same ε̂ points the way back, scaled for the earlier noise level."),
    "guide": Exercise(guide, _guide_inputs,
                      "uncond + scale · (cond − uncond): scale 0 gives the unconditional prediction, 1 the "
                      "conditional one; the difference is cond − uncond, not the other way round."),
})
