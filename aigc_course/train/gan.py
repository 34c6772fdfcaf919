"""``fit_gan``: the one GAN training loop every chapter calls.

One step = ``n_critic`` discriminator updates, then one generator update:

1. D step: ``fake = G(z)``; D sees ``real`` and ``fake.detach()`` — the detach keeps D's loss from
   pushing gradients into G. ``zero_grad`` → ``backward`` → ``step`` on D's optimizer only.
2. G step: D judges the same fakes *without* detach, so the gradient flows through D into G; D's own
   weights are frozen for this pass (their gradients would be wasted), and only G's optimizer steps.

A class-conditional pair (``G.n_classes == D.n_classes > 0``) trains on the same step: D sees real
images with their labels and fakes with the labels they were generated from, drawn uniformly.

Numbers are read back from the device every ``log_every`` steps, not every step; a NaN or infinite
loss stops the run with the step named, before any bad weights reach a checkpoint. Resume, schedules,
EMA, checkpoints and DDP come from the shared skeleton (:mod:`.engine`); :class:`GANTask` is the GAN part.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from ..data.loader import TensorLoader
from ..runtime import check_choice, check_float, check_int
from . import distributed as dist_utils
from .engine import Context, LiveCallback, Task, train
from .history import History
from .loop import in_layout
from .losses import OBJECTIVES, d_loss, g_loss, gradient_penalty, r1_penalty


@dataclass
class GANRun:
    """The outcome of :func:`fit_gan`: the trained networks, their history and where they were saved."""

    G: nn.Module
    D: nn.Module
    G_ema: nn.Module | None
    history: History
    checkpoint: Path | None
    steps: int
    train_seconds: float

    @property
    def generator(self) -> nn.Module:
        """The generator to sample from: the EMA copy when there is one."""
        return self.G_ema if self.G_ema is not None else self.G

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, batch_size: int = 500,
               labels: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` samples (on the CPU, in [-1, 1]) from :attr:`generator` in eval mode, noise seeded by ``seed``."""
        return sample(self.generator, n, seed=seed, batch_size=batch_size, labels=labels)


def sample_labels(G: nn.Module, n: int) -> torch.Tensor | None:
    """The labels :func:`sample` uses by default: 0, 1, …, K−1, 0, 1, … (every class equally often), or None."""
    k = getattr(G, "n_classes", 0)
    return torch.arange(n) % k if k else None


@torch.no_grad()
def sample(G: nn.Module, n: int, seed: int = 0, batch_size: int = 500,
           labels: torch.Tensor | None = None) -> torch.Tensor:
    """Draw ``n`` images from generator ``G`` (eval mode, restored afterwards) with seeded N(0, I) noise.

    A class-conditional ``G`` (``G.n_classes > 0``) is given ``labels`` (N,), by default
    :func:`sample_labels`: a uniform label prior, stratified so each class gets its share.
    """
    device = next(G.parameters()).device
    g = torch.Generator().manual_seed(seed)
    if labels is None:
        labels = sample_labels(G, n)
    was_training = G.training
    G.eval()
    out = []
    for i in range(0, n, batch_size):
        z = torch.randn(min(batch_size, n - i), G.nz, generator=g).to(device)
        y = () if labels is None else (labels[i:i + len(z)].to(device),)  # an unconditional G takes z alone
        out.append(G(z, *y).float().cpu())
    G.train(was_training)
    return torch.cat(out)


