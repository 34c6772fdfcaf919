"""Denoising diffusion (Ho et al. 2020; DDIM: Song et al. 2021): the noise schedule, the training objective,
the DDPM and DDIM sampling steps, classifier-free guidance, and :func:`fit_diffusion` on the shared skeleton.

Notation (Ho et al. 2020, section 2): a schedule β_1 … β_T, α_t = 1 − β_t, ᾱ_t = ∏_{s≤t} α_s. Timesteps
are 0-based here, as in ``diffusers``: index t in 0 … T−1 is the paper's t + 1.

1. Forward process (eq. 4): q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), so x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε
   (:func:`q_sample`) — any step in one draw, no chain to run.
2. Objective (eq. 14, "L_simple"): E_{t, x_0, ε} ‖ε − ε_θ(x_t, t)‖², the ELBO's terms with their
   per-t weights dropped. The network may predict ε, x_0 (``"sample"``) or v = √ᾱ_t ε − √(1 − ᾱ_t) x_0
   (Salimans & Ho 2022); :func:`split_prediction` turns any of them into the pair (x̂_0, ε̂).
3. Ancestral DDPM step (eqs. 6–7): x_{t−1} ~ q(x_{t−1} | x_t, x̂_0), the posterior with mean
   μ̃ = √ᾱ_{t−1} β_t / (1 − ᾱ_t) · x̂_0 + √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · x_t and variance
   β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t (:func:`ddpm_step`).
4. DDIM step (Song et al. 2021, eq. 12): x_prev = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev − σ²) ε̂ + σ z with
   σ = η √β̃; η = 0 is deterministic and may skip timesteps (:func:`ddim_step`).
5. Classifier-free guidance (Ho & Salimans 2022): ε̃ = ε_u + s (ε_c − ε_u) (:func:`guide`).

The steps are checked against ``diffusers``' ``DDPMScheduler`` and ``DDIMScheduler`` in the tests; the
defaults (clipping x̂_0 to [−1, 1], ᾱ_prev = 1 past the last step) are theirs, except one: after clipping,
DDIM re-derives ε̂ from the clipped x̂_0 (GLIDE's choice, ``use_clipped_model_output=True`` there), without
which classifier-free guidance above 1 ruins the samples (measured in chapter 10).
"""
from __future__ import annotations

import math
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

ScheduleKind = Literal["linear", "cosine"]
Prediction = Literal["epsilon", "sample", "v_prediction"]  # diffusers' names for ε-, x₀- and v-prediction
SCHEDULE_KINDS = ("linear", "cosine")
PREDICTIONS = ("epsilon", "sample", "v_prediction")
SAMPLERS = ("ddpm", "ddim")


@dataclass(frozen=True)
class NoiseSchedule:
    """β_1 … β_T and the products the steps use, in float32 (as ``diffusers`` keeps them)."""

    kind: str
    betas: torch.Tensor  # (T,)

    @classmethod
    def make(cls, kind: ScheduleKind = "linear", steps: int = 1000, beta_start: float = 1e-4,
             beta_end: float = 0.02) -> NoiseSchedule:
        """``linear``: β evenly spaced from ``beta_start`` to ``beta_end`` (Ho et al. 2020). ``cosine``:
        ᾱ(t) = cos²((t/T + s)/(1 + s) · π/2) with s = 0.008, β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999) (Nichol &
        Dhariwal 2021, eq. 17; ``diffusers``' ``squaredcos_cap_v2``): its log-SNR falls evenly instead of
        destroying most of the signal in the first third of the steps."""
        check_choice("kind", kind, SCHEDULE_KINDS)
        steps = check_int("steps", steps)
        if kind == "linear":
            betas = torch.linspace(beta_start, beta_end, steps, dtype=torch.float32)
        else:
            abar = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
            betas = torch.tensor([min(1 - abar((i + 1) / steps) / abar(i / steps), 0.999) for i in range(steps)],
                                 dtype=torch.float32)
        return cls(kind=kind, betas=betas)

    @property
    def steps(self) -> int:
        return len(self.betas)

    @property
    def alphas_cumprod(self) -> torch.Tensor:
        """ᾱ_t = ∏_{s≤t} (1 − β_s), shape (T,)."""
        return torch.cumprod(1.0 - self.betas, dim=0)

    def snr(self) -> torch.Tensor:
        """Signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) of x_t, shape (T,)."""
        abar = self.alphas_cumprod
        return abar / (1 - abar)


