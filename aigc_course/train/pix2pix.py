"""Image-to-image training: paired (pix2pix, Isola et al. 2017) and unpaired (CycleGAN, Zhu et al. 2017).

**pix2pix**, one step on a batch of pairs (x, y) — x the condition (a grey image, an edge map), y the target:

1. D step: D judges the pairs (x, y) and (x, G(x).detach()); its loss is the cross-entropy on logits of
   ``d_loss`` halved, "which slows down the rate at which D learns relative to G" (the paper, §3.3).
2. G step: G minimises ``adv_weight`` · E[softplus(−D(x, G(x)))] + ``l1_weight`` · E|y − G(x)|₁ with D frozen.

``adv_weight=0`` is plain L1 regression: D is neither built into the optimiser nor run (a test checks the
step equals an Adam step on the L1 loss alone); ``l1_weight=0`` is "GAN only".

**SRGAN** (Ledig et al. 2017) is the same game with two changes, both options here: D judges the output alone
(``d_sees_input=False``: a super-resolved image and its low-resolution input differ in size), and G's loss
gains a *feature* (perceptual) term ``feature_weight`` · :func:`~aigc_course.models.features.feature_loss`
computed by a frozen ``feature_net``. SRGAN also uses Adam's β₁ = 0.9 (``betas``).

**CycleGAN**, one step on a batch of images a from domain A and b from domain B that are *not* pairs:
G: A → B and F: B → A are trained with an adversarial loss in each domain, the cycle-consistency loss
λ_cyc (|F(G(a)) − a|₁ + |G(F(b)) − b|₁) that stops them from mapping every input to any plausible output,
and the identity loss λ_id · λ_cyc (|G(b) − b|₁ + |F(a) − a|₁), which keeps colours and what need not change.
``cycle_weight=0`` is the chapter's ablation. The paper also keeps a pool of 50 past fakes for D and uses a
least-squares GAN loss; here D sees the current fakes, with the non-saturating loss of :mod:`.losses`.

Resume, schedules, EMA, checkpoints, bf16/channels_last/compile and DDP come from :mod:`.engine` (CycleGAN:
one process, no ``torch.compile``).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from ..data.loader import TensorLoader
from ..models.features import feature_loss
from ..runtime import check_float
from .engine import Context, Task, train
from .history import History
from .loop import in_layout
from .losses import d_loss, g_loss


@dataclass
class Pix2PixRun:
    """The outcome of :func:`fit_pix2pix`."""

    G: nn.Module
    D: nn.Module | None
    history: History
    checkpoint: Path | None
    steps: int
    train_seconds: float


PIX2PIX_BETAS = (0.5, 0.999)  # the paper's Adam settings


class Pix2PixTask(Task):
    """A conditional generator G(x) against a PatchGAN D(x, y) (or D(y)), with an L1 and an optional feature term."""

    format = "aigc-pix2pix-v1"

    def __init__(self, G: nn.Module, D: nn.Module | None, l1_weight: float, adv_weight: float, lr: float,
                 desc: str, feature_net: nn.Module | None = None, feature_weight: float = 0.0,
                 d_sees_input: bool = True, betas: tuple[float, float] = PIX2PIX_BETAS) -> None:
        if adv_weight > 0 and D is None:
            raise ValueError(f"adv_weight={adv_weight} needs a discriminator D; pass D or use adv_weight=0")
        if feature_weight > 0 and feature_net is None:
            raise ValueError(f"feature_weight={feature_weight} needs a feature_net; pass one or use feature_weight=0")
        if l1_weight == 0 and adv_weight == 0 and feature_weight == 0:
            raise ValueError("l1_weight=0, adv_weight=0 and feature_weight=0 leave nothing to train; make one > 0")
        self.G, self.D = G, D if adv_weight > 0 else None
        self.l1_weight, self.adv_weight, self.lr, self.desc = l1_weight, adv_weight, lr, desc
        self.feature_net, self.feature_weight = (feature_net if feature_weight > 0 else None), feature_weight
        self.d_sees_input, self.betas = d_sees_input, betas

    def setup(self, ctx: Context) -> None:
        self.G = self.G.to(ctx.device, memory_format=ctx.memory_format)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=self.lr, betas=self.betas)
        if self.D is not None:
            self.D = self.D.to(ctx.device, memory_format=ctx.memory_format)
            self.opt_d = torch.optim.Adam(self.D.parameters(), lr=self.lr, betas=self.betas)
        if self.feature_net is not None:
            self.feature_net = self.feature_net.to(ctx.device)

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, **({"D": self.D} if self.D is not None else {})}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_g": self.opt_g, **({"opt_d": self.opt_d} if self.D is not None else {})}

    def config(self) -> dict[str, Any]:
        return {"kind": "pix2pix", "l1_weight": self.l1_weight, "adv_weight": self.adv_weight,
                "feature_weight": self.feature_weight, "d_sees_input": self.d_sees_input}

    def judged(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What D reads: the pair (x, y) on the channel axis, or y alone (``d_sees_input=False``)."""
        return torch.cat([x, y], 1) if self.d_sees_input else y

    def compile(self, ctx: Context) -> None:
        self.step_g = ctx.wrap(self.G)
        if self.D is not None:
            self.step_d = ctx.wrap(self.D)
            # The G step runs D without DDP: D is frozen there, so there is nothing to all-reduce.
            self.frozen_d = ctx.wrap(self.D, distributed=False)

    def step(self, step: int, batches: Iterator, ctx: Context) -> dict[str, torch.Tensor]:
        x, y = next(batches)
        x, y = in_layout(x, ctx.memory_format), in_layout(y, ctx.memory_format)
        out: dict[str, torch.Tensor] = {}
        with ctx.autocast():
            fake = self.step_g(x)
        if self.D is not None:
            # 1. D step on (x, y) against (x, G(x)) with the fake detached: no gradient reaches G.
            with ctx.autocast():
                real_logits = self.step_d(self.judged(x, y))
                fake_logits = self.step_d(self.judged(x, fake.detach()))
                loss_d = 0.5 * d_loss("nonsaturating", real_logits.float(), fake_logits.float())
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            out.update(loss_d=loss_d, d_real=torch.sigmoid(real_logits.float()).mean(),
                       d_fake=torch.sigmoid(fake_logits.float()).mean())
        # 2. G step: L1 to the target plus the adversarial term through a frozen D (and the feature term).
        fake_logits = None
        if self.D is not None:
            self.D.requires_grad_(False)
            with ctx.autocast():
                fake_logits = self.frozen_d(self.judged(x, fake)).float()
        loss_g = pix2pix_generator_loss(fake_logits, fake.float(), y, self.l1_weight, self.adv_weight)
        if self.feature_net is not None:
            with ctx.autocast():
                feature = feature_loss(self.feature_net, fake, y).float()
            loss_g = loss_g + self.feature_weight * feature
            out["feature"] = feature.detach()
        l1 = (fake.detach().float() - y).abs().mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        if self.D is not None:
            self.D.requires_grad_(True)
        return {"loss_g": loss_g, "l1": l1, **out}


