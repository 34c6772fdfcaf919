"""A DnCNN-style denoiser (Zhang et al. 2017), and the classical denoisers it is measured against.

:class:`DnCNN` learns the *noise*, not the clean image ("residual learning"): its output is
x − f(x), where f is a stack of 3×3 convolutions (conv–ReLU, then ``depth − 2`` conv–BN–ReLU, then a conv).
The last convolution is zero-initialised, so an untrained DnCNN returns its input unchanged and any PSNR gain
is learned. One network can serve several noise levels: *blind* (it infers σ from the image, as DnCNN-B), or
told σ as an extra constant input channel (``noise_map=True``, as FFDNet, Zhang et al. 2018; build the input
with :func:`with_noise_map`).

Classical baselines, on float RGB images (N, 3, H, W) in [0, 1] with σ on the 0–255 scale:
:func:`nl_means` — non-local means (Buades et al. 2005) from scikit-image, given σ, with the patch distance
corrected for the noise; :func:`nl_means_opencv` — OpenCV's ``fastNlMeansDenoisingColored`` (uint8 only, its
filter strength ``h`` set from σ), the one most tutorials use.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from skimage.restoration import denoise_nl_means
from torch import nn

from ..runtime import check_float, check_int
from .sr import he_init


class DnCNN(nn.Module):
    """(N, C, H, W) noisy → (N, C, H, W) denoised; with ``noise_map`` the input has C + 1 channels (the last: σ/255)."""

    def __init__(self, channels: int = 3, features: int = 32, depth: int = 8, noise_map: bool = False) -> None:
        super().__init__()
        depth, features = check_int("depth", depth, minimum=3), check_int("features", features)
        self.channels, self.noise_map = channels, noise_map
        layers: list[nn.Module] = [nn.Conv2d(channels + int(noise_map), features, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(features, features, 3, padding=1, bias=False), nn.BatchNorm2d(features),
                       nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(features, channels, 3, padding=1))  # the predicted noise
        self.body = nn.Sequential(*layers)
        he_init(self)
        nn.init.zeros_(self.body[-1].weight)  # start as the identity: the noisy input comes out unchanged
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != self.channels + int(self.noise_map):
            raise ValueError(f"input has {x.shape[1]} channels; this DnCNN takes {self.channels + int(self.noise_map)}"
                             f" ({'image + noise map' if self.noise_map else 'image'})")
        return x[:, : self.channels] - self.body(x)


def with_noise_map(noisy: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
    """``noisy`` (N, C, H, W) with one more channel holding σ/255 everywhere (σ a number or one per image)."""
    sigma = torch.as_tensor(sigma, dtype=noisy.dtype).reshape(-1, 1, 1, 1).expand(len(noisy), 1, *noisy.shape[2:])
    return torch.cat([noisy, sigma / 255.0], 1)


def _check_rgb(images: torch.Tensor) -> None:
    if images.ndim != 4 or images.shape[1] != 3 or not images.is_floating_point():
        raise ValueError(f"images must be float RGB (N, 3, H, W) in [0, 1]; got {images.dtype} {tuple(images.shape)}")


def nl_means(noisy: torch.Tensor, sigma: float, patch_size: int = 5, patch_distance: int = 6) -> torch.Tensor:
    """Non-local means from scikit-image for each image, told the noise σ (0–255): filter strength h = 0.8σ and
    the patch distance corrected for the noise variance (its documented settings for known σ)."""
    _check_rgb(noisy)
    s = check_float("sigma", sigma) / 255.0
    out = [denoise_nl_means(img.permute(1, 2, 0).double().numpy(), h=0.8 * s, sigma=s, patch_size=patch_size,
                            patch_distance=patch_distance, fast_mode=True, channel_axis=-1)
           for img in noisy]
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().clamp(0, 1)


def nl_means_opencv(noisy: torch.Tensor, sigma: float) -> torch.Tensor:
    """OpenCV's fast non-local means for colour images, on uint8 (the input is rounded and clipped first), with
    h = hColor = σ (0–255), template window 7, search window 21 (OpenCV's defaults)."""
    _check_rgb(noisy)
    h = check_float("sigma", sigma)
    out = []
    for img in noisy:
        u8 = np.ascontiguousarray((img.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy())
        out.append(cv2.fastNlMeansDenoisingColored(u8, None, h, h, 7, 21))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float() / 255.0


BM3D_LICENCE = ("PyPI bm3d (Tampere University) is licensed for non-commercial use only, and installing it means "
                "agreeing to its terms, so the course does not install it: `pip install bm3d` yourself to add it")


def bm3d_available() -> str | None:
    """``None`` when the PyPI ``bm3d`` package can be imported, else the reason it is not used."""
    try:
        import bm3d  # noqa: F401
    except ImportError:
        return f"not installed ({BM3D_LICENCE})"
    return None


def bm3d_denoise(noisy: torch.Tensor, sigma: float) -> torch.Tensor:
    """BM3D (Dabov et al. 2007), the classical state of the art, from the opt-in PyPI ``bm3d`` package (see
    :data:`BM3D_LICENCE`): its colour version told σ (0–255), per image. 1.5–2.8 s per 96×96 crop on this CPU."""
    _check_rgb(noisy)
    s = check_float("sigma", sigma) / 255.0
    if (reason := bm3d_available()) is not None:
        raise ImportError(f"BM3D is {reason}")
    import bm3d
    out = [bm3d.bm3d_rgb(img.permute(1, 2, 0).double().numpy(), s) for img in noisy]
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().clamp(0, 1)