def _at(values: torch.Tensor, t: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
    """values[t] shaped to broadcast over ``like`` (N, ...): one number per sample."""
    t = torch.as_tensor(t, device=values.device).long().reshape(-1)
    out = values[t].to(like.device, like.dtype)
    return out.reshape(-1, *([1] * (like.dim() - 1)))


def q_sample(x0: torch.Tensor, t: torch.Tensor | int, noise: torch.Tensor, schedule: NoiseSchedule) -> torch.Tensor:
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε: a draw from q(x_t | x_0) in one step (Ho et al. 2020, eq. 4)."""
    abar = _at(schedule.alphas_cumprod, t, x0)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def target(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor | int, schedule: NoiseSchedule,
           prediction: Prediction) -> torch.Tensor:
    """What the network is trained to output: ε, x_0, or v = √ᾱ_t ε − √(1 − ᾱ_t) x_0."""
    check_choice("prediction", prediction, PREDICTIONS)
    if prediction == "epsilon":
        return noise
    if prediction == "sample":
        return x0
    abar = _at(schedule.alphas_cumprod, t, x0)
    return abar.sqrt() * noise - (1 - abar).sqrt() * x0


def split_prediction(x_t: torch.Tensor, output: torch.Tensor, t: torch.Tensor | int, schedule: NoiseSchedule,
                     prediction: Prediction) -> tuple[torch.Tensor, torch.Tensor]:
    """(x̂_0, ε̂) from the network's ``output`` at x_t, whatever it predicts (x_t = √ᾱ x̂_0 + √(1 − ᾱ) ε̂)."""
    check_choice("prediction", prediction, PREDICTIONS)
    abar = _at(schedule.alphas_cumprod, t, x_t)
    a, s = abar.sqrt(), (1 - abar).sqrt()
    if prediction == "epsilon":
        return (x_t - s * output) / a, output
    if prediction == "sample":
        return output, (x_t - a * output) / s
    return a * x_t - s * output, s * x_t + a * output  # v-prediction


def guide(cond: torch.Tensor, uncond: torch.Tensor, scale: float) -> torch.Tensor:
    """Classifier-free guidance: uncond + scale · (cond − uncond).

    ``scale`` is ``diffusers``' ``guidance_scale`` (also Imagen's and Stable Diffusion's): 0 is the
    unconditional model, 1 the conditional one, above 1 extrapolates past it. Ho & Salimans (2022) write
    (1 + w) ε_c − w ε_u, the same mix with w = scale − 1, so their w = 0 is our scale = 1. ``torch.lerp``
    returns each end exactly at scale 0 and 1.
    """
    return torch.lerp(uncond, cond, float(scale))


def ddpm_step(x_t: torch.Tensor, output: torch.Tensor, t: int, schedule: NoiseSchedule, noise: torch.Tensor | None,
              prediction: Prediction = "epsilon", clip: bool = True) -> torch.Tensor:
    """One ancestral step x_t → x_{t−1} ~ N(μ̃(x_t, x̂_0), β̃_t I) (Ho et al. 2020, eqs. 6–7; σ² = β̃_t).

    ``noise`` is the N(0, I) draw; it is not used at t = 0, where the step returns the mean.
    """
    t = int(t)
    abar = schedule.alphas_cumprod
    abar_t, abar_prev = abar[t], abar[t - 1] if t > 0 else torch.tensor(1.0)
    alpha_t, beta_t = abar_t / abar_prev, 1 - abar_t / abar_prev
    x0, _ = split_prediction(x_t, output, t, schedule, prediction)
    if clip:
        x0 = x0.clamp(-1, 1)
    # eq. 7: the posterior mean of q(x_{t-1} | x_t, x_0) with x̂_0 in place of x_0
    mean = (abar_prev.sqrt() * beta_t / (1 - abar_t)) * x0 + (alpha_t.sqrt() * (1 - abar_prev) / (1 - abar_t)) * x_t
    if t == 0:
        return mean
    if noise is None:
        raise ValueError(f"ddpm_step at t={t} needs noise (an N(0, I) tensor shaped like x_t); only t=0 takes None")
    variance = ((1 - abar_prev) / (1 - abar_t) * beta_t).clamp(min=1e-20)  # β̃_t
    return mean + variance.sqrt() * noise


def ddim_timesteps(train_steps: int, steps: int) -> list[int]:
    """The ``steps`` timesteps DDIM visits, high to low: 0, k, 2k, … reversed, k = T // steps (``diffusers``'
    default "leading" spacing)."""
    train_steps, steps = check_int("train_steps", train_steps), check_int("steps", steps)
    if steps > train_steps:
        raise ValueError(f"steps={steps} is not allowed; use 1 to train_steps={train_steps}")
    k = train_steps // steps
    return [i * k for i in range(steps)][::-1]


def ddim_step(x_t: torch.Tensor, output: torch.Tensor, t: int, t_prev: int, schedule: NoiseSchedule,
              eta: float = 0.0, noise: torch.Tensor | None = None, prediction: Prediction = "epsilon",
              clip: bool = True, rederive_eps: bool = True) -> torch.Tensor:
    """One DDIM step x_t → x_{t_prev} (Song et al. 2021, eq. 12); ``t_prev < 0`` means ᾱ_prev = 1 (the end).

    x_prev = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev − σ²) ε̂ + σ z, σ = η √((1 − ᾱ_prev)/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_prev)).
    η = 0 is the deterministic sampler; η = 1 with consecutive steps is DDPM's.

    ``clip`` clamps x̂_0 to [−1, 1]; ``rederive_eps`` then recomputes ε̂ = (x_t − √ᾱ_t x̂_0) / √(1 − ᾱ_t) from the
    clamped x̂_0, so the step stays on a line through x_t (GLIDE's choice; ``diffusers``' DDIMScheduler with
    ``use_clipped_model_output=True``). ``rederive_eps=False`` keeps the network's ε̂ (``diffusers``' default):
    with classifier-free guidance above 1 that mixes a clamped x̂_0 with an extrapolated ε̂, and chapter 10
    measures what it does to the samples.
    """
    abar = schedule.alphas_cumprod
    t, t_prev = int(t), int(t_prev)
    abar_t, abar_prev = abar[t], abar[t_prev] if t_prev >= 0 else torch.tensor(1.0)
    x0, eps = split_prediction(x_t, output, t, schedule, prediction)
    if clip:
        x0 = x0.clamp(-1, 1)
        if rederive_eps:
            eps = (x_t - abar_t.sqrt() * x0) / (1 - abar_t).sqrt()
    sigma = eta * ((1 - abar_prev) / (1 - abar_t) * (1 - abar_t / abar_prev)).sqrt()
    x_prev = abar_prev.sqrt() * x0 + (1 - abar_prev - sigma ** 2).sqrt() * eps
    if eta > 0:
        if noise is None:
            raise ValueError(f"ddim_step with eta={eta} needs noise (an N(0, I) tensor shaped like x_t)")
        x_prev = x_prev + sigma * noise
    return x_prev


def _predict(model: nn.Module, x: torch.Tensor, t: int, labels: torch.Tensor | None, scale: float) -> torch.Tensor:
    """The model's output at (x, t), guided by ``scale`` if class-conditional (two passes unless scale is 0 or 1)."""
    tt = torch.full((len(x),), t, device=x.device, dtype=torch.long)
    if labels is None:
        return model(x, tt).float()
    null = torch.full_like(labels, model.n_classes)  # the "no class" label the model was trained with
    if scale in (0.0, 1.0):  # one pass: the unconditional or the conditional model, exactly what guide() returns
        return model(x, tt, labels if scale == 1.0 else null).float()
    both = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([labels, null])).float()
    cond, uncond = both.chunk(2)
    return guide(cond, uncond, scale)