def fit_pix2pix(G: nn.Module, D: nn.Module | None, loader: TensorLoader, steps: int, *, l1_weight: float = 100.0,
                adv_weight: float = 1.0, lr: float = 2e-4, feature_net: nn.Module | None = None,
                feature_weight: float = 0.0, d_sees_input: bool = True,
                betas: tuple[float, float] = PIX2PIX_BETAS,
                schedule: Literal["constant", "cosine", "linear"] = "constant", log_every: int = 25,
                checkpoint_dir: str | Path | None = None, checkpoint_every: int | None = None,
                resume: bool = False, amp: bool | Literal["auto"] = "auto",
                channels_last: bool | Literal["auto"] = "auto", compile: bool = False, progress: bool = True,
                desc: str = "pix2pix") -> Pix2PixRun:
    """Train G (and D) for ``steps`` steps on ``loader``'s (condition, target) batches.

    The paper's defaults: λ = ``l1_weight`` = 100 against ``adv_weight`` = 1, Adam(2e-4, β₁ = 0.5).
    ``adv_weight=0`` trains G on L1 alone (``D`` is ignored and may be None). SRGAN: ``d_sees_input=False``,
    a ``feature_net`` with ``feature_weight`` > 0, ``betas=(0.9, 0.999)``.
    """
    l1_weight = check_float("l1_weight", l1_weight, inclusive=True)
    adv_weight = check_float("adv_weight", adv_weight, inclusive=True)
    feature_weight = check_float("feature_weight", feature_weight, inclusive=True)
    lr = check_float("lr", lr)
    task = Pix2PixTask(G, D, l1_weight, adv_weight, lr, desc, feature_net=feature_net, feature_weight=feature_weight,
                       d_sees_input=d_sees_input, betas=betas)
    done = train(task, loader, steps, schedule=schedule, log_every=log_every, checkpoint_dir=checkpoint_dir,
                 checkpoint_every=checkpoint_every, resume=resume, amp=amp, channels_last=channels_last,
                 compile=compile, progress=progress)
    return Pix2PixRun(G=task.G, D=task.D, history=done.history, checkpoint=done.checkpoint, steps=done.steps,
                      train_seconds=done.train_seconds)


