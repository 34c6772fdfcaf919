"""``fit_gan``: the one GAN training loop every chapter calls.

One step = ``n_critic`` discriminator updates, then one generator update:

1. D step: ``fake = G(z)``; D sees ``real`` and ``fake.detach()`` — the detach keeps D's loss from
   pushing gradients into G. ``zero_grad`` → ``backward`` → ``step`` on D's optimizer only.
2. G step: D judges the same fakes *without* detach, so the gradient flows through D into G; D's own
   weights are frozen for this pass (their gradients would be wasted), and only G's optimizer steps.

A class-conditional pair (``G.n_classes == D.n_classes > 0``) trains on the same step: D sees real
images with their labels and fakes with the labels they were generated from, drawn uniformly.

Numbers are read back from the device every ``log_every`` steps, not every step; a NaN or infinite
loss stops the run with the step named, before any bad weights reach a checkpoint.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from ..data.loader import TensorLoader
from ..runtime import check_choice, check_float, check_int
from . import distributed as dist_utils
from .checkpoint import save_checkpoint
from .history import History
from .losses import OBJECTIVES, d_loss, g_loss, gradient_penalty
from .loop import SCHEDULES, StatBuffer, autocast, progress_bar, restore, set_lr, speed_options, unwrap

CHECKPOINT_NAME = "checkpoint.pt"
# live(step, history, samples) is called at every snapshot, e.g. viz.LiveFigure in a notebook.
LiveCallback = Callable[[int, History, torch.Tensor], None]


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


def _ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema ← decay·ema + (1 − decay)·model for parameters; buffers (BN statistics) are copied."""
    ema_p, p = list(ema.parameters()), list(model.parameters())
    torch._foreach_lerp_(ema_p, p, 1.0 - decay)
    for eb, b in zip(ema.buffers(), model.buffers()):
        eb.copy_(b)