@torch.no_grad()
def sample(model: nn.Module, n: int, shape: tuple[int, ...], schedule: NoiseSchedule, *,
           sampler: Literal["ddpm", "ddim"] = "ddim", steps: int = 50, eta: float = 0.0,
           labels: torch.Tensor | None = None, guidance: float = 1.0, prediction: Prediction = "epsilon",
           clip: bool = True, rederive_eps: bool = True, seed: int = 0, batch_size: int = 500,
           keep: int = 0) -> torch.Tensor:
    """Draw ``n`` samples of ``shape`` (e.g. (1, 28, 28)) from noise, on the CPU.

    ``sampler="ddpm"`` runs all T ancestral steps (``steps`` is ignored); ``"ddim"`` runs ``steps`` of them.
    A class-conditional model (``model.n_classes > 0``) takes ``labels`` (N,), by default 0, 1, …, K−1, 0, …;
    ``guidance`` is the classifier-free guidance scale of :func:`guide`; ``clip`` and ``rederive_eps`` are
    :func:`ddim_step`'s (DDPM's step uses x̂_0 only). ``keep > 0`` returns, instead,
    the trajectory: (keep, n, *shape), ``keep`` evenly spaced states from x_T to x_0, for an animation.
    Images are denoised in the NHWC layout, which moves ``model``'s weights into it too (their values unchanged):
    chapter 10's U-Net samples about 1.2 times faster so on this CPU.
    """
    check_choice("sampler", sampler, SAMPLERS)
    n, batch_size = check_int("n", n), check_int("batch_size", batch_size)
    check_choice("prediction", prediction, PREDICTIONS)
    device = next(model.parameters()).device
    k = getattr(model, "n_classes", 0)
    if k and labels is None:
        labels = torch.arange(n) % k
    if not k and labels is not None:
        raise ValueError("labels were given but the model is unconditional (model.n_classes is 0)")
    if not k and guidance != 1.0:
        raise ValueError(f"guidance={guidance!r} needs a class-conditional model; use guidance=1.0")
    ts = list(range(schedule.steps))[::-1] if sampler == "ddpm" else ddim_timesteps(schedule.steps, steps)
    g = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    if len(shape) == 3:
        model.to(memory_format=torch.channels_last)
    out, frames = [], []
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        x = in_layout(torch.randn(m, *shape, generator=g).to(device), torch.channels_last)
        y = None if labels is None else labels[i:i + m].to(device)
        marks = set(torch.linspace(0, len(ts), keep).round().long().tolist()) if keep else set()
        traj = [x.cpu().contiguous()] if 0 in marks else []
        for j, t in enumerate(ts):
            output = _predict(model, x, t, y, guidance)
            z = torch.randn(x.shape, generator=g).to(device) if (sampler == "ddpm" or eta > 0) else None
            if sampler == "ddpm":
                x = ddpm_step(x, output, t, schedule, z if t > 0 else None, prediction, clip)
            else:
                t_prev = ts[j + 1] if j + 1 < len(ts) else -1
                x = ddim_step(x, output, t, t_prev, schedule, eta, z, prediction, clip, rederive_eps)
            if j + 1 in marks:
                traj.append(x.cpu().contiguous())
        out.append(x.float().cpu().contiguous())
        frames.append(torch.stack(traj) if keep else None)
    model.train(was_training)
    return torch.cat(frames, dim=1) if keep else torch.cat(out)


