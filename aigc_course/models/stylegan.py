"""A style-based generator (Karras et al. 2019, StyleGAN; 2020, StyleGAN2), small enough for a laptop.

What differs from a DCGAN generator, each piece visible below:

1. **Mapping network** z → w: an MLP of the *same* width (``w_dim``), with the input z normalised
   first (pixel norm). W is not "higher-dimensional" than Z; it is a learned re-parametrisation, free
   of the Gaussian's shape, that the paper found more disentangled.
2. **Learned constant input**: synthesis starts from a learned 4×4 tensor, not from z.
3. **Styles per layer**: each convolution reads its own w through an affine map ("A" in the paper).
   ``style="adain"`` normalises every feature map per image and then scales and shifts it with the
   style (StyleGAN's AdaIN); ``style="modulated"`` scales the convolution's *weights* by the style and
   divides them by the expected output norm (StyleGAN2's modulation / demodulation): the same
   normalisation, on expected statistics instead of measured ones, which removes the "droplet" artefacts.
4. **Noise inputs**: per-pixel Gaussian noise added after each convolution, scaled by a learned
   per-layer strength (initialised at 0): stochastic detail that w need not encode.
5. **Equalised learning rate**: weights are drawn from N(0, 1) and scaled by He's constant at run
   time, so Adam's per-parameter steps are alike for every layer; the mapping network also runs at
   a 100× smaller learning rate (``lr_mul``).

The discriminator is a plain strided CNN with the minibatch standard deviation layer (Karras et al.
2018) before its last convolution, so it can see when a batch of fakes lacks variety. Like the DCGAN
chapter's ``pad_to=32``, both networks work at 32×32 for MNIST-sized 28×28 images: the generator
draws 32×32 and returns the centre, the discriminator pads with black.
"""
from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import check_choice, check_float, check_int
from .dcgan import _margin

STYLES = ("modulated", "adain")  # how a style reaches a layer: StyleGAN2's weight demodulation, or StyleGAN's AdaIN
GAIN = math.sqrt(2.0)  # keeps the variance through leaky_relu(0.2) (He et al. 2015)


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Scale every row (dimension 1) to unit root-mean-square: z on the sphere of radius √dim."""
    return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + eps)


class EqualLinear(nn.Module):
    """A linear layer with the equalised learning rate: weight ~ N(0, 1/lr_mul²), scaled by lr_mul/√in."""

    def __init__(self, in_dim: int, out_dim: int, bias_init: float = 0.0, lr_mul: float = 1.0,
                 activate: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)) / lr_mul)
        self.scale, self.lr_mul, self.activate = lr_mul / math.sqrt(in_dim), lr_mul, activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        return F.leaky_relu(out, 0.2) * GAIN if self.activate else out


class EqualConv2d(nn.Module):
    """A convolution with the equalised learning rate: weight ~ N(0, 1), scaled by 1/√(fan-in) at run time."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.scale, self.stride, self.padding = 1 / math.sqrt(in_ch * kernel * kernel), stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, self.stride, self.padding)


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True,
                     padding: int = 0, eps: float = 1e-8) -> torch.Tensor:
    """StyleGAN2's modulated convolution (Karras et al. 2020, eqs. 1-3), one weight per image.

    x (N, I, H, W), weight (O, I, k, k), styles (N, I) → (N, O, H', W').
    1. modulate: w'_ijk = s_i · w_ijk (input channel i scaled by image n's style);
    2. demodulate: w''_ijk = w'_ijk / √(Σ_{i,k} w'_ijk² + ε), so that a unit-variance input gives a
       unit-variance output, the statistic AdaIN's instance normalisation measured on the features.
    Computed without building N weight tensors (StyleGAN2's non-fused path): scaling the input channels by
    s and the output channels by the demodulation factor d_j = 1/√(Σ_i s_i² Σ_k w_ijk² + ε) is the same
    convolution, run as one shared-weight convolution instead of N grouped ones (its speed-up is not measured here).
    """
    out = F.conv2d(x * styles[:, :, None, None], weight, padding=padding)  # (N, O, H', W')
    if demodulate:
        d = torch.rsqrt(styles.pow(2) @ weight.pow(2).sum((2, 3)).T + eps)  # (N, I) @ (I, O) => (N, O)
        out = out * d[:, :, None, None]
    return out


