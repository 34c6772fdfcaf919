"""The one training skeleton under every loop: :func:`train` runs a :class:`Task` for a number of steps.

The skeleton owns everything that is the same for a GAN, a classifier, a VAE, pix2pix or a
diffusion model:

1. speed options (bf16 autocast on CUDA, ``channels_last`` everywhere, optionally ``torch.compile``) and
   DistributedDataParallel under ``torchrun`` (:class:`Context`);
2. resume: every checkpointed module, optimizer and the task's own state (e.g. its noise stream)
   are checked before anything is loaded, so a run continues bit for bit;
3. the learning-rate schedule, a function of the step alone (:func:`~.loop.set_lr`);
4. an exponential moving average of one module (:class:`EMA`), updated after every step;
5. deferred read-back of the step's numbers with the NaN guard (:class:`~.loop.StatBuffer`),
   progress bar, sample snapshots and live callbacks, and atomic checkpoints (rank 0 only).

A :class:`Task` supplies the rest: the modules and optimizers, what one step does with its batches
(the objective, regularisers such as a gradient penalty or R1), and what a snapshot shows. A new
kind of model is a new ``Task`` subclass, not new arguments to an existing loop.
"""
from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from ..data.loader import TensorLoader
from ..runtime import check_choice, check_int
from . import distributed as dist_utils
from .checkpoint import CHECKPOINT_NAME, save_checkpoint
from .history import History
from .loop import SCHEDULES, StatBuffer, autocast, progress_bar, restore, set_lr, speed_options

# live(step, history, samples) is called at every snapshot, e.g. viz.LiveFigure in a notebook.
LiveCallback = Callable[[int, History, torch.Tensor], None]


def check_ema_decay(decay: Any) -> float:
    """Return ``decay`` if it is a number in (0, 1); otherwise raise a ValueError naming the allowed values."""
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 < decay < 1.0:
        raise ValueError(f"ema_decay={decay!r} is not allowed; use None or a number in (0, 1), e.g. 0.999")
    return float(decay)


class EMA:
    """An exponential moving average of ``module``'s weights: ema ← d·ema + (1 − d)·module (Yazıcı et al. 2019).

    The decay warms up: at update t (from 0) it is d_t = min(decay, (1 + t) / (10 + t)), as in TensorFlow's
    ``ExponentialMovingAverage(num_updates=...)``. Without the warm-up, the average starts from the untrained
    network and forgets it only as decayᵗ: at 0.999 after 2,000 updates 13.5 % of the average is still the
    initialisation. Floating-point buffers (batch-norm running statistics) are averaged with the same d_t, so
    they follow the averaged weights rather than the raw network's; integer buffers (batch counts) are copied.
    The copy is frozen and in eval mode; sample from it instead of the raw module.
    """

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.source, self.decay = module, check_ema_decay(decay)
        self.module = copy.deepcopy(module).eval().requires_grad_(False)
        self.updates = 0  # how many times update() ran: sets the warm-up (restored on resume)

    def current_decay(self) -> float:
        """d_t for the next update: min(decay, (1 + t) / (10 + t))."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self) -> None:
        weight = 1.0 - self.current_decay()
        torch._foreach_lerp_(list(self.module.parameters()), list(self.source.parameters()), weight)
        for eb, b in zip(self.module.buffers(), self.source.buffers()):
            if eb.is_floating_point():
                eb.lerp_(b, weight)
            else:
                eb.copy_(b)
        self.updates += 1


@dataclass
class Context:
    """What the skeleton tells a task about this run: where it trains and how."""

    device: torch.device
    use_amp: bool  # bf16 autocast around forward passes
    memory_format: torch.memory_format  # channels_last unless turned off (speed_options)
    compile: bool  # torch.compile the modules that run each step
    rank: int
    world_size: int
    ema: EMA | None = None  # set by the skeleton when an EMA is kept

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast on this device when enabled, else nothing."""
        return autocast(self.device, self.use_amp)

    def wrap(self, module: nn.Module, distributed: bool = True) -> nn.Module:
        """What runs ``module`` each step: DDP (gradient all-reduce) under torchrun, then ``torch.compile`` if asked.

        ``distributed=False`` skips DDP, for a module that is frozen in that pass (nothing to all-reduce).
        """
        if distributed and self.world_size > 1:
            module = DDP(module)
        return torch.compile(module) if self.compile else module


