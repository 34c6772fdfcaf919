"""GAN objectives, each written on the discriminator's *logits* l = D(x) (before any sigmoid).

With σ the sigmoid, D's probability "x is real" is σ(l), and the identities
log σ(l) = −softplus(−l) and log(1 − σ(l)) = −softplus(l) give numerically safe forms
(this is what ``binary_cross_entropy_with_logits`` computes).

Every function returns the quantity the optimiser *minimises*; the discriminator's losses are
computed on detached fakes by the caller, the generator's on fakes that keep their graph.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import check_choice

OBJECTIVES = ("minimax", "nonsaturating", "hinge", "wgan-gp")


def _check(objective: str) -> None:
    check_choice("objective", objective, OBJECTIVES)


def d_loss(objective: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's (critic's) loss.

    - ``minimax`` / ``nonsaturating`` (Goodfellow et al. 2014): D maximises
      V = E[log D(x)] + E[log(1 − D(G(z)))], i.e. minimises
      E[softplus(−l_real)] + E[softplus(l_fake)] — binary cross-entropy with targets 1 and 0.
    - ``hinge`` (Lim & Ye 2017; Miyato et al. 2018): E[relu(1 − l_real)] + E[relu(1 + l_fake)].
    - ``wgan-gp`` (Gulrajani et al. 2017): the critic maximises E[l_real] − E[l_fake], i.e. minimises
      E[l_fake] − E[l_real]; add :func:`gradient_penalty` separately.
    """
    _check(objective)
    if objective in ("minimax", "nonsaturating"):
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    if objective == "hinge":
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    return fake_logits.mean() - real_logits.mean()


def g_loss(objective: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's loss on D's logits for its samples.

    - ``minimax`` (saturating): G minimises E[log(1 − D(G(z)))] = −E[softplus(l_fake)]. Its gradient
      vanishes when D confidently rejects the fakes, which is exactly early in training.
    - ``nonsaturating``: G minimises −E[log D(G(z))] = E[softplus(−l_fake)]; same fixed point, strong
      gradients when the fakes are poor. This is what practical GAN code uses.
    - ``hinge`` and ``wgan-gp``: G minimises −E[l_fake].

    Every form decreases as D(G(z)) rises: the generator wants its samples judged real.
    """
    _check(objective)
    if objective == "minimax":
        return -F.softplus(fake_logits).mean()
    if objective == "nonsaturating":
        return F.softplus(-fake_logits).mean()
    return -fake_logits.mean()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator | None = None, eps: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP's penalty E[(‖∇_x̂ D(x̂)‖₂ − 1)²] at x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1] per sample.

    It softly keeps the critic 1-Lipschitz along lines between real and fake samples
    (Gulrajani et al. 2017, eq. 3); weight it by λ = 10 as in the paper. ``generator`` draws ε
    (the training loop passes its own, so that a resumed run repeats the same draws); or pass the
    mixing weights ``eps`` of shape (N, 1, ...) directly.
    """
    if eps is None:
        eps = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), device=real.device, dtype=real.dtype,
                         generator=generator)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()


def r1_penalty(critic: nn.Module, real: torch.Tensor, *args: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018, eq. 9): E[‖∇_x D(x)‖²] on *real* images only.

    It penalises the discriminator for a steep surface where the data lie, which keeps the game from
    oscillating around the equilibrium; StyleGAN and StyleGAN2 weight it by γ/2. ``args``: the labels of a
    conditional critic. Computed in float32 (it differentiates a gradient: a double backward).
    """
    x = real.detach().float().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x, *args).sum(), x, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()
