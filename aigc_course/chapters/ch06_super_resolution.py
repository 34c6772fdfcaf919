"""Chapter 6 — computational photography I: super-resolution and denoising.

The chapter's material that more than one place runs: the configurations of each mode, the recipe that
cuts training pairs from the training photos, trains a super-resolution network and scores it the way papers
do. ``benchmarks/sr_time_to_quality.py`` runs this recipe; so will the notebook.

Data and degradation: HR crops of the real photographs (``data.photos``: whole photos held out by file name),
the photos first resized so their longer side is ``photo_side`` (Lanczos), LR inputs made by
``data.degrade.bicubic_downsample`` (bicubic with antialiasing, MATLAB ``imresize``'s behaviour). Scores:
PSNR and SSIM on the Y channel with ``scale`` pixels cropped from each border, against the bicubic baseline.

Denoising: crops of the same photos with white Gaussian noise of one σ per crop drawn from ``SIGMAS`` (on the
0–255 scale), one blind DnCNN for all of them (DnCNN-B's set-up), scored by RGB PSNR per σ on held-out crops
against non-local means (OpenCV's, and scikit-image's told σ) and, where the opt-in package is installed, BM3D.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from ..data.degrade import add_gaussian_noise, bicubic_downsample, bicubic_upsample
from ..data.loader import TensorLoader
from ..data.photos import PhotoSet, load_photos
from ..exercises import Exercise, ExerciseSet
from ..metrics.colour import psnr, ssim
from ..metrics.sharpness import gradient_energy
from ..models.denoise import DnCNN
from ..models.features import FeatureNet
from ..models.inference import predict
from ..models.pix2pix import PatchGAN
from ..models.sr import ESPCN, SRResNet, residual_over_bicubic
from ..runtime import Budget, check_choice, check_int
from ..train.pix2pix import Pix2PixRun, fit_pix2pix
from ..train.supervised import FitRun, fit, l1_loss, mse_loss

__all__ = ["BUDGETS", "DENOISE", "MODELS", "QUICK_BAR", "SIGMAS", "SR", "TEST_CROP", "DenoiseConfig", "GANWeights",
           "SRConfig", "bicubic_scores", "denoise", "denoise_pairs", "evaluate_sr", "exercises", "meets",
           "noisy_test_set", "pixel_shuffle", "sr_pairs", "sr_psnr", "sr_split", "train_denoiser", "train_sr",
           "train_srgan", "upscale"]

MODELS = ("srresnet", "espcn")
TEST_CROP = 96  # side of the held-out HR crops every score is computed on
SIGMAS = (15, 25, 50)  # Gaussian noise levels (0–255 scale) of the denoising section, as in the DnCNN paper

# The notebook's count parameters: (quick, full) defaults when the learner leaves them at None. The quick SR
# budget comes from benchmarks/sr_time_to_quality.py: 1,200 steps gain +0.75 dB [0.59, 0.84] over 3 seeds.
BUDGETS = {
    "SR_STEPS": Budget(1200, 100_000),  # steps of the L1 SRResNet
    "ESPCN_STEPS": Budget(2400, 100_000),  # steps of ESPCN (about 8 ms each here: cheap, and it needs many)
    "GAN_STEPS": Budget(300, 50_000),  # steps of SRGAN fine-tuning from the L1 model
    "DENOISE_STEPS": Budget(400, 50_000),  # steps of the blind DnCNN
    "PATCHES": Budget(3000, 12_000),  # training crops cut from the training photos (SR and denoising each)
    "TEST_CROPS": Budget(200, 1000),  # held-out 96×96 crops every SR score is averaged over
}

# What a quick run must show (the contract): SRResNet ≥ 0.5 dB over bicubic; SRGAN sharper than the L1
# model at a lower PSNR; the DnCNN ≥ 0.5 dB over OpenCV's non-local means at σ = 25.
QUICK_BAR = {"sr_gain_db": 0.5, "denoise_gain_db": 0.5}


def meets(results: dict, bar: dict) -> bool:
    """Whether a run's recorded ``results`` show the chapter's points (see :data:`QUICK_BAR`)."""
    return (results["sr_x4_psnr_l1"] - results["sr_x4_psnr_bicubic"] >= bar["sr_gain_db"]
            and results["sr_x4_sharpness_gan"] > results["sr_x4_sharpness_l1"]
            and results["sr_x4_psnr_gan"] < results["sr_x4_psnr_l1"]
            and results["denoise25_psnr_net"] - results["denoise25_psnr_nlm"] >= bar["denoise_gain_db"])


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


def sr_split(data_dir: str | os.PathLike, config: SRConfig, n_train: int, n_test: int, seed: int = 0,
             verbose: bool = True) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The chapter's (train, test) pairs: ``n_train`` flipped ``config.hr_size`` crops of the training photos
    (seed ``seed``) and ``n_test`` unflipped ``TEST_CROP`` crops of the held-out photos (seed ``seed + 1``), both
    from the photos resized to ``config.photo_side``; see :func:`sr_pairs`."""
    photos = {split: load_photos(split, data_dir, max_side=config.photo_side, verbose=verbose)
              for split in ("train", "test")}
    return (sr_pairs(photos["train"], n_train, config.hr_size, config.scale, seed=seed),
            sr_pairs(photos["test"], n_test, TEST_CROP, config.scale, seed=seed + 1, flips=False))


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
    """SRGAN's fine-tuning loss, G side: ``l1`` · L1 + ``feature`` · feature loss + ``adv`` · non-saturating GAN.

    Scale matters more than the names: after the L1 phase the feature loss is about 4 and the L1 term about
    0.035, so with ``feature = 1`` the feature term swamps the rest and the fine-tuned model stays at the L1 one
    (seed 0, 300 steps: sharpness 0.232 → 0.244). The defaults weigh features 5× the adversarial term, near the
    6 : 1 of SRGAN's paper (rescaled VGG loss 0.006 : 1e-3); measured on seed 0 at 300 steps, the sharpness rose
    to 0.386 at −0.36 dB (``benchmarks/srgan_ablation.py`` has three seeds: +0.17 at −0.41 dB on average).
    """

    l1: float = 1.0  # pixel term: keeps the colours and low frequencies of the L1 model
    feature: float = 0.1  # perceptual term on EfficientNet-Lite0 features (SRGAN: VGG-19)
    adv: float = 2e-2  # adversarial term (SRGAN 1e-3 beside its rescaled VGG term, ESRGAN 5e-3)
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


