"""DCGAN (Radford, Metz & Chintala 2015), sized for 28×28 (MNIST) and 32×32 / 64×64 (CIFAR-10) images.

The paper's rules, each visible below: strided (transposed) convolutions instead of pooling, batch
norm in both networks (not on the discriminator's input layer or the generator's output layer), ReLU
in the generator with a tanh output, LeakyReLU(0.2) in the discriminator, weights drawn from
N(0, 0.02). The discriminator returns *logits*: the sigmoid lives in the loss
(``binary_cross_entropy_with_logits``), which is numerically safe, unlike ``BCELoss`` after a sigmoid.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

IMAGE_SIZES = (28, 32, 64)


def _start_size(image_size: int) -> int:
    """Side of the first feature map: 28 = 7·2², 32 = 4·2³, 64 = 4·2⁴."""
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"image_size={image_size!r} is not allowed; choose one of {IMAGE_SIZES}")
    return 7 if image_size == 28 else 4


class Generator(nn.Module):
    """z of shape (N, nz) → image (N, nc, image_size, image_size) in [-1, 1]."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 1, image_size: int = 28) -> None:
        super().__init__()
        self.nz, self.nc, self.image_size = nz, nc, image_size
        start = _start_size(image_size)
        n_up = int(math.log2(image_size // start))  # each transposed conv doubles the side
        width = ngf * 2 ** (n_up - 1)
        # Project z to a start×start map: a transposed conv with kernel = start on a 1×1 input.
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz, width, start, 1, 0, bias=False),
                                   nn.BatchNorm2d(width), nn.ReLU(True)]
        for _ in range(n_up - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False), nn.Tanh()]  # no BN on the output
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.nz, 1, 1))


class Discriminator(nn.Module):
    """image (N, nc, image_size, image_size) → one logit per image, shape (N,).

    ``spectral_norm=True`` wraps every convolution in spectral normalisation (Miyato et al. 2018)
    and, as usual with it, drops batch norm: stabilising D is a model choice, not a training-loop hack.
    ``batch_norm=False`` alone gives the "no batch norm" ablation.
    """

    def __init__(self, ndf: int = 64, nc: int = 1, image_size: int = 28, spectral_norm: bool = False,
                 batch_norm: bool = True) -> None:
        super().__init__()
        start = _start_size(image_size)
        n_down = int(math.log2(image_size // start))
        wrap = _sn if spectral_norm else (lambda m: m)
        use_bn = batch_norm and not spectral_norm
        layers: list[nn.Module] = [wrap(nn.Conv2d(nc, ndf, 4, 2, 1)), nn.LeakyReLU(0.2, True)]  # no BN on input
        width = ndf
        for _ in range(n_down - 1):
            layers += [wrap(nn.Conv2d(width, width * 2, 4, 2, 1, bias=not use_bn))]
            layers += [nn.BatchNorm2d(width * 2)] if use_bn else []
            layers += [nn.LeakyReLU(0.2, True)]
            width *= 2
        layers += [wrap(nn.Conv2d(width, 1, start, 1, 0))]  # start×start map → one logit
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def init_weights(m: nn.Module) -> None:
    """DCGAN initialisation: conv weights ~ N(0, 0.02); batch-norm scale ~ N(1, 0.02), shift 0."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
        nn.init.normal_(weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)
