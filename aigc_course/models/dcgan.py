"""DCGAN (Radford, Metz & Chintala 2015), sized for 28×28 (MNIST) and 32×32 / 64×64 (CIFAR-10) images.

The paper's rules, each visible below: strided (transposed) convolutions instead of pooling, batch
norm in both networks (not on the discriminator's input layer or the generator's output layer), ReLU
in the generator with a tanh output, LeakyReLU(0.2) in the discriminator, weights drawn from
N(0, 0.02). The discriminator returns *logits*: the sigmoid lives in the loss
(``binary_cross_entropy_with_logits``), which is numerically safe, unlike ``BCELoss`` after a sigmoid.

``n_classes > 0`` makes both networks class-conditional (the "conditional" ablation rows): the
generator reads a one-hot label beside z (Mirza & Osindero 2014), and the discriminator adds a
projection term ⟨embed(y), features⟩ to its logit (Miyato & Koyama 2018), which costs almost nothing.

``pad_to`` lets both networks work at a larger side than the images: MNIST's 28 = 7·2² gives two
upsampling stages from a 7×7 start, while ``pad_to=32`` = 4·2³ gives the four-stage resolution
schedule 4→8→16→32 of the CIFAR-10 model. The discriminator pads its 28×28 input with black (−1) to
32×32; the generator draws 32×32 and returns the centre 28×28, so data, judges and later chapters
still see 28×28 images.
"""
from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

from ..runtime import check_choice

IMAGE_SIZES = (28, 32, 64)
CONDITIONS = ("projection", "concat")  # how a class-conditional discriminator reads the label


def _start_size(image_size: int) -> int:
    """Side of the first feature map: 28 = 7·2², 32 = 4·2³, 64 = 4·2⁴."""
    check_choice("image_size", image_size, IMAGE_SIZES)
    return 7 if image_size == 28 else 4


def _margin(image_size: int, pad_to: int | None) -> tuple[int, int]:
    """(side the network works at, pixels padded or cropped on each border) for images of side ``image_size``."""
    check_choice("image_size", image_size, IMAGE_SIZES)
    if pad_to is None or pad_to == image_size:
        return image_size, 0
    check_choice("pad_to", pad_to, tuple(s for s in IMAGE_SIZES if s > image_size and (s - image_size) % 2 == 0))
    return pad_to, (pad_to - image_size) // 2


def _check_labels(module: nn.Module, y: torch.Tensor | None, n: int) -> None:
    """A conditional network needs labels (N,) in [0, n_classes); an unconditional one takes none."""
    k = module.n_classes
    if k == 0 and y is not None:
        raise ValueError(f"{type(module).__name__} has n_classes=0 (unconditional) but was given labels y")
    if k > 0 and (y is None or y.shape != (n,) or y.dtype != torch.long):
        got = None if y is None else f"{tuple(y.shape)} {y.dtype}"
        raise ValueError(f"{type(module).__name__} has n_classes={k} and needs labels y of shape ({n},), "
                         f"dtype torch.long, values in [0, {k}); got {got}")