def upscale(G: nn.Module, lr: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """G's HR output for LR images (N, 3, h, w): :func:`~aigc_course.models.inference.predict`, float in [0, 1]."""
    return predict(G, lr, batch_size)


def sr_psnr(pred: torch.Tensor, target: torch.Tensor, scale: int) -> torch.Tensor:
    """The super-resolution papers' PSNR of each image (N,): on the BT.601 Y channel (MATLAB's ``rgb2ycbcr``,
    Y in [16, 235]/255), with ``scale`` pixels cropped from every border."""
    return psnr(pred, target, y_channel=True, border=scale)


def evaluate_sr(pred: torch.Tensor, hr: torch.Tensor, scale: int) -> dict[str, float]:
    """Mean PSNR (dB) and SSIM on the Y channel with ``scale`` border pixels cropped (the papers' protocol), and
    the mean gradient energy of ``pred`` divided by the ground truth's (1: as sharp as the truth; < 1: blurrier)."""
    scale = check_int("scale", scale)
    return {"psnr": float(sr_psnr(pred, hr, scale).mean()),
            "ssim": float(ssim(pred, hr, y_channel=True, border=scale).mean()),
            "sharpness": float(gradient_energy(pred).mean() / gradient_energy(hr).mean())}


def bicubic_scores(lr: torch.Tensor, hr: torch.Tensor, scale: int) -> dict[str, float]:
    """:func:`evaluate_sr` of the bicubic baseline (``data.degrade.bicubic_upsample``)."""
    return evaluate_sr(bicubic_upsample(lr, scale), hr, scale)


@dataclass(frozen=True)
class DenoiseConfig:
    """One mode's denoising set-up: a blind DnCNN trained on crops with one σ from ``SIGMAS`` each."""

    patch: int  # side of the training crops (DnCNN: 50)
    features: int  # DnCNN width (DnCNN: 64)
    depth: int  # convolutions (DnCNN-B: 20)
    batch_size: int
    lr: float  # Adam's learning rate, decayed to 0 by a cosine over the run


DENOISE = {"quick": DenoiseConfig(patch=40, features=32, depth=8, batch_size=16, lr=1e-3),
           "full": DenoiseConfig(patch=64, features=64, depth=17, batch_size=32, lr=1e-3)}


def denoise_pairs(photos: PhotoSet, n: int, size: int, sigmas: tuple[float, ...] = SIGMAS, seed: int = 0,
                  flips: bool = True) -> dict[str, torch.Tensor]:
    """``n`` random ``size``×``size`` crops of ``photos``, each with white Gaussian noise of one σ drawn from
    ``sigmas`` (not clipped, as in the papers): ``{"noisy", "clean"}`` (n, 3, size, size) and ``"sigma"`` (n,)."""
    n, size = check_int("n", n), check_int("size", size)
    if not sigmas or any(s <= 0 for s in sigmas):
        raise ValueError(f"sigmas={sigmas!r} is not allowed; give one or more noise levels > 0 (0–255 scale)")
    clean = photos.patches(n, size, seed=seed, flips=flips).float() / 255
    g = torch.Generator().manual_seed(seed + 1)
    sigma = torch.tensor(sigmas, dtype=torch.float32)[torch.randint(len(sigmas), (n,), generator=g)]
    noise = torch.randn(clean.shape, generator=g) * sigma.view(-1, 1, 1, 1) / 255.0
    return {"noisy": clean + noise, "clean": clean, "sigma": sigma}


def noisy_test_set(photos: PhotoSet, n: int, sigma: float, seed: int = 2) -> dict[str, torch.Tensor]:
    """``n`` held-out ``TEST_CROP``² crops (no flips) and the same crops with noise σ (``add_gaussian_noise``)."""
    clean = photos.patches(n, TEST_CROP, seed=seed, flips=False).float() / 255
    return {"clean": clean, "noisy": add_gaussian_noise(clean, sigma, seed=seed + int(sigma))}


def train_denoiser(pairs: dict[str, torch.Tensor], config: DenoiseConfig, steps: int, seed: int = 0,
                   device: torch.device | str = "cpu", **fit_options) -> FitRun:
    """A fresh blind :class:`~aigc_course.models.denoise.DnCNN` (seeded) trained with the squared error (DnCNN's
    loss, the one PSNR rewards) on ``pairs`` (:func:`denoise_pairs`) for ``steps`` steps, cosine-decayed Adam."""
    torch.manual_seed(seed)
    net = DnCNN(features=config.features, depth=config.depth)
    loader = TensorLoader(fields={"noisy": pairs["noisy"], "clean": pairs["clean"]}, batch_size=config.batch_size,
                          seed=seed, drop_last=True, device=device)
    return fit(net, loader, mse_loss, steps, lr=config.lr, schedule="cosine", **fit_options)


@torch.no_grad()
def denoise(net: nn.Module, noisy: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """The network's denoised images, in eval mode, in batches; float in [0, 1] on the CPU."""
    return upscale(net, noisy, batch_size)


# ---- exercises -------------------------------------------------------------------------------------------------

def pixel_shuffle(x: torch.Tensor, r: int) -> torch.Tensor:
    """``nn.PixelShuffle(r)`` by hand: (N, C·r², h, w) → (N, C, h·r, w·r); channel c·r² + i·r + j of the input
    becomes pixel (i, j) of each r×r block of output channel c."""
    n, c, h, w = x.shape
    x = x.reshape(n, c // (r * r), r, r, h, w)  # (N, C, i, j, h, w)
    x = x.permute(0, 1, 4, 2, 5, 3)  # (N, C, h, i, w, j)
    return x.reshape(n, c // (r * r), h * r, w * r)


def _sr_pair(g: torch.Generator) -> tuple:
    n, scale = int(torch.randint(1, 4, (1,), generator=g)), int(torch.randint(2, 5, (1,), generator=g))
    side = scale * int(torch.randint(4, 9, (1,), generator=g))
    target = 0.1 + 0.8 * torch.rand(n, 3, side, side, generator=g)
    pred = (target + 0.05 * torch.randn(target.shape, generator=g)).clamp(0, 1)
    pred[..., :scale, :] = torch.rand(n, 3, scale, side, generator=g)  # border pixels damaged: cropping matters
    return pred, target, scale


def _shuffle_inputs(g: torch.Generator) -> tuple:
    r = int(torch.randint(2, 4, (1,), generator=g))
    c = int(torch.randint(1, 4, (1,), generator=g))
    return torch.randn(2, c * r * r, 3, 5, generator=g), r


def _residual_inputs(g: torch.Generator) -> tuple:
    scale = int(torch.randint(2, 5, (1,), generator=g))
    lr = torch.rand(2, 3, 6, 7, generator=g)
    return 0.1 * torch.randn(2, 3, 6 * scale, 7 * scale, generator=g), lr, scale


exercises = ExerciseSet({
    "sr_psnr": Exercise(sr_psnr, _sr_pair,
                        "PSNR on Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255 (RGB in [0, 1]; BT.601 as MATLAB), "
                        "after cropping `scale` pixels from each of the four borders, one value per image. RGB PSNR, "
                        "a full-range Y (0.299 R + 0.587 G + 0.114 B) and a missing crop each give other numbers."),
    "pixel_shuffle": Exercise(pixel_shuffle, _shuffle_inputs,
                              "reshape to (N, C, r, r, h, w), permute to (N, C, h, r, w, r), reshape to "
                              "(N, C, h·r, w·r); a plain reshape without the permute scrambles the pixels."),
    "residual_over_bicubic": Exercise(residual_over_bicubic, _residual_inputs,
                                      "residual + F.interpolate(lr, scale_factor=scale, mode='bicubic', "
                                      "align_corners=False): bicubic, not bilinear or nearest, and PyTorch's "
                                      "default corner convention."),
})
