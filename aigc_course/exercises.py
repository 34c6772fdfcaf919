"""Exercise checkers: a learner's function is compared with the reference on random inputs.

The references are the package's own functions (the losses the engine trains with), so an exercise
checks the learner against the code that really runs.

``check("to_tanh_range", my_fn)`` prints a helpful message and returns True or False;
``show_solution("to_tanh_range")`` prints the reference. Each chapter registers its exercises
in :data:`EXERCISES`.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from .latent import slerp
from .metrics.scores import classifier_scores, torn_rate
from .models.mlp import MLPDiscriminator
from .train.losses import d_loss, g_loss, gradient_penalty
from .train.vae import bernoulli_log_likelihood, gaussian_kl


@dataclass(frozen=True)
class Exercise:
    """A reference solution, a way to draw test inputs, and a hint shown on a wrong answer."""

    reference: Callable[..., Any]
    make_inputs: Callable[[torch.Generator], tuple]
    hint: str


def to_tanh_range(images: torch.Tensor) -> torch.Tensor:
    """Map uint8 pixels 0..255 to float32 in [-1, 1], the output range of a tanh generator."""
    return images.float() / 127.5 - 1.0


def batches_per_epoch(n_images: int, batch_size: int, drop_last: bool) -> int:
    """How many batches one epoch over ``n_images`` gives."""
    full, rest = divmod(n_images, batch_size)
    return full + (1 if rest and not drop_last else 0)


def _uint8_images(g: torch.Generator) -> tuple:
    return (torch.randint(0, 256, (4, 1, 8, 8), generator=g, dtype=torch.uint8),)


def _sizes(g: torch.Generator) -> tuple:
    n, b = torch.randint(1, 5000, (1,), generator=g).item(), torch.randint(1, 300, (1,), generator=g).item()
    return n, b, bool(torch.randint(0, 2, (1,), generator=g).item())


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's loss −E[log D(x)] − E[log(1 − D(G(z)))], from logits (chapter 1)."""
    return d_loss("nonsaturating", real_logits, fake_logits)


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """G's non-saturating loss −E[log D(G(z))], from logits (chapter 1)."""
    return g_loss("nonsaturating", fake_logits)