@dataclass
class CycleRun:
    """The outcome of :func:`fit_cyclegan`: G maps A → B, F maps B → A."""

    G: nn.Module
    F: nn.Module
    D_a: nn.Module
    D_b: nn.Module
    history: History
    checkpoint: Path | None
    steps: int
    train_seconds: float


class CycleGANTask(Task):
    """Two generators and two discriminators on unpaired batches (a, b)."""

    format = "aigc-cyclegan-v1"

    def __init__(self, G: nn.Module, F_: nn.Module, D_a: nn.Module, D_b: nn.Module, cycle_weight: float,
                 identity_weight: float, lr: float, desc: str) -> None:
        self.G, self.F, self.D_a, self.D_b = G, F_, D_a, D_b
        self.cycle_weight, self.identity_weight, self.lr, self.desc = cycle_weight, identity_weight, lr, desc

    def setup(self, ctx: Context) -> None:
        if ctx.world_size > 1:  # each generator runs several times per step, which DDP's bucketing does not allow
            raise ValueError(f"fit_cyclegan runs in one process; this is rank {ctx.rank} of {ctx.world_size} "
                             f"(run it without torchrun)")
        for name in ("G", "F", "D_a", "D_b"):
            setattr(self, name, getattr(self, name).to(ctx.device, memory_format=ctx.memory_format))
        self.opt_g = torch.optim.Adam([*self.G.parameters(), *self.F.parameters()], lr=self.lr, betas=PIX2PIX_BETAS)
        self.opt_d = torch.optim.Adam([*self.D_a.parameters(), *self.D_b.parameters()], lr=self.lr,
                                      betas=PIX2PIX_BETAS)

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "F": self.F, "D_a": self.D_a, "D_b": self.D_b}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}

    def config(self) -> dict[str, Any]:
        return {"kind": "cyclegan", "cycle_weight": self.cycle_weight, "identity_weight": self.identity_weight}

    def step(self, step: int, batches: Iterator, ctx: Context) -> dict[str, torch.Tensor]:
        a, b = next(batches)
        with ctx.autocast():
            fake_b, fake_a = self.G(a), self.F(b)  # a → B, b → A
        # 1. G and F, with both discriminators frozen.
        for D in (self.D_a, self.D_b):
            D.requires_grad_(False)
        with ctx.autocast():
            adv = g_loss("nonsaturating", self.D_b(fake_b).float()) + g_loss("nonsaturating", self.D_a(fake_a).float())
            cycle = cycle_consistency(a, self.F(fake_b).float(), b, self.G(fake_a).float())
            loss_g = adv + self.cycle_weight * cycle
            if self.identity_weight > 0:
                identity = (self.G(b).float() - b).abs().mean() + (self.F(a).float() - a).abs().mean()
                loss_g = loss_g + self.identity_weight * self.cycle_weight * identity
        for D in (self.D_a, self.D_b):
            D.requires_grad_(True)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        # 2. Both discriminators on real images against the detached fakes.
        with ctx.autocast():
            loss_d = 0.5 * (d_loss("nonsaturating", self.D_a(a).float(), self.D_a(fake_a.detach()).float())
                            + d_loss("nonsaturating", self.D_b(b).float(), self.D_b(fake_b.detach()).float()))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        return {"loss_g": loss_g, "adv": adv, "cycle": cycle, "loss_d": loss_d}


