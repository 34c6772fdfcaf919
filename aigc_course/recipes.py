"""Named training recipes: the models the chapters train, runnable from the command line.

``python -m aigc_course train dcgan-mnist --steps 2000`` trains chapter 2's model (the row its
ablation names ``chapter``), through the same :func:`~aigc_course.train.fit_gan`, and works under
``torchrun`` too; ``ddpm-mnist`` trains chapter 10's diffusion model through ``fit_diffusion``;
``inpaint-photos`` and ``fast-style`` train chapter 7's inpainting and feed-forward style networks on crops of
the training photos, through the chapter's own training functions.
Each recipe is read from its chapter's configuration, never copied, so a change
of the chapter's model changes the recipe. This module and the CLI sit on top of the chapters, like
the notebooks; the library below never imports them.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchvision.utils import save_image

from . import shipped
from .chapters import ch02_dcgan_mnist, ch03_dcgan_cifar10
from .chapters import ch07_inpainting_and_style as ch07
from .chapters import ch08_video_interpolation as ch08
from .chapters import ch09_style_based_generators as ch09
from .chapters.ch10_diffusion import mnist as ch10_mnist
from .data import load_dataset
from .runtime import check_choice, check_int, hardware, seed_everything, source_version, write_json
from .runtime import device as pick_device
from .train import GANRun, fit_gan
from .train import distributed as dist_utils
from .train.checkpoint import CHECKPOINT_NAME, CheckpointError, check_compatible, load_checkpoint
from .train.dcgan import Ablation, DCGANConfig
from .train.diffusion import DiffusionRun, fit_diffusion
from .train.diffusion import sample as sample_diffusion
from .train.supervised import FitRun

SHAPES = {"mnist": (1, 28), "fashion-mnist": (1, 28), "cifar10": (3, 32)}  # channels and side of each recipe's images


@dataclass(frozen=True)
class Recipe:
    """A chapter's model: its data set, its configuration and its budget."""

    description: str
    dataset: str
    config: DCGANConfig
    steps: int  # default budget in generator steps (the chapter's quick budget)

    @classmethod
    def from_ablation(cls, chapter: str, ablation: Ablation) -> Recipe:
        return cls(description=f"DCGAN on {ablation.dataset}, {chapter}'s model "
                               f"(row {ablation.chapter!r}: {ablation.description(ablation.chapter)})",
                   dataset=ablation.dataset, config=ablation.config(), steps=ablation.steps)

    @property
    def batch_size(self) -> int:
        return self.config.batch_size

    @property
    def train(self) -> dict[str, Any]:
        """The ``fit_gan`` keyword arguments of this recipe."""
        return self.config.fit_kwargs()

    def build(self) -> tuple[nn.Module, nn.Module]:
        """A fresh generator and discriminator (seed torch first for repeatable weights)."""
        return self.config.build(*SHAPES[self.dataset])


@dataclass(frozen=True)
class DiffusionRecipe:
    """A chapter's diffusion model: its data set, its configuration and its budget."""

    description: str
    dataset: str
    config: ch10_mnist.DiffusionConfig
    steps: int  # default budget in denoiser steps
    guidance: float  # the classifier-free guidance scale of the samples it writes

    @property
    def batch_size(self) -> int:
        return self.config.batch_size


@dataclass(frozen=True)
class StyleRecipe(Recipe):
    """A chapter's style-based GAN, trained like a DCGAN recipe; unlike those, it ships its generator (the EMA copy)."""

    config: ch09.StyleConfig


@dataclass(frozen=True)
class PhotoRecipe:
    """A photo or video chapter's network: trained on crops of its real training data (photos, or the training part
    of the clips) by its chapter's own function.

    ``fit(config, steps, seed=, data_dir=, device=, **fit_options) -> FitRun`` trains it; ``preview(model,
    data_dir)`` returns images in [0, 1] of what it does to held-out photos (written as ``samples.png``)."""

    description: str
    config: ch07.InpaintConfig | ch07.FastStyleConfig | ch08.RefineConfig
    steps: int  # default budget in optimiser steps
    fit: Callable[..., FitRun]
    preview: Callable[[nn.Module, str | Path | None], torch.Tensor]

    @property
    def batch_size(self) -> int:
        return self.config.batch_size


