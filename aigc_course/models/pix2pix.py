"""Image-to-image networks: the pix2pix U-Net generator and PatchGAN discriminator (Isola et al. 2017).

The U-Net is an encoder–decoder whose decoder level ``i`` also reads the encoder's level-``i`` features
(a *skip connection*): the output can copy edges and fine detail from the input instead of squeezing
them through the bottleneck. ``skips=False`` builds the same network without them (the chapter's
ablation). Encoder blocks are 4×4 stride-2 convolutions (C64-C128-…, LeakyReLU 0.2, batch norm except on
the first), decoder blocks upsample ×2 and halve the channels (ReLU, batch norm, dropout on the
``dropout_layers`` innermost ones: pix2pix's only noise source). ``upsample="resize"`` replaces each 4×4
stride-2 transposed convolution by nearest-neighbour ×2 resizing and a 3×3 convolution, which removes the
checkerboard pattern transposed convolutions tend to print (Odena, Dumoulin & Olah 2016).

The PatchGAN discriminator classifies overlapping patches, not the whole image: a stack of 4×4 convolutions
whose output is a map of logits, one per patch of side :func:`receptive_field`. With ``n_layers=3`` it is
the paper's "70×70 PatchGAN"; on small images use fewer layers (34×34 at ``n_layers=2``). It judges the
pair (condition, image) concatenated on the channel axis, so it can tell a wrong *match* as well as a
wrong-looking image.

Both networks are reused by later chapters (inpainting, restoration).
"""
from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from ..runtime import check_choice, check_int

UPSAMPLES = ("transpose", "resize")


def init_weights(module: nn.Module) -> None:
    """pix2pix's initialisation: conv weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _up(c_in: int, c_out: int, upsample: str, bias: bool = False) -> nn.Module:
    """×2 upsampling that maps c_in to c_out channels: a 4×4 stride-2 transposed conv, or resize + 3×3 conv."""
    if upsample == "transpose":
        return nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=bias)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, padding=1, bias=bias))


class UNet(nn.Module):
    """(N, in_channels, H, W) → (N, out_channels, H, W) in [-1, 1]; H and W must be multiples of 2**depth.

    Channels at encoder level i (i = 1 … depth): ``base · 2^(i−1)``, capped at ``8 · base`` (pix2pix's 512 for
    base 64). With ``skips``, decoder level i concatenates encoder level i's features before upsampling.
    """

    def __init__(self, in_channels: int = 1, out_channels: int = 2, base: int = 32, depth: int = 4,
                 skips: bool = True, upsample: Literal["transpose", "resize"] = "transpose",
                 dropout: float = 0.5, dropout_layers: int = 2) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("base", base),
                            ("depth", depth)):
            check_int(name, value)
        check_int("dropout_layers", dropout_layers, minimum=0)
        check_choice("upsample", upsample, UPSAMPLES)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout={dropout!r} is not allowed; it must be in [0, 1)")
        self.depth, self.skips, self.upsample = depth, skips, upsample
        widths = [min(base * 2**i, 8 * base) for i in range(depth)]
        self.down = nn.ModuleList()
        c = in_channels
        for i, w in enumerate(widths):
            # level i+1: (c) x H/2^i x W/2^i => (w) x H/2^(i+1) x W/2^(i+1)
            layers: list[nn.Module] = [nn.Conv2d(c, w, 4, stride=2, padding=1, bias=i == 0)]
            if 0 < i < depth - 1:  # no norm on the first layer, none on the 1x1-ish bottleneck (as in pix2pix)
                layers.append(nn.BatchNorm2d(w))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            self.down.append(nn.Sequential(*layers))
            c = w
        self.up = nn.ModuleList()
        for i in reversed(range(depth)):
            # decoder level i+1: (features [+ skip]) x H/2^(i+1) => (widths[i-1] or out) x H/2^i
            c_in = widths[i] * (2 if skips and i < depth - 1 else 1)
            if i == 0:  # the output layer: no norm, a bias (it sets the mean colour), tanh
                self.up.append(nn.Sequential(nn.ReLU(), _up(c_in, out_channels, upsample, bias=True), nn.Tanh()))
                continue
            layers = [nn.ReLU(), _up(c_in, widths[i - 1], upsample), nn.BatchNorm2d(widths[i - 1])]
            if depth - 1 - i < dropout_layers and dropout > 0:
                layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        side = 2**self.depth
        if x.shape[-1] % side or x.shape[-2] % side:
            raise ValueError(f"UNet(depth={self.depth}) needs H and W divisible by {side}; got {tuple(x.shape[-2:])}")
        feats = []
        for block in self.down:
            x = block(x)
            feats.append(x)
        # x: the bottleneck, (8·base or less) x H/2^depth x W/2^depth
        for j, block in enumerate(self.up):
            if j > 0 and self.skips:
                x = torch.cat([x, feats[self.depth - 1 - j]], dim=1)  # skip from the encoder level of this size
            x = block(x)
        return x


class PatchGAN(nn.Module):
    """(N, in_channels, H, W) → patch logits (N, 1, H', W'): ``n_layers`` stride-2 4×4 convs, one stride-1
    conv, and a 1-channel stride-1 output conv (C64-C128-C256-C512-1 for ``n_layers=3``, ``base=64``)."""

    def __init__(self, in_channels: int = 3, base: int = 32, n_layers: int = 3) -> None:
        super().__init__()
        check_int("in_channels", in_channels)
        check_int("base", base)
        check_int("n_layers", n_layers)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, base, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        c = base
        for i in range(1, n_layers + 1):
            w = base * min(2**i, 8)
            stride = 2 if i < n_layers else 1  # the last of these keeps the size, as in pix2pix
            layers += [nn.Conv2d(c, w, 4, stride=stride, padding=1, bias=False), nn.BatchNorm2d(w),
                       nn.LeakyReLU(0.2, True)]
            c = w
        layers.append(nn.Conv2d(c, 1, 4, stride=1, padding=1))  # one logit per patch
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def receptive_field_of_layers(layers: list[tuple[int, int]]) -> int:
    """Side, in input pixels, of what one output unit of a stack of ``(kernel, stride)`` layers sees.

    Walking back from one output unit: a layer of kernel k and stride s turns a field of r units into
    (r − 1)·s + k units of its input (Araujo, Norris & Sim 2019).
    """
    r = 1
    for k, s in reversed(layers):
        r = (r - 1) * s + k
    return r


def receptive_field(module: nn.Module) -> int:
    """:func:`receptive_field_of_layers` of the convolutions of ``module`` in order (a plain stack of convs);
    70 for :class:`PatchGAN` with 3 layers, pix2pix's "70×70 PatchGAN"."""
    return receptive_field_of_layers([(m.kernel_size[0], m.stride[0]) for m in module.modules()
                                      if isinstance(m, nn.Conv2d)])
