"""Chapter 6 — computational photography I: super-resolution (and, with #24, denoising).

The chapter's material that more than one place runs: the configurations of each mode, the recipe that
cuts training pairs from the training photos, trains a super-resolution network and scores it the way papers
do. ``benchmarks/sr_time_to_quality.py`` runs this recipe; so will the notebook.

Data and degradation: HR crops of the real photographs (``data.photos``: whole photos held out by file name),
the photos first resized so their longer side is ``photo_side`` (Lanczos), LR inputs made by
``data.degrade.bicubic_downsample`` (bicubic with antialiasing, MATLAB ``imresize``'s behaviour). Scores:
PSNR and SSIM on the Y channel with ``scale`` pixels cropped from each border, against the bicubic baseline.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from ..data.degrade import bicubic_downsample, bicubic_upsample
from ..data.loader import TensorLoader
from ..data.photos import PhotoSet
from ..metrics.colour import psnr, ssim
from ..metrics.sharpness import gradient_energy
from ..models.features import FeatureNet
from ..models.pix2pix import PatchGAN
from ..models.sr import ESPCN, SRResNet
from ..runtime import check_choice, check_int
from ..train.pix2pix import Pix2PixRun, fit_pix2pix
from ..train.supervised import FitRun, fit, l1_loss

__all__ = ["MODELS", "SR", "TEST_CROP", "GANWeights", "SRConfig", "bicubic_scores", "evaluate_sr", "sr_pairs",
           "train_sr", "train_srgan", "upscale"]

MODELS = ("srresnet", "espcn")
TEST_CROP = 96  # side of the held-out HR crops every score is computed on


@dataclass(frozen=True)
class SRConfig:
    """One mode's super-resolution set-up: data, network and optimiser."""

    scale: int  # upscaling factor s: LR crops are hr_size / s on a side
    hr_size: int  # side of the HR training crops (a multiple of scale)
    photo_side: int | None  # longer side the photos are resized to before cropping (None: as shot)
    features: int  # SRResNet width (SRResNet/EDSR: 64)
    blocks: int  # SRResNet residual blocks (SRResNet: 16)
    batch_size: int
    lr: float  # Adam's learning rate, decayed to 0 by a cosine over the run

    def build(self, model: Literal["srresnet", "espcn"] = "srresnet") -> nn.Module:
        """A fresh network of kind ``model`` for this scale (seed torch first)."""
        check_choice("model", model, MODELS)
        if model == "espcn":
            return ESPCN(self.scale)
        return SRResNet(self.scale, features=self.features, blocks=self.blocks)


# quick: about 80 s per 1,000 steps on the 2-core CPU (two threads); full: SRResNet's width on as-shot photos.
SR = {"quick": SRConfig(scale=4, hr_size=64, photo_side=256, features=32, blocks=4, batch_size=16, lr=1e-3),
      "full": SRConfig(scale=4, hr_size=128, photo_side=None, features=64, blocks=16, batch_size=16, lr=5e-4)}


def sr_pairs(photos: PhotoSet, n: int, size: int, scale: int, seed: int = 0, flips: bool = True
             ) -> dict[str, torch.Tensor]:
    """``n`` random ``size``×``size`` HR crops of ``photos`` and their ×``scale`` bicubic LR versions:
    ``{"lr": (n, 3, size/scale, size/scale), "hr": (n, 3, size, size)}``, float in [0, 1]."""
    n, size, scale = check_int("n", n), check_int("size", size), check_int("scale", scale)
    hr = photos.patches(n, size, seed=seed, flips=flips).float() / 255
    return {"lr": bicubic_downsample(hr, scale), "hr": hr}


