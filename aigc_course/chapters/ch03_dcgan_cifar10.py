"""Chapter 3 (DCGAN on CIFAR-10, measured): the stabiliser ablation, the budgets and the exercise."""
from __future__ import annotations

import torch

from ..exercises import Exercise, ExerciseSet
from ..runtime import Budget
from ..train.dcgan import TEXTBOOK, Ablation, DCGANConfig
from ..train.losses import d_loss

_SN_HINGE = TEXTBOOK.replace(spectral_norm=True, objective="hinge")
ROWS: dict[str, tuple[str, DCGANConfig]] = {
    "textbook": ("Radford et al. recipe at 32×32, ngf = ndf = 32, batch 64, Adam 2e-4 / β1 0.5", TEXTBOOK),
    "spectral-norm": ("spectral norm in D (no BN in D)", TEXTBOOK.replace(spectral_norm=True)),
    "hinge": ("hinge loss (alone)", TEXTBOOK.replace(objective="hinge")),
    "ttur": ("TTUR alone: lr_g 1e-4, lr_d 4e-4 (β as the textbook)", TEXTBOOK.replace(lr_g=1e-4, lr_d=4e-4)),
    "sn-hinge": ("spectral norm + hinge loss", _SN_HINGE),
    "sn-hinge-ttur": ("spectral norm + hinge + TTUR (lr_g 1e-4, lr_d 4e-4, β = (0, 0.9))",
                      _SN_HINGE.replace(lr_g=1e-4, lr_d=4e-4, betas=(0.0, 0.9))),
    "ema": ("generator EMA (decay 0.999)", TEXTBOOK.replace(ema_decay=0.999)),
    "lr-5e-4": ("Adam 5e-4 for both networks", TEXTBOOK.replace(lr_g=5e-4, lr_d=5e-4)),
    "conditional": ("uses the labels: class-conditional G and projection D", TEXTBOOK.replace(n_classes=10)),
    "conditional-lr-5e-4": ("uses the labels: class-conditional, Adam 5e-4",
                            TEXTBOOK.replace(n_classes=10, lr_g=5e-4, lr_d=5e-4)),
}

ABLATION = Ablation(dataset="cifar10", classifier="cifar10", steps=2000, samples=2000, rows=ROWS,
                    chapter="lr-5e-4")

# The notebook's count parameters: (quick, full) defaults when the learner leaves them at None.
BUDGETS = {
    "STEPS": Budget(ABLATION.steps, 30_000),  # generator steps of the chapter's model
    "N_EVAL": Budget(2000, 10_000),  # generated samples scored
}


def hinge_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's hinge loss E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))], on raw scores."""
    return d_loss("hinge", real_logits, fake_logits)


def _logit_pairs(g: torch.Generator) -> tuple:
    n = int(torch.randint(2, 64, (1,), generator=g))
    return 4 * torch.randn(n, generator=g), 4 * torch.randn(n, generator=g)


exercises = ExerciseSet({
    "hinge_discriminator_loss": Exercise(hinge_discriminator_loss, _logit_pairs,
                                         "no sigmoid: relu(1 − real) and relu(1 + fake), each averaged over its "
                                         "batch, then added; a real score above 1 costs nothing."),
})
