"""Five broken GAN training steps, kept for teaching (chapter 1, "Debugging GAN code").

Each is the textbook step below with exactly one mistake of the kind found in popular write-ups.
:func:`short_run` trains a 1-D GAN with a step function so the notebook can show each symptom.
Never train with these: the engine's :func:`~aigc_course.train.fit_gan` is the correct loop.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ...data.toy import BIMODAL
from ...metrics.scores import wasserstein_1d
from ...models.mlp import MLPDiscriminator, MLPGenerator
from ...train.losses import d_loss, g_loss

Step = Callable[[nn.Module, nn.Module, torch.optim.Optimizer, torch.optim.Optimizer, torch.Tensor, torch.Tensor], None]


def textbook_step(G, D, opt_g, opt_d, real, z) -> None:
    """The correct step: D on detached fakes, then G through D; each optimizer on its own gradients."""
    fake = G(z)
    opt_d.zero_grad()
    d_loss("nonsaturating", D(real), D(fake.detach())).backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss("nonsaturating", D(fake)).backward()
    opt_g.step()


def wrong_sign_step(G, D, opt_g, opt_d, real, z) -> None:
    """Mistake: the generator minimises E[log D(G(z))] — it trains to be *rejected*."""
    fake = G(z)
    opt_d.zero_grad()
    d_loss("nonsaturating", D(real), D(fake.detach())).backward()
    opt_d.step()
    opt_g.zero_grad()
    (-F.softplus(-D(fake))).mean().backward()  # = E[log σ(D(G(z)))]: the sign is flipped
    opt_g.step()


def bce_on_logits_step(G, D, opt_g, opt_d, real, z) -> None:
    """Mistake: ``nn.BCELoss`` (which expects probabilities) applied to D's raw logits."""
    bce = nn.BCELoss()
    fake = G(z)
    opt_d.zero_grad()
    real_out, fake_out = D(real), D(fake.detach())
    (bce(real_out, torch.ones_like(real_out)) + bce(fake_out, torch.zeros_like(fake_out))).backward()
    opt_d.step()
    opt_g.zero_grad()
    out = D(fake)
    bce(out, torch.ones_like(out)).backward()
    opt_g.step()


def missing_detach_step(G, D, opt_g, opt_d, real, z) -> None:
    """Mistake: the D loss uses ``D(fake)`` without ``detach()``, then G's step reuses the same fakes."""
    fake = G(z)
    opt_d.zero_grad()
    d_loss("nonsaturating", D(real), D(fake)).backward()  # frees G's graph (and writes into G's grads)
    opt_d.step()
    opt_g.zero_grad()
    g_loss("nonsaturating", D(fake)).backward()
    opt_g.step()


def mixed_gradients_step(G, D, opt_g, opt_d, real, z) -> None:
    """Mistake: one backward of the summed losses, then both optimizers step on the mixed gradients.

    D then also descends G's loss, i.e. learns to call the fakes real: the two players cooperate.
    """
    fake = G(z)
    opt_d.zero_grad()
    opt_g.zero_grad()
    loss = d_loss("nonsaturating", D(real), D(fake)) + g_loss("nonsaturating", D(fake))
    loss.backward()
    opt_d.step()
    opt_g.step()


def build_networks(nz: int = 4, hidden: int = 64) -> tuple[nn.Module, nn.Module]:
    """The 1-D problem's generator (noise → x) and discriminator (x → logit)."""
    return MLPGenerator(nz=nz, out_dim=1, hidden=hidden), MLPDiscriminator(in_dim=1, hidden=hidden)


def build_swapped(nz: int = 4, hidden: int = 64) -> tuple[nn.Module, nn.Module]:
    """Mistake: the networks constructed the wrong way round (``netG = Discriminator()``)."""
    return MLPDiscriminator(in_dim=1, hidden=hidden), MLPGenerator(nz=nz, out_dim=1, hidden=hidden)


@dataclass
class RunReport:
    """What a short run ended with: the error it raised, or how close G got to the data."""

    error: str | None
    w1: float = float("nan")  # Wasserstein-1 distance between samples and data (0 = same distribution)
    d_real: float = float("nan")  # mean D(x) on data
    d_fake: float = float("nan")  # mean D(G(z))
    samples: torch.Tensor | None = None


def short_run(step: Step, build: Callable[[], tuple[nn.Module, nn.Module]] = build_networks, steps: int = 600,
              batch_size: int = 256, lr: float = 1e-3, seed: int = 0) -> RunReport:
    """Train on :data:`~aigc_course.data.toy.BIMODAL` with ``step``; report the outcome or the error."""
    torch.manual_seed(seed)
    G, D = build()
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    data = BIMODAL.sample(steps * batch_size, seed=seed)
    nz = getattr(G, "nz", 1)
    try:
        for i in range(steps):
            step(G, D, opt_g, opt_d, data[i * batch_size:(i + 1) * batch_size], torch.randn(batch_size, nz))
    except RuntimeError as err:
        return RunReport(error=f"{type(err).__name__} at step {i + 1}: {str(err).splitlines()[0]}")
    with torch.no_grad():
        samples = G(torch.randn(4000, nz)).reshape(-1, 1)
        real = BIMODAL.sample(4000, seed=seed + 1)
        return RunReport(error=None, w1=wasserstein_1d(samples, real), d_real=float(torch.sigmoid(D(real)).mean()),
                         d_fake=float(torch.sigmoid(D(samples)).mean()), samples=samples)
