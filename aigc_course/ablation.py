"""DCGAN configurations and the ablation rows of chapter 2, trained and scored one way.

A :class:`DCGANConfig` names everything that differs between rows (width, batch, loss, learning
rates, discriminator normalisation, EMA); :func:`train_config` builds the networks and trains them
with :func:`~aigc_course.train.fit_gan`; :func:`score_samples` judges samples with the shipped
classifier (confident rate, class coverage, classifier-feature FID next to its real-vs-real floor).
``benchmarks/dcgan_ablation.py`` runs every row at the chapter's budget and commits the table;
the notebooks re-run a row or two live from the same definitions.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

import torch

from .data.datasets import ImageData
from .metrics.classifier import classifier_record, load_classifier
from .metrics.scores import classifier_scores, fid, fid_floor
from .models.dcgan import Discriminator, Generator
from .results import results_dir
from .runtime import check_choice, check_int
from .train.checkpoint import check_compatible, load_checkpoint, save_checkpoint
from .train.gan import GANRun, fit_gan


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

    def replace(self, **changes) -> "DCGANConfig":
        return dataclasses.replace(self, **changes)

    def build(self, nc: int, image_size: int) -> tuple[Generator, Discriminator]:
        """Fresh generator and discriminator for images of ``nc`` channels and side ``image_size``."""
        return (Generator(nz=self.nz, ngf=self.ngf, nc=nc, image_size=image_size, n_classes=self.n_classes),
                Discriminator(ndf=self.ndf, nc=nc, image_size=image_size, spectral_norm=self.spectral_norm,
                              batch_norm=self.batch_norm, n_classes=self.n_classes))

    def fit_kwargs(self) -> dict:
        """The ``fit_gan`` keyword arguments this configuration sets."""
        return {"objective": self.objective, "lr_g": self.lr_g, "lr_d": self.lr_d, "betas": self.betas,
                "ema_decay": self.ema_decay, "schedule": self.schedule}


TEXTBOOK = DCGANConfig()

# One change from the textbook recipe per row; "improved" (batch 128 with the learning rate doubled)
# scored best at equal steps, "lr-1e-3" nearly as well at half the cost per step, which makes it the
# chapter's model (``ROWS["mnist"]["chapter"]``). The "failure" rows are the settings the source
# articles get wrong.
MNIST_ROWS: dict[str, tuple[str, DCGANConfig]] = {
    "textbook": ("Radford et al. recipe, ngf = ndf = 32, batch 64, Adam 2e-4 / β1 0.5", TEXTBOOK),
    "ema": ("generator EMA (decay 0.999)", TEXTBOOK.replace(ema_decay=0.999)),
    "lr-5e-4": ("Adam 5e-4 for both networks", TEXTBOOK.replace(lr_g=5e-4, lr_d=5e-4)),
    "ttur": ("TTUR: lr_g 1e-4, lr_d 4e-4", TEXTBOOK.replace(lr_g=1e-4, lr_d=4e-4)),
    "lr-decay": ("both learning rates decay linearly to 0", TEXTBOOK.replace(schedule="linear")),
    "hinge": ("hinge loss", TEXTBOOK.replace(objective="hinge")),
    "spectral-norm": ("spectral norm in D (no BN in D)", TEXTBOOK.replace(spectral_norm=True)),
    "wide": ("ngf = ndf = 64", TEXTBOOK.replace(ngf=64, ndf=64)),
    "batch-128": ("batch 128", TEXTBOOK.replace(batch_size=128)),
    "improved": ("batch 128 with Adam 4e-4 (learning rate scaled with the batch)",
                 TEXTBOOK.replace(batch_size=128, lr_g=4e-4, lr_d=4e-4)),
    "no-batchnorm": ("failure: no batch norm in D", TEXTBOOK.replace(batch_norm=False)),
    "saturating": ("failure: saturating (minimax) generator loss", TEXTBOOK.replace(objective="minimax")),
    "lr-1e-3": ("Adam 1e-3 for both networks (often called too high)", TEXTBOOK.replace(lr_g=1e-3, lr_d=1e-3)),
    "conditional": ("uses the labels: class-conditional G and projection D", TEXTBOOK.replace(n_classes=10)),
    "conditional-lr-1e-3": ("uses the labels: class-conditional, Adam 1e-3",
                            TEXTBOOK.replace(n_classes=10, lr_g=1e-3, lr_d=1e-3)),
}
MNIST_STEPS = 4000  # chapter 2's quick budget in generator steps

CIFAR_TEXTBOOK = DCGANConfig(ngf=32, ndf=32)
_SN_HINGE = CIFAR_TEXTBOOK.replace(spectral_norm=True, objective="hinge")
CIFAR_ROWS: dict[str, tuple[str, DCGANConfig]] = {
    "textbook": ("Radford et al. recipe at 32×32, ngf = ndf = 32, batch 64, Adam 2e-4 / β1 0.5", CIFAR_TEXTBOOK),
    "spectral-norm": ("spectral norm in D (no BN in D)", CIFAR_TEXTBOOK.replace(spectral_norm=True)),
    "sn-hinge": ("spectral norm + hinge loss", _SN_HINGE),
    "sn-hinge-ttur": ("spectral norm + hinge + TTUR (lr_g 1e-4, lr_d 4e-4, β = (0, 0.9))",
                      _SN_HINGE.replace(lr_g=1e-4, lr_d=4e-4, betas=(0.0, 0.9))),
    "ema": ("generator EMA (decay 0.999)", CIFAR_TEXTBOOK.replace(ema_decay=0.999)),
    "lr-5e-4": ("Adam 5e-4 for both networks", CIFAR_TEXTBOOK.replace(lr_g=5e-4, lr_d=5e-4)),
    "conditional": ("uses the labels: class-conditional G and projection D", CIFAR_TEXTBOOK.replace(n_classes=10)),
    "conditional-lr-5e-4": ("uses the labels: class-conditional, Adam 5e-4",
                            CIFAR_TEXTBOOK.replace(n_classes=10, lr_g=5e-4, lr_d=5e-4)),
}
CIFAR_STEPS = 2000  # chapter 3's quick budget in generator steps

# Per dataset: the classifier that judges the samples, the budget, samples scored per row, the rows,
# and the row the chapter trains as its model.
ROWS: dict[str, dict] = {
    "mnist": {"classifier": "mnist", "steps": MNIST_STEPS, "samples": 10_000, "rows": MNIST_ROWS, "chapter": "lr-1e-3"},
    "cifar10": {"classifier": "cifar10", "steps": CIFAR_STEPS, "samples": 2000, "rows": CIFAR_ROWS, "chapter": "lr-5e-4"},
}


def train_config(config: DCGANConfig, data: ImageData, steps: int, seed: int = 0, device: torch.device | str = "cpu",
                 **fit_options) -> GANRun:
    """Train ``config`` on ``data`` for ``steps`` generator steps; extra options go to ``fit_gan``."""
    steps = check_int("steps", steps)
    nc, size = data.images.shape[1], data.images.shape[2]
    torch.manual_seed(seed)
    G, D = config.build(nc, size)
    loader = data.loader(config.batch_size, device=device, seed=seed, drop_last=True)
    return fit_gan(G, D, loader, steps, seed=seed, **config.fit_kwargs(), **fit_options)


@functools.lru_cache(maxsize=None)
def _judge(classifier_name: str) -> torch.nn.Module:
    """The shipped classifier, loaded once per process (it is frozen and in eval mode)."""
    return load_classifier(classifier_name)


@torch.no_grad()
def score_samples(fake: torch.Tensor, real: torch.Tensor, classifier_name: str, floor: float | None = None,
                  with_floor: bool = True, labels: torch.Tensor | None = None) -> dict:
    """Judge generated images ``fake`` (in [-1, 1]) with the shipped classifier ``classifier_name``.

    Returns the confident rate (max softmax >= 0.9) beside the same rate on real test images, the
    smallest and largest predicted-class fractions, the classifier's Inception-Score analogue, and
    the classifier-feature FID against ``real`` beside the real-vs-real floor at the same N
    (``floor``: pass a precomputed one to save its cost; ``with_floor=False`` skips it and reports
    ``None``, e.g. when comparing several sample sets of one model). ``real`` needs at least
    2·len(fake) images for the floor. ``labels``: the classes a conditional generator was asked for;
    then ``label_agreement`` is the fraction the judge assigns to the asked class (else ``None``).
    With labels, class coverage is set by the sampler, so agreement is the number that tests the model.
    """
    check_choice("classifier_name", classifier_name, ("mnist", "fashion-mnist", "cifar10"))
    clf = _judge(classifier_name)
    probs = torch.cat([clf(fake[i:i + 1000]).softmax(1) for i in range(0, len(fake), 1000)])
    scores = classifier_scores(probs)
    n = len(fake)
    generator = torch.Generator().manual_seed(0)
    ref = real[torch.randperm(len(real), generator=generator)[:n]]
    fractions = scores.pop("class_fractions")
    agreement = None if labels is None else (probs.argmax(1) == labels.to(probs.device)).float().mean().item()
    if with_floor and floor is None:
        floor = fid_floor(real, clf, n)
    return {**scores, "real_confident_rate": classifier_record(classifier_name)["real_confident_rate"],
            "class_fractions": fractions, "class_min_frac": min(fractions), "class_max_frac": max(fractions),
            "fid": fid(ref, fake, clf), "fid_floor": floor if with_floor else None, "n_samples": n,
            "label_agreement": agreement}


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] → float in [-1, 1], the generators' output range."""
    return images.float().div(127.5).sub(1.0)


def generator_path(name: str) -> Path:
    """Where a chapter keeps its trained generator: ``build/models/<name>.pt`` (beside ``build/results``)."""
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