RECIPES: dict[str, Recipe | DiffusionRecipe | PhotoRecipe | StyleRecipe] = {
    "dcgan-mnist": Recipe.from_ablation("chapter 2", ch02_dcgan_mnist.ABLATION),
    "dcgan-cifar10": Recipe.from_ablation("chapter 3", ch03_dcgan_cifar10.ABLATION),
    "ddpm-mnist": DiffusionRecipe(description="class-conditional DDPM on MNIST, chapter 10's model (ε-prediction "
                                              "U-Net, classifier-free guidance)", dataset="mnist",
                                  config=ch10_mnist.MNIST, steps=ch10_mnist.SHIPPED_STEPS, guidance=3.0),
    "inpaint-photos": PhotoRecipe(description="inpainting network on 64x64 crops of the training photos with "
                                              "free-form holes, chapter 7's model", config=ch07.INPAINT["quick"],
                                  steps=ch07.SHIPPED_INPAINT_STEPS, fit=ch07.fit_inpaint_recipe,
                                  preview=ch07.preview_inpainting),
    "fast-style": PhotoRecipe(description="feed-forward style network for The Starry Night, chapter 7's model",
                              config=ch07.FAST_STYLE, steps=ch07.SHIPPED_FAST_STEPS, fit=ch07.fit_fast_style_recipe,
                              preview=ch07.preview_fast_style),
    "vfi-refine": PhotoRecipe(description="refinement of Farnebäck frame interpolation on triplets of the training "
                                          "part of the real clips, chapter 8's model", config=ch08.REFINE["quick"],
                              steps=ch08.SHIPPED_REFINE_STEPS, fit=ch08.fit_refine_recipe,
                              preview=ch08.preview_refine),
    "stylegan-fashion": StyleRecipe(description="style-based generator on Fashion-MNIST, chapter 9's model",
                                    dataset=ch09.DATASET, config=ch09.CHAPTER, steps=ch09.SHIPPED_STEPS),
}
SHIPPABLE = tuple(k for k, r in RECIPES.items() if isinstance(r, (DiffusionRecipe, PhotoRecipe, StyleRecipe)))


PROVENANCE = "provenance.json"  # written beside the checkpoint: how the run was made


def run_recipe(name: str, steps: int | None = None, device: str = "auto", out: str | Path | None = None,
               resume: bool = False, seed: int = 0, batch_size: int | None = None,
               data_dir: str | Path | None = None, progress: bool = True,
               command: str | None = None) -> GANRun | DiffusionRun | FitRun:
    """Train recipe ``name``; write ``checkpoint.pt``, ``samples.png`` and ``provenance.json`` into ``out``.

    ``provenance.json`` lists each training segment (a first run, then each ``resume``): its command,
    commit, the step it reached, seed, batch size, processes, device, hardware, date and seconds.
    ``command`` is what to record as the command (the CLI passes its own line).
    """
    check_choice("recipe", name, RECIPES)
    recipe = RECIPES[name]
    steps = check_int("steps", steps if steps is not None else recipe.steps)
    batch_size = check_int("batch_size", batch_size if batch_size is not None else recipe.batch_size)
    check_choice("device", device, ("auto", "cpu", "cuda", "mps"))
    rank, world, dev = dist_utils.init_from_env(device)
    if world == 1:
        dev = pick_device(device)  # says what it picked, and refuses a device that is not there
    seed_everything(seed)  # identical initial weights on every rank
    version = source_version()  # the code that trains, read before training (the tree may change meanwhile)
    out = Path(out) if out is not None else Path("runs") / name
    every = max(1, min(500, steps))
    value_range = (-1, 1)
    if isinstance(recipe, PhotoRecipe):
        if world > 1:
            raise ValueError(f"recipe {name!r} trains in one process; run it without torchrun")
        run: GANRun | DiffusionRun | FitRun = recipe.fit(
            replace(recipe.config, batch_size=batch_size), steps, seed=seed, data_dir=data_dir, device=dev,
            checkpoint_dir=out, checkpoint_every=every, resume=resume, progress=progress)
        samples = lambda: recipe.preview(run.model, data_dir)
        value_range = (0, 1)
    else:
        data = load_dataset(recipe.dataset, "train", data_dir=data_dir, verbose=dist_utils.is_main())
        loader = data.loader(batch_size, device=dev, seed=seed, drop_last=True, rank=rank, world_size=world)
    if isinstance(recipe, DiffusionRecipe):
        run = fit_diffusion(recipe.config.build(), loader, steps, seed=seed, checkpoint_dir=out,
                            checkpoint_every=every, resume=resume, progress=progress, **recipe.config.fit_kwargs())
        samples = lambda: sample_diffusion(run.denoiser, 64, ch10_mnist.SHAPE, run.schedule, steps=50,
                                           guidance=recipe.guidance, seed=seed)  # DDIM-50, digits 0–9 by row
    elif isinstance(recipe, Recipe):  # a DCGAN or a style-based GAN
        G, D = recipe.build()
        run = fit_gan(G, D, loader, steps, seed=seed, checkpoint_dir=out, checkpoint_every=every,
                      resume=resume, progress=progress, **recipe.train)
        samples = lambda: run.sample(64, seed=seed)
    if dist_utils.is_main():
        _record_segment(out, name, resume, {
            "command": command or f"run_recipe({name!r}, steps={steps}, seed={seed}, batch_size={batch_size})",
            **version, "until_step": steps, "seed": seed, "batch_size": batch_size, "world_size": world,
            "device": dev.type, "hardware": hardware(), "date": date.today().isoformat(),
            "train_seconds": round(run.train_seconds, 1)})
        grid = out / "samples.png"
        save_image(samples(), grid, nrow=8, normalize=True, value_range=value_range)
        print(f"[train] {name}: {steps} steps on {world} x {dev.type} in {run.train_seconds:.0f} s")
        print(f"[train] checkpoint: {run.checkpoint}")
        print(f"[train] samples:    {grid}")
    return run