def fit_cyclegan(G: nn.Module, F_: nn.Module, D_a: nn.Module, D_b: nn.Module, loader: TensorLoader, steps: int, *,
                 cycle_weight: float = 10.0, identity_weight: float = 0.5, lr: float = 2e-4,
                 schedule: Literal["constant", "cosine", "linear"] = "constant", log_every: int = 25,
                 checkpoint_dir: str | Path | None = None, checkpoint_every: int | None = None,
                 resume: bool = False, amp: bool | Literal["auto"] = "auto",
                 channels_last: bool | Literal["auto"] = "auto", progress: bool = True,
                 desc: str = "CycleGAN") -> CycleRun:
    """Train G: A → B and F_: B → A for ``steps`` steps on ``loader``'s (a, b) batches (unpaired).

    The paper's defaults: λ_cyc = 10, identity weight 0.5 (of λ_cyc), Adam(2e-4, β₁ = 0.5).
    """
    cycle_weight = check_float("cycle_weight", cycle_weight, inclusive=True)
    identity_weight = check_float("identity_weight", identity_weight, inclusive=True)
    lr = check_float("lr", lr)
    task = CycleGANTask(G, F_, D_a, D_b, cycle_weight, identity_weight, lr, desc)
    done = train(task, loader, steps, schedule=schedule, log_every=log_every, checkpoint_dir=checkpoint_dir,
                 checkpoint_every=checkpoint_every, resume=resume, amp=amp, channels_last=channels_last,
                 progress=progress)
    return CycleRun(G=task.G, F=task.F, D_a=task.D_a, D_b=task.D_b, history=done.history,
                    checkpoint=done.checkpoint, steps=done.steps, train_seconds=done.train_seconds)


def cycle_consistency(a: torch.Tensor, a_back: torch.Tensor, b: torch.Tensor, b_back: torch.Tensor) -> torch.Tensor:
    """The cycle-consistency loss |F(G(a)) − a|₁ + |G(F(b)) − b|₁, each the mean over its pixels, given the
    round trips ``a_back = F(G(a))`` and ``b_back = G(F(b))`` (Zhu et al. 2017, eq. 2)."""
    return (a_back - a).abs().mean() + (b_back - b).abs().mean()


def pix2pix_generator_loss(fake_logits: torch.Tensor | None, fake: torch.Tensor, target: torch.Tensor,
                           l1_weight: float, adv_weight: float) -> torch.Tensor:
    """pix2pix's generator loss (Isola et al. 2017, eq. 4): ``adv_weight`` · E[softplus(−D(x, G(x)))] +
    ``l1_weight`` · mean |y − G(x)|, with D's *logits* ``fake_logits`` (None when ``adv_weight`` is 0).

    softplus(−l) = −log σ(l) is the non-saturating loss: G wants its outputs judged real.
    """
    loss = l1_weight * (fake - target).abs().mean()
    if adv_weight > 0:
        loss = loss + adv_weight * g_loss("nonsaturating", fake_logits)
    return loss