class Task:
    """The model-specific part of a training loop; :func:`train` supplies everything else.

    Subclasses set :attr:`format` (the checkpoint's format tag) and implement :meth:`setup`,
    :meth:`modules`, :meth:`optimizers` and :meth:`step`; the other hooks have defaults.
    """

    format = "aigc-task-v1"
    desc = "train"  # the progress bar's label
    batches_per_step = 1  # loader batches one step consumes (a GAN with n_critic > 1 takes more)

    def setup(self, ctx: Context) -> None:
        """Move the modules to ``ctx.device`` (in ``ctx.memory_format``) and build the optimizers."""
        raise NotImplementedError

    def modules(self) -> dict[str, nn.Module]:
        """The plain modules a checkpoint holds, by name (also asked before :meth:`setup`; the EMA copy is
        added by the skeleton)."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """The optimizers by checkpoint name; their initial learning rates are the schedule's base rates."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """Settings a checkpoint must have been made with to be resumed by this run."""
        return {}

    def new_history(self) -> History:
        return History()

    def state(self) -> dict[str, Any]:
        """Extra entries for the checkpoint (e.g. the state of the task's own random stream)."""
        return {}

    def load_state(self, state: dict[str, Any], start: int) -> None:
        """Restore :meth:`state`'s entries from a checkpoint written at step ``start``."""

    def compile(self, ctx: Context) -> None:
        """Build what runs each step (:meth:`Context.wrap`); called after any resume."""

    def step(self, step: int, batches: Iterator, ctx: Context) -> dict[str, torch.Tensor]:
        """One optimisation step on the next ``batches_per_step`` batches; returns the numbers to log.

        Return device tensors, never ``.item()``: the skeleton reads them back in blocks.
        """
        raise NotImplementedError

    def snapshot(self, n: int, seed: int, ctx: Context) -> torch.Tensor | None:
        """``n`` samples to keep in the history at a snapshot (``None``: this task shows none)."""
        return None


@dataclass
class Trained:
    """What :func:`train` returns besides the task's own (trained) modules."""

    history: History
    checkpoint: Path | None
    steps: int
    train_seconds: float
    ema: nn.Module | None


