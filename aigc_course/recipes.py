"""Named training recipes: the configurations the chapters teach, runnable from the command line.

``python -m aigc_course train dcgan-mnist --steps 2000`` trains exactly what chapter 2 builds,
through the same :func:`~aigc_course.train.fit_gan`, and works under ``torchrun`` too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from torch import nn
from torchvision.utils import save_image

from .data import load_dataset
from .models import Discriminator, Generator
from .runtime import check_choice, check_int, seed_everything
from .runtime import device as pick_device
from .train import GANRun, fit_gan
from .train import distributed as dist_utils


@dataclass(frozen=True)
class Recipe:
    """A dataset, a pair of networks and the settings ``fit_gan`` trains them with."""

    description: str
    dataset: str
    build: Callable[[], tuple[nn.Module, nn.Module]]
    steps: int  # default budget in generator steps
    batch_size: int
    train: dict[str, Any] = field(default_factory=dict)


RECIPES: dict[str, Recipe] = {
    "dcgan-mnist": Recipe(
        description="DCGAN on MNIST, the textbook recipe of chapter 2 (ngf = ndf = 32, batch 64, "
                    "Adam 2e-4 / beta1 0.5, non-saturating loss)",
        dataset="mnist",
        build=lambda: (Generator(nz=100, ngf=32, nc=1, image_size=28), Discriminator(ndf=32, nc=1, image_size=28)),
        steps=2000, batch_size=64,
        train={"objective": "nonsaturating", "lr_g": 2e-4, "lr_d": 2e-4, "betas": (0.5, 0.999)},
    ),
}


def run_recipe(name: str, steps: int | None = None, device: str = "auto", out: str | Path | None = None,
               resume: bool = False, seed: int = 0, batch_size: int | None = None,
               data_dir: str | Path | None = None, progress: bool = True) -> GANRun:
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
    G, D = recipe.build()
    run = fit_gan(G, D, loader, steps, seed=seed, checkpoint_dir=out, checkpoint_every=max(1, min(500, steps)),
                  resume=resume, progress=progress, **recipe.train)
    if dist_utils.is_main():
        grid = out / "samples.png"
        save_image(run.sample(64, seed=seed), grid, nrow=8, normalize=True, value_range=(-1, 1))
        print(f"[train] {name}: {steps} steps on {world} x {dev.type} in {run.train_seconds:.0f} s")
        print(f"[train] checkpoint: {run.checkpoint}")
        print(f"[train] samples:    {grid}")
    return run