class GANTask(Task):
    """A generator against a discriminator: ``n_critic`` D updates on detached fakes, then one G update."""

    format = "aigc-gan-v1"

    def __init__(self, G: nn.Module, D: nn.Module, objective: str, lr_g: float, lr_d: float,
                 betas: tuple[float, float], n_critic: int, gp_weight: float, seed: int, schedule: str,
                 ema: bool, r1_weight: float = 0.0) -> None:
        self.G, self.D = G, D
        self.objective, self.n_critic, self.gp_weight, self.seed = objective, n_critic, gp_weight, seed
        self.r1_weight = r1_weight
        self.lrs, self.betas = (lr_g, lr_d), betas
        self.n_classes = getattr(G, "n_classes", 0)
        self.batches_per_step = n_critic
        self.desc = f"GAN ({objective})"
        self._config = {"objective": objective, "n_critic": n_critic, "nz": G.nz, "n_classes": self.n_classes,
                        "ema": ema, "schedule": schedule, "world_size": dist_utils.world_size(),
                        "r1_weight": r1_weight}
        self.keep_graph = n_critic == 1  # with one D step, the G step reuses that step's fakes
        if objective in ("hinge", "wgan-gp"):
            self.score = lambda logits: logits.float().mean()  # critic values, not probabilities
        else:
            self.score = lambda logits: torch.sigmoid(logits.float()).mean()

    def setup(self, ctx: Context) -> None:
        self.G = self.G.to(ctx.device, memory_format=ctx.memory_format)
        self.D = self.D.to(ctx.device, memory_format=ctx.memory_format)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=self.lrs[0], betas=self.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=self.lrs[1], betas=self.betas)
        # Noise comes from the loop's own generator (per rank), so a resumed run draws the same z.
        self.rank = ctx.rank
        self.z_gen = torch.Generator(device=ctx.device).manual_seed(self.seed * 1_000_003 + ctx.rank)
        self.device = ctx.device

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}

    def config(self) -> dict[str, Any]:
        return self._config

    def new_history(self) -> History:
        return History(critic=self.objective in ("hinge", "wgan-gp"))

    def state(self) -> dict[str, Any]:
        return {"z_gen": self.z_gen.get_state()}

    def load_state(self, state: dict[str, Any], start: int) -> None:
        if dist_utils.world_size() == 1:
            self.z_gen.set_state(state["z_gen"])
        else:  # each rank has its own stream; rank 0's saved state is not theirs
            self.z_gen.manual_seed(self.seed * 1_000_003 + self.rank + 7919 * start)

    def compile(self, ctx: Context) -> None:
        self.G_step, self.D_step = ctx.wrap(self.G), ctx.wrap(self.D)
        # The G step runs D without DDP: D is frozen there, so there is nothing to all-reduce.
        self.D_frozen = ctx.wrap(self.D, distributed=False)

    def _fake_args(self, n: int) -> tuple[torch.Tensor, ...]:
        """The extra arguments G and D take for n fakes: () when unconditional, else labels drawn
        uniformly from the loop's noise stream (so a resumed run draws the same ones)."""
        if not self.n_classes:
            return ()
        return (torch.randint(self.n_classes, (n,), device=self.device, generator=self.z_gen),)

    def step(self, step: int, batches: Iterator, ctx: Context) -> dict[str, torch.Tensor]:
        G, D, z_gen = self.G, self.D, self.z_gen
        # --- discriminator / critic: n_critic updates on detached fakes ---
        for _ in range(self.n_critic):
            real, real_y = next(batches)
            real = in_layout(real, ctx.memory_format)
            real_args = (real_y,) if self.n_classes else ()
            z = torch.randn(real.shape[0], G.nz, device=ctx.device, generator=z_gen)
            fake_args = self._fake_args(real.shape[0])
            with ctx.autocast(), torch.set_grad_enabled(self.keep_graph):
                fake = self.G_step(z, *fake_args)
            with ctx.autocast():
                real_logits, fake_logits = self.D_step(real, *real_args), self.D_step(fake.detach(), *fake_args)
                loss_d = d_loss(self.objective, real_logits, fake_logits)
            if self.objective == "wgan-gp":  # float32, plain D: it differentiates a gradient (double backward)
                loss_d = loss_d + self.gp_weight * gradient_penalty(D, real, fake.detach().float(), z_gen)
            if self.r1_weight:  # γ/2 · E‖∇D(real)‖², float32, plain D (a double backward)
                loss_d = loss_d + self.r1_weight / 2 * r1_penalty(D, real, *real_args)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
        # --- generator: gradients flow through a frozen D into G ---
        if not self.keep_graph:
            z = torch.randn(real.shape[0], G.nz, device=ctx.device, generator=z_gen)
            fake_args = self._fake_args(real.shape[0])
            with ctx.autocast():
                fake = self.G_step(z, *fake_args)
        D.requires_grad_(False)
        with ctx.autocast():
            loss_g = g_loss(self.objective, self.D_frozen(fake, *fake_args))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        D.requires_grad_(True)
        return {"loss_d": loss_d, "loss_g": loss_g, "d_real": self.score(real_logits),
                "d_fake": self.score(fake_logits)}

    def snapshot(self, n: int, seed: int, ctx: Context) -> torch.Tensor:
        return sample(ctx.ema.module if ctx.ema is not None else self.G, n, seed=seed)