class Generator(nn.Module):
    """z (N, nz) → image (N, nc, image_size, image_size) in [-1, 1]; with ``n_classes``, also labels y (N,)."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 1, image_size: int = 28, n_classes: int = 0,
                 pad_to: int | None = None) -> None:
        super().__init__()
        self.nz, self.nc, self.image_size, self.n_classes = nz, nc, image_size, n_classes
        side, self.crop = _margin(image_size, pad_to)  # draws side×side, returns the centre image_size×image_size
        start = _start_size(side)
        n_up = int(math.log2(side // start))  # each transposed conv doubles the side
        width = ngf * 2 ** (n_up - 1)
        # Project z to a start×start map: a transposed conv with kernel = start on a 1×1 input.
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz + n_classes, width, start, 1, 0, bias=False),
                                   nn.BatchNorm2d(width), nn.ReLU(True)]
        for _ in range(n_up - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False), nn.Tanh()]  # no BN on the output
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        _check_labels(self, y, z.shape[0])
        if self.n_classes:
            z = torch.cat([z.view(z.shape[0], self.nz), F.one_hot(y, self.n_classes).to(z.dtype)], 1)
        x = self.net(z.reshape(z.shape[0], -1, 1, 1))  # (N, nc, side, side)
        m = self.crop
        return x[..., m:x.shape[-2] - m, m:x.shape[-1] - m] if m else x  # (N, nc, image_size, image_size)


class Discriminator(nn.Module):
    """image (N, nc, image_size, image_size) → one logit per image, shape (N,).

    ``spectral_norm=True`` wraps every convolution in spectral normalisation (Miyato et al. 2018)
    and, as usual with it, drops batch norm: stabilising D is a model choice, not a training-loop hack.
    ``batch_norm=False`` alone gives the "no batch norm" ablation. With ``n_classes``, ``forward``
    takes labels y (N,) and adds the projection ⟨embed(y), Σ features⟩ to the logit; with
    ``condition="concat"`` it instead reads the label as ``n_classes`` extra input channels, one-hot maps
    of the image's size (Mirza & Osindero 2014), so the label enters only at the first layer. With
    ``pad_to``, the input is padded with black (−1) to ``pad_to``×``pad_to`` first.
    """

    def __init__(self, ndf: int = 64, nc: int = 1, image_size: int = 28, spectral_norm: bool = False,
                 batch_norm: bool = True, n_classes: int = 0, pad_to: int | None = None,
                 condition: Literal["projection", "concat"] = "projection") -> None:
        super().__init__()
        self.n_classes, self.condition = n_classes, check_choice("condition", condition, CONDITIONS)
        concat = n_classes if condition == "concat" else 0
        side, self.pad = _margin(image_size, pad_to)
        start = _start_size(side)
        n_down = int(math.log2(side // start))
        wrap = _sn if spectral_norm else (lambda m: m)
        use_bn = batch_norm and not spectral_norm
        # no BN on the input layer; a "concat" D reads the one-hot label maps beside the image
        layers: list[nn.Module] = [wrap(nn.Conv2d(nc + concat, ndf, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        width = ndf
        for _ in range(n_down - 1):
            layers += [wrap(nn.Conv2d(width, width * 2, 4, 2, 1, bias=not use_bn))]
            layers += [nn.BatchNorm2d(width * 2)] if use_bn else []
            layers += [nn.LeakyReLU(0.2, True)]
            width *= 2
        layers += [wrap(nn.Conv2d(width, 1, start, 1, 0))]  # start×start map → one logit
        self.net = nn.Sequential(*layers)
        self.embed = wrap(nn.Embedding(n_classes, width)) if n_classes and not concat else None
        self.apply(init_weights)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        _check_labels(self, y, x.shape[0])
        if self.pad:  # (N, nc, image_size, image_size) => (N, nc, side, side), black borders
            x = F.pad(x, (self.pad,) * 4, value=-1.0)
        if not self.n_classes:
            return self.net(x).flatten()
        if self.condition == "concat":  # (N, nc, side, side) => (N, nc + n_classes, side, side)
            maps = F.one_hot(y, self.n_classes).to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[2:])
            return self.net(torch.cat([x, maps], 1)).flatten()
        features = self.net[:-1](x)  # (N, width, start, start), before the last conv
        projection = (self.embed(y) * features.sum((2, 3))).sum(1)  # does this image look like class y?
        return self.net[-1](features).flatten() + projection


def init_weights(m: nn.Module) -> None:
    """DCGAN initialisation: conv and label-embedding weights ~ N(0, 0.02); batch-norm scale ~ N(1, 0.02), shift 0."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)):
        weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
        nn.init.normal_(weight, 0.0, 0.02)
        if getattr(m, "bias", None) is not None:  # an embedding has none
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)