def _record_segment(out: Path, name: str, resume: bool, segment: dict[str, Any]) -> None:
    """Append this run's segment to ``out/provenance.json`` (a fresh run starts a new record)."""
    path = out / PROVENANCE
    old = json.loads(path.read_text()) if resume and path.exists() else None
    segments = [*(old["segments"] if old else []), segment]
    # The total is known only when every segment resumed where the previous one stopped.
    chained = bool(old) or not resume
    write_json(path, {"recipe": name, "steps": segment["until_step"], "seed": segment["seed"],
                      "train_seconds": round(sum(s["train_seconds"] for s in segments), 1) if chained else None,
                      "segments": segments})


def export_recipe(name: str, run_dir: str | Path, folder: str | Path = shipped.WEIGHTS_DIR) -> tuple[Path, Path]:
    """Ship the trained network of run ``run_dir`` (the EMA copy where there is one) with its provenance.

    Diffusion, photo and style recipes ship weights (chapters 7 to 10); the DCGAN chapters reach their results live.
    """
    check_choice("recipe", name, SHIPPABLE)
    run_dir = Path(run_dir)
    key, model = _shipped_network(RECIPES[name])
    state = load_checkpoint(run_dir / CHECKPOINT_NAME, required=(key, "step"))
    if not (run_dir / PROVENANCE).exists():
        raise CheckpointError(f"{run_dir} has no {PROVENANCE}: train it with `python -m aigc_course train {name}` "
                              f"so the weights ship with their command, commit and hardware")
    provenance = json.loads((run_dir / PROVENANCE).read_text())
    if provenance["recipe"] != name or provenance["steps"] != state["step"]:
        raise CheckpointError(f"{run_dir}: {PROVENANCE} describes {provenance['recipe']!r} at step "
                              f"{provenance['steps']}, the checkpoint is at step {state['step']}")
    weights = state.get(f"{key}_ema", state[key])
    check_compatible(model, weights, key, run_dir / CHECKPOINT_NAME)
    return shipped.export_weights(name, weights, {"recipe": RECIPES[name].config.record(),
                                                  "weights": "ema" if f"{key}_ema" in state else "model"},
                                  provenance, folder)


def _shipped_network(recipe: DiffusionRecipe | PhotoRecipe | StyleRecipe) -> tuple[str, nn.Module]:
    """(its name in the run's checkpoint, a fresh copy) of the network a recipe ships: a GAN ships its generator."""
    if isinstance(recipe, StyleRecipe):
        return "G", recipe.build()[0]
    return "model", recipe.config.build()


def load_trained(name: str, folder: str | Path = shipped.WEIGHTS_DIR) -> tuple[nn.Module, dict[str, Any]]:
    """(network in eval mode, provenance record) of recipe ``name``'s shipped weights, built by today's code."""
    check_choice("recipe", name, SHIPPABLE)
    weights, record = shipped.load_weights(name, folder)
    key, model = _shipped_network(RECIPES[name])
    check_compatible(model, weights, key, Path(folder) / record["file"])
    model.load_state_dict(weights)
    return model.eval(), record