def fit_gan(G: nn.Module, D: nn.Module, loader: TensorLoader, steps: int, *,
            objective: str = "nonsaturating", lr_g: float = 2e-4, lr_d: float = 2e-4,
            betas: tuple[float, float] = (0.5, 0.999), schedule: str = "constant", n_critic: int = 1,
            gp_weight: float = 10.0, r1_weight: float = 0.0,
            ema_decay: float | None = None, seed: int = 0, log_every: int = 50, sample_every: int | None = None,
            n_samples: int = 64, checkpoint_dir: str | Path | None = None, checkpoint_every: int | None = None,
            resume: bool = False, amp: bool | Literal["auto"] = "auto",
            channels_last: bool | Literal["auto"] = "auto", compile: bool = False, progress: bool = True,
            live: LiveCallback | None = None) -> GANRun:
    """Train generator ``G`` against discriminator ``D`` for ``steps`` generator steps.

    Args:
        G, D: the networks; ``G.nz`` is the noise size and ``D`` returns logits of shape (N,). When
            both have ``n_classes > 0`` they are class-conditional: ``G(z, y)``, ``D(x, y)``.
        loader: batches of real images on the training device (under torchrun, one shard per rank).
        steps: total generator steps (when resuming, the run continues up to this count).
        objective: one of ``minimax``, ``nonsaturating``, ``hinge``, ``wgan-gp`` (see :mod:`.losses`).
        lr_g, lr_d, betas: Adam settings; separate learning rates give TTUR (Heusel et al. 2017).
        schedule: ``constant``, or ``linear`` / ``cosine`` decay of both learning rates to 0 by ``steps``.
        n_critic: D updates per G update (5 is usual for WGAN-GP); ``gp_weight``: λ of the penalty.
        r1_weight: γ of the R1 penalty γ/2·E‖∇D(x_real)‖² added to D's loss (0: none; StyleGAN's choice).
        ema_decay: keep an exponential moving average of G's weights (e.g. 0.999) and sample from it.
        log_every: read numbers back from the device every this many steps (also the NaN check).
        sample_every: keep a snapshot of a fixed noise batch of ``n_samples`` every this many steps.
        checkpoint_dir, checkpoint_every: write ``checkpoint.pt`` there every this many steps and at
            the end (atomically); ``resume=True`` continues from it bit for bit.
        amp, channels_last: bf16 autocast and NHWC memory layout ("auto": bf16 on CUDA only, NHWC everywhere).
        compile: ``torch.compile`` both networks.
        live: called with (step, history, samples) at each snapshot, e.g. ``viz.LiveFigure()``.
    """
    check_choice("objective", objective, OBJECTIVES)
    n_critic = check_int("n_critic", n_critic)
    lr_g, lr_d = check_float("lr_g", lr_g), check_float("lr_d", lr_d)
    if not hasattr(G, "nz"):
        raise ValueError("G must have an attribute nz, the size of its noise input")
    n_classes = getattr(G, "n_classes", 0)
    if getattr(D, "n_classes", 0) != n_classes:
        raise ValueError(f"G has n_classes={n_classes} but D has n_classes={getattr(D, 'n_classes', 0)}; "
                         "a conditional pair needs the same number of classes in both")
    if n_classes and objective == "wgan-gp":
        raise ValueError("objective='wgan-gp' is not allowed with a class-conditional pair; "
                         f"choose one of {tuple(o for o in OBJECTIVES if o != 'wgan-gp')}")
    r1_weight = check_float("r1_weight", r1_weight, inclusive=True)
    task = GANTask(G, D, objective, lr_g, lr_d, betas, n_critic, gp_weight, seed, schedule, ema_decay is not None,
                   r1_weight)
    done = train(task, loader, steps, schedule=schedule, ema_of="G" if ema_decay is not None else None,
                 ema_decay=ema_decay, seed=seed, log_every=log_every, sample_every=sample_every, n_samples=n_samples,
                 checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, resume=resume, amp=amp,
                 channels_last=channels_last, compile=compile, progress=progress, live=live)
    return GANRun(G=task.G, D=task.D, G_ema=done.ema, history=done.history, checkpoint=done.checkpoint,
                  steps=done.steps, train_seconds=done.train_seconds)