def fit_gan(G: nn.Module, D: nn.Module, loader: TensorLoader, steps: int, *,
            objective: str = "nonsaturating", lr_g: float = 2e-4, lr_d: float = 2e-4,
            betas: tuple[float, float] = (0.5, 0.999), schedule: str = "constant", n_critic: int = 1,
            gp_weight: float = 10.0,
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
        ema_decay: keep an exponential moving average of G's weights (e.g. 0.999) and sample from it.
        log_every: read numbers back from the device every this many steps (also the NaN check).
        sample_every: keep a snapshot of a fixed noise batch of ``n_samples`` every this many steps.
        checkpoint_dir, checkpoint_every: write ``checkpoint.pt`` there every this many steps and at
            the end (atomically); ``resume=True`` continues from it bit for bit.
        amp, channels_last: bf16 autocast and NHWC memory layout ("auto": on for CUDA only).
        compile: ``torch.compile`` both networks.
        live: called with (step, history, samples) at each snapshot, e.g. ``viz.LiveFigure()``.
    """
    check_choice("objective", objective, OBJECTIVES)
    check_choice("schedule", schedule, SCHEDULES)
    steps, log_every, n_critic = check_int("steps", steps), check_int("log_every", log_every), check_int("n_critic", n_critic)
    lr_g, lr_d = check_float("lr_g", lr_g), check_float("lr_d", lr_d)
    if ema_decay is not None and not 0.0 < ema_decay < 1.0:
        raise ValueError(f"ema_decay={ema_decay!r} is not allowed; use None or a number in (0, 1), e.g. 0.999")
    for name, every in (("sample_every", sample_every), ("checkpoint_every", checkpoint_every)):
        if every is not None:
            check_int(name, every)
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, the folder of the run to continue")
    rank, world = dist_utils.rank(), dist_utils.world_size()
    if (loader.rank, loader.world_size) != (rank, world):
        raise ValueError(f"the loader is for rank {loader.rank} of {loader.world_size} but this process is rank "
                         f"{rank} of {world}; build it with data.loader(..., rank={rank}, world_size={world})")
    if not hasattr(G, "nz"):
        raise ValueError("G must have an attribute nz, the size of its noise input")
    n_classes = getattr(G, "n_classes", 0)
    if getattr(D, "n_classes", 0) != n_classes:
        raise ValueError(f"G has n_classes={n_classes} but D has n_classes={getattr(D, 'n_classes', 0)}; "
                         "a conditional pair needs the same number of classes in both")
    if n_classes and objective == "wgan-gp":
        raise ValueError("objective='wgan-gp' is not allowed with a class-conditional pair; "
                         f"choose one of {tuple(o for o in OBJECTIVES if o != 'wgan-gp')}")

    device = loader.device
    use_amp, memfmt = speed_options(device, amp, channels_last)
    G, D = G.to(device, memory_format=memfmt), D.to(device, memory_format=memfmt)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False) if ema_decay is not None else None
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas)

    # Noise comes from the loop's own generator (per rank), so a resumed run draws the same z.
    z_gen = torch.Generator(device=device).manual_seed(seed * 1_000_003 + rank)
    history = History(critic=objective in ("hinge", "wgan-gp"))
    ckpt = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None
    config = {"objective": objective, "n_critic": n_critic, "nz": G.nz, "n_classes": n_classes,
              "ema": ema_decay is not None, "schedule": schedule, "world_size": world}
    start = 0
    if resume and ckpt.exists():
        state = restore(ckpt, {"G": G, "D": D, "G_ema": G_ema}, {"opt_g": opt_g, "opt_d": opt_d}, config)
        start, history = state["step"], History.from_state_dict(state["history"])
        if world == 1:
            z_gen.set_state(state["z_gen"])
        else:  # each rank has its own stream; rank 0's saved state is not theirs
            z_gen.manual_seed(seed * 1_000_003 + rank + 7919 * start)
        if dist_utils.is_main():
            print(f"[train] resumed from {ckpt} at step {start}")

    # What runs each step: DDP wrappers (gradient all-reduce) and compiled graphs where asked.
    G_step, D_step = G, D
    if world > 1:
        G_step, D_step = DDP(G), DDP(D)
    if compile:
        G_step, D_step = torch.compile(G_step), torch.compile(D_step)
    # The G step runs D without DDP: D is frozen there, so there is nothing to all-reduce.
    D_frozen = torch.compile(D) if compile else D
    keep_graph = n_critic == 1  # with one D step, the G step reuses that step's fakes

    def fake_labels(n: int) -> tuple[torch.Tensor, ...]:
        """The extra arguments G and D take for n fakes: () when unconditional, else labels drawn
        uniformly from the loop's noise stream (so a resumed run draws the same ones)."""
        return (torch.randint(n_classes, (n,), device=device, generator=z_gen),) if n_classes else ()
    if history.critic:
        def score(logits: torch.Tensor) -> torch.Tensor:
            return logits.float().mean()
    else:
        def score(logits: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(logits.float()).mean()

    def checkpoint(step: int) -> None:
        if ckpt is None or not dist_utils.is_main():
            return
        save_checkpoint({"format": "aigc-gan-v1", "step": step, "config": config, "G": G.state_dict(),
                         "D": D.state_dict(), **({"G_ema": G_ema.state_dict()} if G_ema is not None else {}),
                         "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "z_gen": z_gen.get_state(),
                         "history": history.state_dict()}, ckpt)

    last_good = "No checkpoint was written." if ckpt is None else f"No checkpoint was written to {ckpt} yet."

    def flush() -> None:
        steps_, values = stats.flush(last_good)
        history.extend(steps_, values)
        if values:
            bar.set_postfix({k: f"{v[-1]:.3f}" for k, v in values.items()}, refresh=False)

    stats = StatBuffer(("loss_d", "loss_g", "d_real", "d_fake"))
    batches = loader.batches(start * n_critic)
    bar = progress_bar(steps, start, f"GAN ({objective})", progress and dist_utils.is_main())
    t0 = time.perf_counter()
    for step in range(start, steps):
        set_lr([opt_g, opt_d], [lr_g, lr_d], schedule, step, steps)
        # --- discriminator / critic: n_critic updates on detached fakes ---
        for i in range(n_critic):
            real, real_y = next(batches)
            real = real.contiguous(memory_format=memfmt)
            real_args = (real_y,) if n_classes else ()
            z = torch.randn(real.shape[0], G.nz, device=device, generator=z_gen)
            fake_args = fake_labels(real.shape[0])
            with autocast(device, use_amp), torch.set_grad_enabled(keep_graph):
                fake = G_step(z, *fake_args)
            with autocast(device, use_amp):
                real_logits, fake_logits = D_step(real, *real_args), D_step(fake.detach(), *fake_args)
                loss_d = d_loss(objective, real_logits, fake_logits)
            if objective == "wgan-gp":  # float32, plain D: it differentiates a gradient (double backward)
                loss_d = loss_d + gp_weight * gradient_penalty(D, real, fake.detach().float(), z_gen)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        # --- generator: gradients flow through a frozen D into G ---
        if not keep_graph:
            z = torch.randn(real.shape[0], G.nz, device=device, generator=z_gen)
            fake_args = fake_labels(real.shape[0])
            with autocast(device, use_amp):
                fake = G_step(z, *fake_args)
        D.requires_grad_(False)
        with autocast(device, use_amp):
            loss_g = g_loss(objective, D_frozen(fake, *fake_args))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        D.requires_grad_(True)
        if G_ema is not None:
            with torch.no_grad():
                _ema_update(G_ema, G, ema_decay)

        stats.add(step, loss_d, loss_g, score(real_logits), score(fake_logits))
        done = step + 1
        bar.update(1)
        if done % log_every == 0 or done == steps:
            flush()
        if sample_every and done % sample_every == 0 and dist_utils.is_main():
            flush()
            samples = sample(G_ema if G_ema is not None else G, n_samples, seed=seed)
            history.snapshot_steps.append(done)
            history.snapshots.append(samples)
            if live is not None:
                live(done, history, samples)
        if checkpoint_every and done % checkpoint_every == 0 and done != steps:
            flush()  # never checkpoint weights that already produced a NaN
            checkpoint(done)
            last_good = f"The last good checkpoint is {ckpt} (step {done})."
    flush()
    checkpoint(steps)
    bar.close()
    dist_utils.barrier()
    return GANRun(G=unwrap(G), D=unwrap(D), G_ema=G_ema, history=history, checkpoint=ckpt, steps=steps,
                  train_seconds=time.perf_counter() - t0)