def train(task: Task, loader: TensorLoader, steps: int, *,
          schedule: Literal["constant", "cosine", "linear"] = "constant", ema_of: str | None = None,
          ema_decay: float | None = None, seed: int = 0, log_every: int = 50,
          sample_every: int | None = None, n_samples: int = 64, checkpoint_dir: str | Path | None = None,
          checkpoint_every: int | None = None, resume: bool = False, amp: bool | Literal["auto"] = "auto",
          channels_last: bool | Literal["auto"] = "auto", compile: bool = False, progress: bool = True,
          live: LiveCallback | None = None) -> Trained:
    """Run ``task`` for ``steps`` steps over ``loader``'s batches.

    Args:
        task: the model-specific part (modules, optimizers, one step, snapshots).
        loader: batches on the training device (under torchrun, one shard per rank).
        steps: total steps (when resuming, the run continues up to this count).
        schedule: ``constant``, or ``linear`` / ``cosine`` decay of every learning rate to 0 by ``steps``.
        ema_of, ema_decay: keep an :class:`EMA` of the module ``task.modules()[ema_of]``.
        seed: passed to the task's snapshots (a fixed noise batch).
        log_every: read numbers back from the device every this many steps (also the NaN check).
        sample_every: keep a snapshot of ``n_samples`` samples every this many steps.
        checkpoint_dir, checkpoint_every: write ``checkpoint.pt`` there every this many steps and at
            the end (atomically); ``resume=True`` continues from it bit for bit.
        amp, channels_last: bf16 autocast and NHWC memory layout ("auto": bf16 on CUDA only, NHWC everywhere).
        compile: ``torch.compile`` the modules that run each step.
        live: called with (step, history, samples) at each snapshot, e.g. ``viz.LiveFigure()``.
    """
    steps, log_every = check_int("steps", steps), check_int("log_every", log_every)
    check_choice("schedule", schedule, SCHEDULES)
    for name, every in (("sample_every", sample_every), ("checkpoint_every", checkpoint_every)):
        if every is not None:
            check_int(name, every)
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, the folder of the run to continue")
    if (ema_of is None) != (ema_decay is None):
        raise ValueError(f"ema_of={ema_of!r} and ema_decay={ema_decay!r}: give both (an EMA) or neither")
    if ema_decay is not None:
        check_ema_decay(ema_decay)
    rank, world = dist_utils.rank(), dist_utils.world_size()
    if (loader.rank, loader.world_size) != (rank, world):
        raise ValueError(f"the loader is for rank {loader.rank} of {loader.world_size} but this process is rank "
                         f"{rank} of {world}; build it with data.loader(..., rank={rank}, world_size={world})")

    if ema_of is not None:
        check_choice("ema_of", ema_of, tuple(task.modules()))
    use_amp, memfmt = speed_options(loader.device, amp, channels_last)
    ctx = Context(device=loader.device, use_amp=use_amp, memory_format=memfmt, compile=compile, rank=rank,
                  world_size=world)
    task.setup(ctx)
    modules = task.modules()
    if ema_of is not None:
        ctx.ema = EMA(modules[ema_of], ema_decay)
    optimizers = task.optimizers()
    base_lrs = [opt.param_groups[0]["lr"] for opt in optimizers.values()]  # read before any resume
    saved = {**modules, **({f"{ema_of}_ema": ctx.ema.module} if ctx.ema is not None else {})}

    history = task.new_history()
    ckpt = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None
    config = task.config()
    start = 0
    if resume and ckpt.exists():
        state = restore(ckpt, saved, optimizers, config)
        start, history = state["step"], History.from_state_dict(state["history"])
        task.load_state(state, start)
        if ctx.ema is not None:
            ctx.ema.updates = start  # one update per step: the warm-up goes on where it stopped
        if dist_utils.is_main():
            print(f"[train] resumed from {ckpt} at step {start}")
    task.compile(ctx)

    def checkpoint(step: int) -> None:
        if ckpt is None or not dist_utils.is_main():
            return
        save_checkpoint({"format": task.format, "step": step, "config": config,
                         **{k: m.state_dict() for k, m in saved.items()},
                         **{k: o.state_dict() for k, o in optimizers.items()}, **task.state(),
                         "history": history.state_dict()}, ckpt)

    last_good = "No checkpoint was written." if ckpt is None else f"No checkpoint was written to {ckpt} yet."
    stats: StatBuffer | None = None
    bar = progress_bar(steps, start, task.desc, progress and dist_utils.is_main())

    def flush() -> None:
        if stats is None:
            return
        steps_, values = stats.flush(last_good)
        history.extend(steps_, values)
        if values:
            bar.set_postfix({k: f"{v[-1]:.3f}" for k, v in values.items()}, refresh=False)

    batches = loader.batches(start * task.batches_per_step)
    t0 = time.perf_counter()
    for step in range(start, steps):
        set_lr(list(optimizers.values()), base_lrs, schedule, step, steps)
        values = task.step(step, batches, ctx)
        if ctx.ema is not None:
            ctx.ema.update()
        if stats is None:  # the names are known after the first step
            stats = StatBuffer(tuple(values))
        stats.add(step, *values.values())
        done = step + 1
        bar.update(1)
        if done % log_every == 0 or done == steps:
            flush()
        if sample_every and done % sample_every == 0 and dist_utils.is_main():
            samples = task.snapshot(n_samples, seed, ctx)
            if samples is not None:
                flush()
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
    return Trained(history=history, checkpoint=ckpt, steps=steps, train_seconds=time.perf_counter() - t0,
                   ema=ctx.ema.module if ctx.ema is not None else None)