def adain(x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Adaptive instance normalisation (Huang & Belongie 2017; StyleGAN eq. 1): every feature map of every
    image is normalised to zero mean and unit variance, then scaled by ``scale`` and shifted by ``bias``.

    x (N, C, H, W), scale and bias (N, C) → (N, C, H, W).
    """
    mean = x.mean((2, 3), keepdim=True)
    std = (x.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    return scale[:, :, None, None] * (x - mean) / std + bias[:, :, None, None]


class StyleConv(nn.Module):
    """A 3×3 convolution steered by a style: (upsample ×2) → conv → noise → bias, leaky ReLU (→ AdaIN)."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, upsample: bool = False,
                 style: Literal["modulated", "adain"] = "modulated", noise: bool = True) -> None:
        super().__init__()
        self.style, self.upsample = check_choice("style", style, STYLES), upsample
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, 3, 3))
        self.scale = 1 / math.sqrt(in_ch * 9)
        if style == "modulated":  # w → one scale per input channel, starting at 1
            self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        else:  # w → (scale, shift) per output channel, starting at (1, 0)
            self.affine = EqualLinear(w_dim, 2 * out_ch)
            self.affine.bias.data[:out_ch] = 1.0
        self.noise_strength = nn.Parameter(torch.zeros(())) if noise else None
        self.bias = nn.Parameter(torch.zeros(out_ch))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """x (N, in_ch, H, W), w (N, w_dim), noise (N, 1, H', W') or None (fresh noise) → (N, out_ch, H', W')."""
        if self.upsample:  # H×W => 2H×2W
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        s = self.affine(w)
        if self.style == "modulated":
            x = modulated_conv2d(x, self.weight * self.scale, s, demodulate=True, padding=1)
        else:
            x = F.conv2d(x, self.weight * self.scale, padding=1)
        if self.noise_strength is not None:
            if noise is None:
                noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
            x = x + self.noise_strength * noise
        x = F.leaky_relu(x + self.bias[:, None, None], 0.2) * GAIN
        if self.style == "adain":
            c = x.shape[1]
            x = adain(x, s[:, :c], s[:, c:])
        return x


class ToImage(nn.Module):
    """A modulated 1×1 convolution, no demodulation (StyleGAN2's tRGB): features → image channels."""

    def __init__(self, in_ch: int, nc: int, w_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nc, in_ch, 1, 1))
        self.scale = 1 / math.sqrt(in_ch)
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.bias = nn.Parameter(torch.zeros(nc))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        out = modulated_conv2d(x, self.weight * self.scale, self.affine(w), demodulate=False)
        return out + self.bias[:, None, None]


def truncate(w: torch.Tensor, w_avg: torch.Tensor, psi: float) -> torch.Tensor:
    """The truncation trick (Karras et al. 2019, after Brock et al. 2019): w' = w̄ + ψ (w − w̄).

    ψ = 1 leaves w alone, ψ = 0 gives w̄ for every w; w (N, w_dim), w_avg (w_dim,).
    """
    return torch.lerp(w_avg, w, psi)


def mix_styles(w1: torch.Tensor, w2: torch.Tensor, crossover: int, n_layers: int) -> torch.Tensor:
    """Per-layer styles (N, n_layers, w_dim): w1 for layers [0, crossover), w2 for [crossover, n_layers).

    Low layer indices act at low resolution (pose, shape: the "coarse" styles), high ones at high resolution
    (stroke, texture: the "fine" styles).
    """
    check_int("crossover", crossover, minimum=0)
    if crossover > n_layers:
        raise ValueError(f"crossover must be in [0, {n_layers}] (the number of style layers); got {crossover}")
    layer = torch.arange(n_layers, device=w1.device)[None, :, None]
    return torch.where(layer < crossover, w1[:, None], w2[:, None])