def gradient_penalty_at(critic: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor,
                        eps: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's E[(‖∇D(x̂)‖₂ − 1)²] at x̂ = eps·real + (1 − eps)·fake (chapter 1)."""
    return gradient_penalty(critic, real, fake, eps=eps)


def hinge_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's hinge loss E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))], on raw scores (chapter 3)."""
    return d_loss("hinge", real_logits, fake_logits)


def _logit_pairs(g: torch.Generator) -> tuple:
    n = int(torch.randint(2, 64, (1,), generator=g))
    return 4 * torch.randn(n, generator=g), 4 * torch.randn(n, generator=g)


def _logits(g: torch.Generator) -> tuple:
    return (4 * torch.randn(int(torch.randint(2, 64, (1,), generator=g)), generator=g),)


def _critic_inputs(g: torch.Generator) -> tuple:
    torch.manual_seed(int(torch.randint(0, 2**31, (1,), generator=g)))
    n = int(torch.randint(2, 32, (1,), generator=g))
    return (MLPDiscriminator(in_dim=2, hidden=16), torch.randn(n, 2, generator=g), torch.randn(n, 2, generator=g),
            torch.rand(n, 1, generator=g))


def slerp_rows(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between the rows of z0 and z1 at fraction t (chapter 2)."""
    return slerp(z0, z1, t)


def confident_rate(probs: torch.Tensor) -> float:
    """Fraction of images whose largest class probability is at least 0.9 (chapter 2)."""
    return classifier_scores(probs)["confident_rate"]


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) for each row (chapter 4)."""
    return gaussian_kl(mu, logvar)


def reparameterized_sample(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps with sigma = exp(logvar / 2) (chapter 4)."""
    return mu + (0.5 * logvar).exp() * eps


def elbo_bernoulli(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-image ELBO = log p(x|z) - KL(q(z|x) || p(z)), with Bernoulli logits for p(x|z) (chapter 4)."""
    return bernoulli_log_likelihood(logits, x) - gaussian_kl(mu, logvar)


def _latent_pairs(g: torch.Generator) -> tuple:
    n, d = int(torch.randint(1, 8, (1,), generator=g)), int(torch.randint(2, 64, (1,), generator=g))
    return torch.randn(n, d, generator=g), torch.randn(n, d, generator=g), float(torch.rand(1, generator=g))


def _probs(g: torch.Generator) -> tuple:
    logits = 6 * torch.randn(int(torch.randint(5, 200, (1,), generator=g)), 10, generator=g)
    return (logits.softmax(1),)


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


EXERCISES: dict[str, Exercise] = {
    "slerp": Exercise(slerp_rows, _latent_pairs,
                      "Ω = arccos of the cosine between z0 and z1 (row by row); the weights are "
                      "sin((1 − t)Ω)/sin Ω and sin(tΩ)/sin Ω."),
    "confident_rate": Exercise(confident_rate, _probs,
                               "take each row's maximum probability, compare with 0.9 (>=), average; return a float."),
    "torn_rate": Exercise(torn_rate, _probs,
                          "sort each row (or use topk(2)): the largest must be < 0.9 and the two largest together "
                          ">= 0.9; average the rows that satisfy both; return a float."),
    "kl_to_standard_normal": Exercise(kl_to_standard_normal, _gaussian_params,
                                      "½ Σ_j (μ_j² + σ_j² − log σ_j² − 1) with σ² = exp(logvar); sum over the last "
                                      "dimension, one value per row."),
    "reparameterized_sample": Exercise(reparameterized_sample, _gaussian_params_eps,
                                       "σ is exp(logvar / 2), not exp(logvar) and not logvar itself."),
    "elbo_bernoulli": Exercise(elbo_bernoulli, _vae_batch,
                               "log p(x|z) = −binary_cross_entropy_with_logits(logits, x, reduction='none') summed "
                               "over each image's pixels; then subtract the KL of each row."),
    "discriminator_loss": Exercise(discriminator_loss, _logit_pairs,
                                   "use the logits: log D = −softplus(−l) and log(1 − D) = −softplus(l); "
                                   "average each term over its batch; D *minimises* the negated value function."),
    "hinge_discriminator_loss": Exercise(hinge_discriminator_loss, _logit_pairs,
                                         "no sigmoid: relu(1 − real) and relu(1 + fake), each averaged over its "
                                         "batch, then added; a real score above 1 costs nothing."),
    "generator_loss_nonsaturating": Exercise(generator_loss_nonsaturating, _logits,
                                             "the non-saturating loss is −E[log D(G(z))] = E[softplus(−l)]."),
    "gradient_penalty": Exercise(gradient_penalty_at, _critic_inputs,
                                 "differentiate critic(x̂).sum() with respect to x̂ (create_graph=True), take each "
                                 "row's L2 norm, subtract 1, square, average."),
    "to_tanh_range": Exercise(to_tanh_range, _uint8_images,
                              "0 must map to -1.0 and 255 to +1.0; convert to float before dividing."),
    "batches_per_epoch": Exercise(batches_per_epoch, _sizes,
                                  "a last, smaller batch counts unless drop_last is True."),
}


def _lookup(name: str) -> Exercise:
    if name not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; choose one of {', '.join(EXERCISES)}")
    return EXERCISES[name]


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(a.float(), b.float(), atol=1e-5)
    if isinstance(b, float):
        return isinstance(a, (int, float)) and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return a == b


def _brief(value: Any) -> str:
    """A short description of a result: a tensor's shape and first values, anything else as repr."""
    if isinstance(value, torch.Tensor):
        head = ", ".join(f"{v:.4g}" for v in value.flatten()[:4].tolist())
        return f"tensor of shape {tuple(value.shape)} starting [{head}{', …' if value.numel() > 4 else ''}]"
    return repr(value)


def check(name: str, fn: Callable[..., Any], trials: int = 20, seed: int = 0) -> bool:
    """Compare ``fn`` with the reference of exercise ``name`` on ``trials`` random inputs."""
    ex = _lookup(name)
    g = torch.Generator().manual_seed(seed)
    for _ in range(trials):
        args = ex.make_inputs(g)
        expected = ex.reference(*args)
        try:
            got = fn(*args)
        except Exception as err:  # a learner's bug: report it, don't crash the notebook
            print(f"✗ {name}: your function raised {type(err).__name__}: {err}")
            return False
        if not _same(got, expected):
            shown = tuple(tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__
                          if isinstance(a, torch.nn.Module) else a for a in args)
            print(f"✗ {name}: wrong result for inputs {shown}.\n  expected {_brief(expected)}\n  got      {_brief(got)}\n"
                  f"  hint: {ex.hint}")
            return False
    print(f"✓ {name}: correct on {trials} random inputs")
    return True


def show_solution(name: str) -> None:
    """Print the reference solution of exercise ``name``."""
    print(inspect.getsource(_lookup(name).reference))