def diffusion_loss(model: nn.Module, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: NoiseSchedule,
                   prediction: Prediction, labels: torch.Tensor | None = None) -> torch.Tensor:
    """L_simple: the mean squared error of the network's output against :func:`target` at x_t = q_sample(x_0, t, ε)."""
    x_t = q_sample(x0, t, noise, schedule)
    args = (t,) if labels is None else (t, labels)
    return (model(x_t, *args).float() - target(x0, noise, t, schedule, prediction).float()).pow(2).mean()


class DiffusionTask(Task):
    """A denoiser trained on L_simple: per step, t ~ U{0 … T−1} and ε ~ N(0, I) per image, Adam(W)."""

    format = "aigc-diffusion-v1"
    desc = "diffusion"

    def __init__(self, model: nn.Module, schedule: NoiseSchedule, prediction: Prediction, lr: float,
                 cond_drop: float, seed: int) -> None:
        self.model, self.schedule, self.prediction = model, schedule, prediction
        self.lr, self.cond_drop, self.seed = lr, cond_drop, seed
        self.n_classes = getattr(model, "n_classes", 0)
        self._config = {"prediction": prediction, "schedule": schedule.kind, "train_steps": schedule.steps,
                        "n_classes": self.n_classes, "cond_drop": cond_drop, "world_size": dist_utils.world_size()}

    def setup(self, ctx: Context) -> None:
        self.model = self.model.to(ctx.device, memory_format=ctx.memory_format)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=0.0)
        self.rank, self.device = ctx.rank, ctx.device
        # t, ε and the dropped labels come from the task's own stream, so a resumed run draws the same ones.
        self.gen = torch.Generator(device=ctx.device).manual_seed(self.seed * 1_000_003 + ctx.rank)

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.opt}

    def config(self) -> dict[str, Any]:
        return self._config

    def state(self) -> dict[str, Any]:
        return {"gen": self.gen.get_state()}

    def load_state(self, state: dict[str, Any], start: int) -> None:
        if dist_utils.world_size() == 1:
            self.gen.set_state(state["gen"])
        else:  # each rank has its own stream; rank 0's saved state is not theirs
            self.gen.manual_seed(self.seed * 1_000_003 + self.rank + 7919 * start)

    def compile(self, ctx: Context) -> None:
        self.step_model = ctx.wrap(self.model)

    def step(self, step: int, batches: Iterator, ctx: Context) -> dict[str, torch.Tensor]:
        x0, y = next(batches)
        x0 = in_layout(x0, ctx.memory_format)
        n = x0.shape[0]
        t = torch.randint(self.schedule.steps, (n,), device=self.device, generator=self.gen)
        noise = torch.randn(x0.shape, device=self.device, generator=self.gen)
        labels = None
        if self.n_classes:  # classifier-free guidance: drop the label to "no class" with probability cond_drop
            drop = torch.rand(n, device=self.device, generator=self.gen) < self.cond_drop
            labels = torch.where(drop, torch.full_like(y, self.n_classes), y)
        with ctx.autocast():
            loss = diffusion_loss(self.step_model, x0, t, noise, self.schedule, self.prediction, labels)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss}


