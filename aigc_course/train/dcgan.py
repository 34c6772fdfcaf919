"""DCGAN configurations, trained one way, and the trained generators that chapters hand on.

A :class:`DCGANConfig` names everything that differs between the rows of an ablation (width, batch,
loss, learning rates, discriminator normalisation, EMA, class conditioning); :func:`train_config`
builds the networks and trains them with :func:`~aigc_course.train.fit_gan`. An :class:`Ablation`
is a chapter's table of such rows with its budget and judge (chapters 2 and 3 define theirs;
``benchmarks/dcgan_ablation.py`` runs every row and commits the table). :func:`save_generator` /
:func:`load_generator` keep a trained generator with the configuration that rebuilds it, so a later
chapter can compare against it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch

from ..data.datasets import ImageData
from ..models.dcgan import Discriminator, Generator
from ..results import results_dir
from ..runtime import check_choice, check_int
from .checkpoint import check_compatible, load_checkpoint, save_checkpoint
from .gan import GANRun, fit_gan


@dataclass(frozen=True)
class DCGANConfig:
    """One DCGAN training setup. Defaults are the textbook recipe (Radford et al. 2015 at ngf = ndf = 32)."""

    ngf: int = 32
    ndf: int = 32
    nz: int = 100
    batch_size: int = 64
    objective: str = "nonsaturating"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    spectral_norm: bool = False
    batch_norm: bool = True
    ema_decay: float | None = None
    schedule: str = "constant"
    n_classes: int = 0  # > 0: class-conditional G and D (the generator is told which digit to draw)
    pad_to: int | None = None  # networks work at this side (32: MNIST's 28×28 padded, four stages 4→8→16→32)
    d_condition: str = "projection"  # how a conditional D reads the label: "projection" or "concat" (input channels)

    def replace(self, **changes) -> DCGANConfig:
        return dataclasses.replace(self, **changes)

    def build(self, nc: int, image_size: int) -> tuple[Generator, Discriminator]:
        """Fresh generator and discriminator for images of ``nc`` channels and side ``image_size``."""
        return (Generator(nz=self.nz, ngf=self.ngf, nc=nc, image_size=image_size, n_classes=self.n_classes,
                          pad_to=self.pad_to),
                Discriminator(ndf=self.ndf, nc=nc, image_size=image_size, spectral_norm=self.spectral_norm,
                              batch_norm=self.batch_norm, n_classes=self.n_classes, pad_to=self.pad_to,
                              condition=self.d_condition))

    def fit_kwargs(self) -> dict:
        """The ``fit_gan`` keyword arguments this configuration sets."""
        return {"objective": self.objective, "lr_g": self.lr_g, "lr_d": self.lr_d, "betas": self.betas,
                "ema_decay": self.ema_decay, "schedule": self.schedule}


TEXTBOOK = DCGANConfig()  # Radford et al. (2015) at ngf = ndf = 32: every ablation's first row


@dataclass(frozen=True)
class Ablation:
    """A chapter's ablation table: named rows of configurations trained and judged alike.

    Every row trains for ``steps`` generator steps from the same seed and is scored on ``samples``
    samples by the shipped ``classifier``; ``chapter`` names the row the chapter trains as its model.
    """

    dataset: str  # the data set every row trains on (a name for ``load_dataset``)
    classifier: str  # the shipped judge that scores the samples
    steps: int  # generator steps per row: the chapter's quick budget
    samples: int  # samples scored per row
    rows: dict[str, tuple[str, DCGANConfig]]  # name -> (what changed, in words; configuration)
    chapter: str  # the row the chapter trains as its model

    def __post_init__(self) -> None:
        check_choice("chapter", self.chapter, tuple(self.rows))

    def config(self, row: str | None = None) -> DCGANConfig:
        """The configuration of ``row`` (default: the chapter's model)."""
        return self.rows[check_choice("row", row if row is not None else self.chapter, tuple(self.rows))][1]

    def description(self, row: str) -> str:
        """What ``row`` changes from the textbook recipe, in words."""
        return self.rows[check_choice("row", row, tuple(self.rows))][0]


def train_config(config: DCGANConfig, data: ImageData, steps: int, seed: int = 0, device: torch.device | str = "cpu",
                 **fit_options) -> GANRun:
    """Train ``config`` on ``data`` for ``steps`` generator steps; extra options go to ``fit_gan``."""
    steps = check_int("steps", steps)
    nc, size = data.images.shape[1], data.images.shape[2]
    torch.manual_seed(seed)
    G, D = config.build(nc, size)
    loader = data.loader(config.batch_size, device=device, seed=seed, drop_last=True)
    return fit_gan(G, D, loader, steps, seed=seed, **config.fit_kwargs(), **fit_options)


def generator_path(name: str) -> Path:
    """Where a chapter keeps its trained generator: ``models/<name>.pt`` beside its ``results/`` folder."""
    return results_dir().parent / "models" / f"{name}.pt"


def save_generator(G: Generator, config: DCGANConfig, name: str) -> Path:
    """Save a trained generator with the configuration that rebuilds it (atomically), for later chapters."""
    return save_checkpoint({"format": "aigc-generator-v1", "config": dataclasses.asdict(config), "nc": G.nc,
                            "image_size": G.image_size, "generator": G.state_dict()}, generator_path(name))


def load_generator(name: str) -> Generator:
    """The generator a chapter saved with :func:`save_generator`, in eval mode on the CPU.

    Raises ``FileNotFoundError`` when that chapter has not been run, and ``CheckpointError`` for a
    corrupt or mismatched file (nothing is loaded then).
    """
    path = generator_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no saved generator at {path}; run notebook {name} first")
    state = load_checkpoint(path, required=("config", "nc", "image_size", "generator"))
    config = DCGANConfig(**{**state["config"], "betas": tuple(state["config"]["betas"])})
    G = config.build(int(state["nc"]), int(state["image_size"]))[0]
    check_compatible(G, state["generator"], "generator", path)
    G.load_state_dict(state["generator"])
    return G.eval()
