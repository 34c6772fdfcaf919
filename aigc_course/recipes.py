"""Named training recipes: the models the chapters train, runnable from the command line.

``python -m aigc_course train dcgan-mnist --steps 2000`` trains chapter 2's model (the row its
ablation names ``chapter``), through the same :func:`~aigc_course.train.fit_gan`, and works under
``torchrun`` too; ``ddpm-mnist`` trains chapter 10's diffusion model through ``fit_diffusion``.
Each recipe is read from its chapter's configuration, never copied, so a change
of the chapter's model changes the recipe. This module and the CLI sit on top of the chapters, like
the notebooks; the library below never imports them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn
from torchvision.utils import save_image

from .chapters import ch02_dcgan_mnist, ch03_dcgan_cifar10
from .chapters.ch10_diffusion import mnist as ch10_mnist
from .data import load_dataset
from .runtime import check_choice, check_int, seed_everything
from .runtime import device as pick_device
from .train import GANRun, fit_gan
from .train import distributed as dist_utils
from .train.dcgan import Ablation, DCGANConfig
from .train.diffusion import DiffusionRun, fit_diffusion
from .train.diffusion import sample as sample_diffusion

SHAPES = {"mnist": (1, 28), "cifar10": (3, 32)}  # channels and side of each recipe's images


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


RECIPES: dict[str, Recipe | DiffusionRecipe] = {
    "dcgan-mnist": Recipe.from_ablation("chapter 2", ch02_dcgan_mnist.ABLATION),
    "dcgan-cifar10": Recipe.from_ablation("chapter 3", ch03_dcgan_cifar10.ABLATION),
    "ddpm-mnist": DiffusionRecipe(description="class-conditional DDPM on MNIST, chapter 10's model (ε-prediction "
                                              "U-Net, classifier-free guidance)", dataset="mnist",
                                  config=ch10_mnist.MNIST, steps=ch10_mnist.FULL_STEPS, guidance=3.0),
}


def run_recipe(name: str, steps: int | None = None, device: str = "auto", out: str | Path | None = None,
               resume: bool = False, seed: int = 0, batch_size: int | None = None,
               data_dir: str | Path | None = None, progress: bool = True) -> GANRun | DiffusionRun:
    """Train recipe ``name``; write ``checkpoint.pt`` and ``samples.png`` into ``out`` and return the run."""
    check_choice("recipe", name, RECIPES)
    recipe = RECIPES[name]
    steps = check_int("steps", steps if steps is not None else recipe.steps)
    batch_size = check_int("batch_size", batch_size if batch_size is not None else recipe.batch_size)
    check_choice("device", device, ("auto", "cpu", "cuda", "mps"))
    rank, world, dev = dist_utils.init_from_env(device)
    if world == 1:
        dev = pick_device(device)  # says what it picked, and refuses a device that is not there
    seed_everything(seed)  # identical initial weights on every rank
    out = Path(out) if out is not None else Path("runs") / name
    data = load_dataset(recipe.dataset, "train", data_dir=data_dir, verbose=dist_utils.is_main())
    loader = data.loader(batch_size, device=dev, seed=seed, drop_last=True, rank=rank, world_size=world)
    every = max(1, min(500, steps))
    if isinstance(recipe, DiffusionRecipe):
        run: GANRun | DiffusionRun = fit_diffusion(recipe.config.build(), loader, steps, seed=seed,
                                                   checkpoint_dir=out, checkpoint_every=every, resume=resume,
                                                   progress=progress, **recipe.config.fit_kwargs())
        samples = lambda: sample_diffusion(run.denoiser, 64, ch10_mnist.SHAPE, run.schedule, steps=50,
                                           guidance=recipe.guidance, seed=seed)  # DDIM-50, digits 0–9 by row
    else:
        G, D = recipe.build()
        run = fit_gan(G, D, loader, steps, seed=seed, checkpoint_dir=out, checkpoint_every=every,
                      resume=resume, progress=progress, **recipe.train)
        samples = lambda: run.sample(64, seed=seed)
    if dist_utils.is_main():
        grid = out / "samples.png"
        save_image(samples(), grid, nrow=8, normalize=True, value_range=(-1, 1))
        print(f"[train] {name}: {steps} steps on {world} x {dev.type} in {run.train_seconds:.0f} s")
        print(f"[train] checkpoint: {run.checkpoint}")
        print(f"[train] samples:    {grid}")
    return run
