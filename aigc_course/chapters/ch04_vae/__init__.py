"""Chapter 4 (variational autoencoders): the recipe, the budgets, the exercises, and the 1-D toy (:mod:`.toy`)."""
from __future__ import annotations

from pathlib import Path

import torch

from ...data.datasets import ImageData
from ...exercises import Exercise, ExerciseSet
from ...models.vae import ConvVAE
from ...runtime import Budget
from ...train.checkpoint import check_compatible, load_checkpoint, save_checkpoint
from ...train.dcgan import generator_path
from ...train.supervised import FitRun, fit
from ...train.vae import bernoulli_log_likelihood, gaussian_kl, vae_loss
from . import toy

__all__ = ["BUDGETS", "QUICK_STEPS", "exercises", "load_vae", "save_vae", "toy", "train_vae"]

QUICK_STEPS = 2000  # the main model's quick budget: under 2 minutes on a 2-core CPU (3,000 until 2026-12-07)

# The notebook's count parameters: (quick, full) defaults when the learner leaves them at None.
BUDGETS = {
    "VAE_STEPS": Budget(QUICK_STEPS, 60_000),  # training steps of the main model
    "IW_IMAGES": Budget(500, 10_000),  # test images in the importance-weighted estimate
    "VAE2D_STEPS": Budget(500, 10_000),  # training steps of the 2-D latent model
    "BETA_STEPS": Budget(160, 10_000),  # training steps per β of the sweep
}


def train_vae(data: ImageData, steps: int, latent_dim: int = 32, beta: float = 1.0, seed: int = 0,
              device: torch.device | str = "cpu", batch_size: int = 128, lr: float = 1e-3, **fit_options) -> FitRun:
    """Chapter 4's recipe: a :class:`~aigc_course.models.vae.ConvVAE` trained on ``data`` (an ``ImageData``
    of 28×28 digits) with AdamW and cosine decay, dynamically binarised; returns ``fit``'s ``FitRun``."""
    torch.manual_seed(seed)
    model = ConvVAE(latent_dim=latent_dim)
    loader = data.loader(batch_size, device=device, seed=seed, drop_last=True, value_range=(0.0, 1.0))
    return fit(model, loader, vae_loss(beta), steps, lr=lr, schedule="cosine", **fit_options)


def save_vae(vae: ConvVAE, name: str = "04_vae") -> Path:
    """Save the chapter's trained VAE (atomically) beside the saved generators, for chapter 10's comparison."""
    return save_checkpoint({"format": "aigc-vae-v1", "latent_dim": vae.latent_dim, "width": vae.width,
                            "vae": vae.state_dict()}, generator_path(name))


def load_vae(name: str = "04_vae") -> ConvVAE:
    """The VAE :func:`save_vae` saved, in eval mode on the CPU (``FileNotFoundError`` if chapter 4 has not run)."""
    path = generator_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no saved VAE at {path}; run notebook {name} first")
    state = load_checkpoint(path, required=("latent_dim", "width", "vae"))
    vae = ConvVAE(latent_dim=int(state["latent_dim"]), width=int(state["width"]))
    check_compatible(vae, state["vae"], "VAE", path)
    vae.load_state_dict(state["vae"])
    return vae.eval()


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) for each row."""
    return gaussian_kl(mu, logvar)


def reparameterized_sample(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps with sigma = exp(logvar / 2)."""
    return mu + (0.5 * logvar).exp() * eps


def elbo_bernoulli(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-image ELBO = log p(x|z) - KL(q(z|x) || p(z)), with Bernoulli logits for p(x|z)."""
    return bernoulli_log_likelihood(logits, x) - gaussian_kl(mu, logvar)


def _gaussian_params(g: torch.Generator) -> tuple:
    n, d = int(torch.randint(1, 16, (1,), generator=g)), int(torch.randint(1, 32, (1,), generator=g))
    return torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)


def _gaussian_params_eps(g: torch.Generator) -> tuple:
    mu, logvar = _gaussian_params(g)
    return mu, logvar, torch.randn(mu.shape, generator=g)


def _vae_batch(g: torch.Generator) -> tuple:
    n, d = int(torch.randint(1, 8, (1,), generator=g)), int(torch.randint(2, 16, (1,), generator=g))
    return (3 * torch.randn(n, 1, 28, 28, generator=g), torch.bernoulli(torch.full((n, 1, 28, 28), 0.3), generator=g),
            torch.randn(n, d, generator=g), torch.randn(n, d, generator=g))


exercises = ExerciseSet({
    "kl_to_standard_normal": Exercise(kl_to_standard_normal, _gaussian_params,
                                      "½ Σ_j (μ_j² + σ_j² − log σ_j² − 1) with σ² = exp(logvar); sum over the last "
                                      "dimension, one value per row."),
    "reparameterized_sample": Exercise(reparameterized_sample, _gaussian_params_eps,
                                       "σ is exp(logvar / 2), not exp(logvar) and not logvar itself."),
    "elbo_bernoulli": Exercise(elbo_bernoulli, _vae_batch,
                               "log p(x|z) = −binary_cross_entropy_with_logits(logits, x, reduction='none') summed "
                               "over each image's pixels; then subtract the KL of each row."),
})