def train_sr(pairs: dict[str, torch.Tensor], config: SRConfig, steps: int,
             model: Literal["srresnet", "espcn"] = "srresnet", seed: int = 0, device: torch.device | str = "cpu",
             **fit_options) -> FitRun:
    """The chapter's recipe: a fresh ``config`` network (seeded) trained with L1 on ``pairs`` (:func:`sr_pairs`)
    for ``steps`` steps, Adam(W, no decay) at ``config.lr`` with a cosine decay to 0; returns ``fit``'s run
    (the network is ``run.model``)."""
    torch.manual_seed(seed)
    G = config.build(model)
    loader = TensorLoader(fields={"lr": pairs["lr"], "hr": pairs["hr"]}, batch_size=config.batch_size, seed=seed,
                          drop_last=True, device=device)
    return fit(G, loader, l1_loss, steps, lr=config.lr, schedule="cosine", **fit_options)


@dataclass(frozen=True)
class GANWeights:
    """SRGAN's fine-tuning loss, G side: ``l1`` · L1 + ``feature`` · feature loss + ``adv`` · non-saturating GAN."""

    l1: float = 1.0  # pixel term: keeps the colours and low frequencies of the L1 model
    feature: float = 1.0  # perceptual term on EfficientNet-Lite0 features (SRGAN: VGG, weight 1)
    adv: float = 5e-3  # adversarial term (SRGAN 1e-3, ESRGAN 5e-3)
    lr: float = 1e-4  # Adam, β = (0.9, 0.999), constant (SRGAN: 1e-4 for the GAN phase)


def train_srgan(pairs: dict[str, torch.Tensor], config: SRConfig, steps: int, G_init: nn.Module,
                weights: GANWeights = GANWeights(), features: Literal["pretrained", "random", "none"] = "pretrained",
                seed: int = 0, device: torch.device | str = "cpu", **fit_options) -> Pix2PixRun:
    """SRGAN's second phase: a copy of the L1-trained ``G_init`` fine-tuned against a PatchGAN that judges HR
    images alone, with ``weights``. ``features``: the feature network is ImageNet EfficientNet-Lite0
    (``"pretrained"``), the same network with random weights (``"random"``, the ablation), or none."""
    check_choice("features", features, ("pretrained", "random", "none"))
    torch.manual_seed(seed)
    G = copy.deepcopy(G_init)
    D = PatchGAN(3, base=config.features, n_layers=2)  # 34×34 patches of the HR image
    net = None if features == "none" else FeatureNet(pretrained=features == "pretrained")
    loader = TensorLoader(fields={"lr": pairs["lr"], "hr": pairs["hr"]}, batch_size=config.batch_size, seed=seed,
                          drop_last=True, device=device)
    return fit_pix2pix(G, D, loader, steps, l1_weight=weights.l1, adv_weight=weights.adv, lr=weights.lr,
                       feature_net=net, feature_weight=0.0 if net is None else weights.feature, d_sees_input=False,
                       betas=(0.9, 0.999), **fit_options)


@torch.no_grad()
def upscale(G: nn.Module, lr: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """G's HR output for LR images (N, 3, h, w), in eval mode, in batches; float in [0, 1] on the CPU."""
    was = G.training
    G.eval()
    device = next(G.parameters()).device
    out = torch.cat([G(lr[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(lr), batch_size)])
    G.train(was)
    return out.clamp(0, 1)


def evaluate_sr(pred: torch.Tensor, hr: torch.Tensor, scale: int) -> dict[str, float]:
    """Mean PSNR (dB) and SSIM on the Y channel with ``scale`` border pixels cropped (the papers' protocol), and
    the mean gradient energy of ``pred`` divided by the ground truth's (1: as sharp as the truth; < 1: blurrier)."""
    scale = check_int("scale", scale)
    return {"psnr": float(psnr(pred, hr, y_channel=True, border=scale).mean()),
            "ssim": float(ssim(pred, hr, y_channel=True, border=scale).mean()),
            "sharpness": float(gradient_energy(pred).mean() / gradient_energy(hr).mean())}


def bicubic_scores(lr: torch.Tensor, hr: torch.Tensor, scale: int) -> dict[str, float]:
    """:func:`evaluate_sr` of the bicubic baseline (``data.degrade.bicubic_upsample``)."""
    return evaluate_sr(bicubic_upsample(lr, scale), hr, scale)