@dataclass
class DiffusionRun:
    """The outcome of :func:`fit_diffusion`."""

    model: nn.Module
    ema: nn.Module | None
    schedule: NoiseSchedule
    prediction: str
    history: History
    checkpoint: Path | None
    steps: int
    train_seconds: float

    @property
    def denoiser(self) -> nn.Module:
        """The network to sample from: the EMA copy when there is one."""
        return self.ema if self.ema is not None else self.model


def fit_diffusion(model: nn.Module, loader: TensorLoader, steps: int, *, schedule: NoiseSchedule | None = None,
                  prediction: Prediction = "epsilon", lr: float = 1e-3, cond_drop: float = 0.1,
                  lr_schedule: Literal["constant", "cosine", "linear"] = "constant", ema_decay: float | None = None,
                  seed: int = 0, log_every: int = 50, checkpoint_dir: str | Path | None = None,
                  checkpoint_every: int | None = None, resume: bool = False, amp: bool | Literal["auto"] = "auto",
                  channels_last: bool | Literal["auto"] = "auto", compile: bool = False, progress: bool = True,
                  live: LiveCallback | None = None) -> DiffusionRun:
    """Train the denoiser ``model(x_t, t[, labels])`` on L_simple for ``steps`` steps over ``loader``'s batches.

    ``schedule`` defaults to the linear T = 1000 schedule of Ho et al. (2020). A class-conditional model
    (``model.n_classes = K > 0``) must accept label K as "no class": each label is replaced by it with
    probability ``cond_drop``, so the same network learns the unconditional model too (Ho & Salimans 2022).
    The rest (EMA, schedules, checkpoints, resume, autocast, DDP) is the shared skeleton's, as in ``fit``.
    """
    schedule = schedule if schedule is not None else NoiseSchedule.make()
    check_choice("prediction", prediction, PREDICTIONS)
    lr = check_float("lr", lr)
    if not 0.0 <= cond_drop < 1.0:
        raise ValueError(f"cond_drop={cond_drop!r} is not allowed; use a probability in [0, 1), e.g. 0.1")
    task = DiffusionTask(model, schedule, prediction, lr, cond_drop, seed)
    done = train(task, loader, steps, schedule=lr_schedule, ema_of="model" if ema_decay is not None else None,
                 ema_decay=ema_decay, seed=seed, log_every=log_every, checkpoint_dir=checkpoint_dir,
                 checkpoint_every=checkpoint_every, resume=resume, amp=amp, channels_last=channels_last,
                 compile=compile, progress=progress, live=live)
    return DiffusionRun(model=task.model, ema=done.ema, schedule=schedule, prediction=prediction, history=done.history,
                        checkpoint=done.checkpoint, steps=done.steps, train_seconds=done.train_seconds)