def feature_widths(channels: int, channel_base: int, n_up: int) -> list[int]:
    """Feature maps per resolution 4, 8, …, 4·2^n_up: channel_base / side, at most ``channels`` (as StyleGAN)."""
    check_int("channels", channels), check_int("channel_base", channel_base)
    return [max(1, min(channels, channel_base // (4 * 2 ** r))) for r in range(n_up + 1)]


class StyleGenerator(nn.Module):
    """z (N, nz) → image (N, nc, image_size, image_size) in roughly [-1, 1], through w and per-layer styles.

    Resolutions 4 → 8 → … → ``side`` (32 for MNIST-sized images, drawn at 32×32 and cropped). Style layer
    indices follow StyleGAN2: the 4×4 convolution reads w[0], each later resolution's two convolutions read
    w[2r−1], w[2r] and its image layer w[2r+1]; ``n_layers`` = 2·log2(side) − 2 styles in all (8 at 32×32).

    The ablations switch one idea off at a time: ``mapping=False`` (w = the normalised z), ``noise=False``,
    ``style="adain"`` (StyleGAN's AdaIN instead of demodulation), ``mixing_prob=0`` (no mixing regularisation).
    """

    def __init__(self, nz: int = 64, w_dim: int = 64, n_mapping: int = 4, channels: int = 64,
                 channel_base: int = 512, nc: int = 1, image_size: int = 28, pad_to: int | None = 32,
                 mapping: bool = True, style: Literal["modulated", "adain"] = "modulated", noise: bool = True,
                 mixing_prob: float = 0.9, lr_mul: float = 0.01) -> None:
        super().__init__()
        if w_dim != nz and not mapping:
            raise ValueError(f"mapping=False uses w = pixel_norm(z), so w_dim must equal nz; got nz={nz}, "
                             f"w_dim={w_dim}")
        self.nz, self.w_dim, self.nc, self.image_size, self.n_classes = nz, w_dim, nc, image_size, 0
        self.mixing_prob = check_float("mixing_prob", mixing_prob, minimum=0.0, inclusive=True)
        side, self.crop = _margin(image_size, pad_to)
        n_up = int(math.log2(side // 4))
        if 4 * 2 ** n_up != side:
            raise ValueError(f"the generator's side must be 4·2^k; got {side} (image_size {image_size}, "
                             f"pad_to {pad_to})")
        self.n_layers = 2 * n_up + 2
        # 1. mapping network: n_mapping EqualLinear layers of width w_dim, at lr_mul times the learning rate
        self.mapping = nn.Sequential(*[EqualLinear(nz if i == 0 else w_dim, w_dim, lr_mul=lr_mul, activate=True)
                                       for i in range(n_mapping)]) if mapping else None
        self.register_buffer("w_avg", torch.zeros(w_dim))  # running mean of w, for the truncation trick
        # 2. synthesis network
        widths = feature_widths(channels, channel_base, n_up)  # 64, 64, 32, 16 at sides 4, 8, 16, 32
        self.const = nn.Parameter(torch.randn(1, widths[0], 4, 4))  # state size. C x 4 x 4
        self.convs = nn.ModuleList([StyleConv(widths[0], widths[0], w_dim, style=style, noise=noise)])
        self.to_images = nn.ModuleList([ToImage(widths[0], nc, w_dim)])
        for r in range(1, n_up + 1):  # 4·2^(r−1) => 4·2^r
            self.convs.extend([StyleConv(widths[r - 1], widths[r], w_dim, upsample=True, style=style, noise=noise),
                               StyleConv(widths[r], widths[r], w_dim, style=style, noise=noise)])
            self.to_images.append(ToImage(widths[r], nc, w_dim))

    def _mapped(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, nz) → w (N, w_dim): pixel norm, then the mapping network (when there is one)."""
        w = pixel_norm(z)
        return self.mapping(w) if self.mapping is not None else w

    def map(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, nz) → w (N, w_dim); in training mode also updates the running mean ``w_avg``."""
        w = self._mapped(z)
        if self.training:
            with torch.no_grad():
                self.w_avg.lerp_(w.mean(0).to(self.w_avg.dtype), 0.005)
        return w

    @torch.no_grad()
    def estimate_w_avg(self, n: int = 10_000, seed: int = 0) -> torch.Tensor:
        """Set ``w_avg`` to the mean of this network's own w over ``n`` seeded z, and return it.

        The running mean kept in training follows the raw network, and an EMA copy of the generator only averages
        that running mean; before truncating, measure the mean of the mapping actually used.
        """
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(check_int("n", n), self.nz, generator=g).to(self.w_avg.device)
        self.w_avg.copy_(self._mapped(z).mean(0))
        return self.w_avg

    def truncate(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        """:func:`truncate` towards this generator's ``w_avg``; ψ = 1 returns ``w`` itself."""
        psi = check_float("psi", psi, minimum=0.0, inclusive=True)
        return w if psi == 1.0 else truncate(w, self.w_avg.to(w.dtype), psi)

    def synthesis(self, ws: torch.Tensor, noise: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Per-layer styles ws (N, n_layers, w_dim) → image; ``noise``: one map per convolution, else fresh."""
        if ws.ndim != 3 or ws.shape[1:] != (self.n_layers, self.w_dim):
            raise ValueError(f"ws must have shape (N, {self.n_layers}, {self.w_dim}); got {tuple(ws.shape)}")
        if noise is not None and len(noise) != len(self.convs):
            raise ValueError(f"noise must hold {len(self.convs)} maps, one per convolution; got {len(noise)}")
        n = ws.shape[0]
        x = self.convs[0](self.const.expand(n, -1, -1, -1), ws[:, 0], noise and noise[0])  # (N, C, 4, 4)
        image = self.to_images[0](x, ws[:, 1])  # (N, nc, 4, 4)
        for r in range(1, len(self.to_images)):  # each resolution: two convolutions, then its image layer
            i = 2 * r - 1
            x = self.convs[i](x, ws[:, i], noise and noise[i])  # (N, C, 2H, 2W)
            x = self.convs[i + 1](x, ws[:, i + 1], noise and noise[i + 1])
            # skip architecture: the image so far, upsampled, plus this resolution's contribution
            image = F.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False)
            image = image + self.to_images[r](x, ws[:, i + 2])
        m = self.crop
        return image[..., m:image.shape[-2] - m, m:image.shape[-1] - m] if m else image

    def noise_shapes(self, n: int) -> list[tuple[int, ...]]:
        """The shape of each convolution's noise map for a batch of n: (n, 1, side, side)."""
        sides = [4] + [4 * 2 ** r for r in range(1, len(self.to_images)) for _ in range(2)]
        return [(n, 1, s, s) for s in sides]

    def forward(self, z: torch.Tensor, psi: float = 1.0) -> torch.Tensor:
        """z (N, nz) → image (N, nc, image_size, image_size). In training mode, with probability
        ``mixing_prob`` the batch is drawn from two latents mixed at a random crossover (mixing regularisation)."""
        w = self.map(z)
        if psi != 1.0:
            w = self.truncate(w, psi)
        ws = w[:, None].expand(-1, self.n_layers, -1)
        if self.training and self.mixing_prob > 0 and torch.rand(()) < self.mixing_prob:
            w2 = self.map(torch.randn_like(z))
            ws = mix_styles(w, w2, int(torch.randint(1, self.n_layers, ())), self.n_layers)
        return self.synthesis(ws)


def minibatch_std(x: torch.Tensor, group: int = 4) -> torch.Tensor:
    """Append one feature map: the standard deviation over a group of images, averaged over features and pixels.

    x (N, C, H, W) → (N, C + 1, H, W). Each group of ``group`` images (N must be divisible by it, or smaller)
    shares one value, so D can tell a batch of near-identical fakes from real variety (Karras et al. 2018).
    """
    n, c, h, w = x.shape
    g = min(group, n)
    if n % g:
        raise ValueError(f"minibatch_std needs the batch ({n}) divisible by the group size ({g})")
    y = x.reshape(g, n // g, c, h, w)  # image k of the batch sits in group k mod (N/g)
    y = (y.var(0, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (N/g,)
    return torch.cat([x, y.repeat(g)[:, None, None, None].expand(n, 1, h, w)], 1)


class StyleDiscriminator(nn.Module):
    """image (N, nc, image_size, image_size) → one logit per image (N,): a strided CNN with equalised
    learning rate, leaky ReLU, no normalisation, and the minibatch standard deviation before its last layers.
    """

    def __init__(self, channels: int = 64, channel_base: int = 512, nc: int = 1, image_size: int = 28,
                 pad_to: int | None = 32, mbstd_group: int = 4) -> None:
        super().__init__()
        self.n_classes, self.mbstd_group = 0, check_int("mbstd_group", mbstd_group)
        side, self.pad = _margin(image_size, pad_to)
        n_down = int(math.log2(side // 4))
        widths = feature_widths(channels, channel_base, n_down)[::-1]  # 16, 32, 64, 64 at sides 32, 16, 8, 4
        self.from_image = EqualConv2d(nc, widths[0], 1)  # state size. 16 x 32 x 32
        self.blocks = nn.ModuleList([EqualConv2d(widths[r], widths[r + 1], 3, stride=2, padding=1)
                                     for r in range(n_down)])  # 32x32 => 16x16 => 8x8 => 4x4
        c = widths[-1]
        self.final_conv = EqualConv2d(c + 1, c, 3, padding=1)  # C+1 (the std map) x 4 x 4
        self.fc = EqualLinear(c * 16, c, activate=True)
        self.out = EqualLinear(c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad:  # (N, nc, image_size, image_size) => (N, nc, side, side), black borders
            x = F.pad(x, (self.pad,) * 4, value=-1.0)
        h = F.leaky_relu(self.from_image(x), 0.2) * GAIN
        for block in self.blocks:
            h = F.leaky_relu(block(h), 0.2) * GAIN
        h = minibatch_std(h, self.mbstd_group)  # (N, C + 1, 4, 4)
        h = F.leaky_relu(self.final_conv(h), 0.2) * GAIN
        return self.out(self.fc(h.flatten(1))).flatten()
