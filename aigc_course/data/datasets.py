"""One entry point for the course's image datasets: :func:`load_dataset`.

Where the data comes from, in order:

1. ``data_dir`` in torchvision's layout (``MNIST/raw``, ``FashionMNIST/raw``, ``cifar-10-batches-py``);
2. a torchvision download into ``data_dir`` when the dataset's server is reachable;
3. a real offline source, announced with a visible message: the official MNIST test file bundled in
   the repository's ``data/`` (split into 8,000 training and 2,000 disjoint test digits, so nothing is
   ever evaluated on what it was trained on), or the real CIFAR-10 subset ``CIFAR10-subset/cifar10_subset.npz``;
4. otherwise an error that says how to get the data. Random tensors are never substituted.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import numpy as np
import torch
import torchvision
from PIL import Image

from ..runtime import REPO_ROOT, check_choice, default_data_dir
from .loader import TensorLoader

DATASETS = ("mnist", "fashion-mnist", "cifar10")
SPLITS = ("train", "test")
BUNDLED_MNIST = REPO_ROOT / "data" / "MNIST" / "raw"
# md5 of the official gzipped MNIST test files shipped in data/ (also published by torchvision).
BUNDLED_MNIST_MD5 = {
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
CIFAR10_SUBSET = Path("CIFAR10-subset") / "cifar10_subset.npz"
BUNDLED_TEST_EVERY = 5  # the bundled file serves 8,000 training and 2,000 disjoint test digits


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a dataset is neither on disk nor downloadable, with instructions to get it."""


@dataclass
class ImageData:
    """A whole image dataset held as tensors.

    ``images`` is uint8 of shape (N, C, H, W) and ``labels`` int64 of shape (N,). ``source`` says
    where the images came from, in words a learner can read.
    """

    name: str
    split: str
    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return self.images.shape[0]

    def loader(self, batch_size: int, device: torch.device | str = "cpu", **kwargs: Any) -> TensorLoader:
        """A :class:`TensorLoader` over this dataset on ``device`` (see its arguments)."""
        return TensorLoader(self.images, self.labels, batch_size=batch_size, device=device, **kwargs)

    def as_torch_dataset(self, transform: Callable | None = None) -> torch.utils.data.Dataset:
        """A map-style dataset of ``(transform(PIL image), label)``, as torchvision's classes give.

        This is the plain ``DataLoader`` path (per-sample transforms); the chapters use :meth:`loader`.
        """
        return _PILDataset(self, transform)


class _PILDataset(torch.utils.data.Dataset):
    def __init__(self, data: ImageData, transform: Callable | None) -> None:
        self.data, self.transform = data, transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        img = self.data.images[i].permute(1, 2, 0).squeeze(-1).numpy()
        img = Image.fromarray(img)
        return (self.transform(img) if self.transform else img), int(self.data.labels[i])


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels 0..255 → float32 in [-1, 1], the output range of a tanh generator."""
    return images.float().div(127.5).sub(1.0)


def canonical_name(name: str) -> str:
    """Map 'MNIST', 'Fashion_MNIST', 'CIFAR-10', ... to the course's names; reject anything else."""
    if not isinstance(name, str):
        raise ValueError(f"dataset name {name!r} is not allowed; choose one of {', '.join(DATASETS)}")
    key = name.lower().replace("_", "").replace("-", "")
    table = {n.replace("-", ""): n for n in DATASETS}
    if key not in table:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return table[key]


def _tv_class(name: str) -> type:
    # Looked up at call time so tests can replace the torchvision class (the online boundary).
    return {"mnist": torchvision.datasets.MNIST, "fashion-mnist": torchvision.datasets.FashionMNIST,
            "cifar10": torchvision.datasets.CIFAR10}[name]


def _server(name: str) -> str:
    cls = _tv_class(name)
    url = cls.mirrors[0] if hasattr(cls, "mirrors") else cls.url
    return urlparse(url).hostname or ""


def is_online(name: str, timeout: float = 3.0) -> bool:
    """True if the dataset's download server accepts a connection. ``AIGC_OFFLINE=1`` forces False."""
    if os.environ.get("AIGC_OFFLINE") == "1":
        return False
    try:
        with socket.create_connection((_server(name), 443), timeout=timeout):
            return True
    except OSError:
        return False


def _from_torchvision(ds: Any, name: str) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    data = ds.data
    images = torch.as_tensor(np.asarray(data))
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    labels = torch.as_tensor(np.asarray(ds.targets), dtype=torch.int64)
    classes = tuple(str(i) for i in range(10)) if name == "mnist" else tuple(ds.classes)
    return images.contiguous(), labels, classes


def load_torchvision_dataset(name: str, split: str = "train", data_dir: str | os.PathLike | None = None,
                             transform: Callable | None = None, download: bool = False) -> Any:
    """The plain torchvision dataset (for a ``DataLoader`` with per-sample transforms).

    Meant for datasets too large to hold as one tensor; the chapters use :func:`load_dataset`.
    """
    name, split = canonical_name(name), check_choice("split", split, SPLITS)
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        return _tv_class(name)(root=str(root), train=split == "train", transform=transform, download=download)
    except RuntimeError as err:
        raise DatasetNotFoundError(f"{name} ({split}) is not in torchvision's layout under {root}: {err}. "
                                   f"Run `make data` with internet access, or set DATA_DIR.") from err


def md5(path: Path) -> str:
    """The md5 hex digest of a file."""
    return hashlib.md5(path.read_bytes()).hexdigest()


def read_idx_gz(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST file format) into a uint8 array."""
    raw = gzip.decompress(path.read_bytes())
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08:  # 0x08 = unsigned byte data
        raise ValueError(f"{path} is not a uint8 IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def official_mnist_test() -> ImageData:
    """All 10,000 digits of the official MNIST test split, from the md5-verified file bundled in ``data/``.

    For judging networks trained on the 60,000 official training digits (the shipped classifiers), for
    which the whole file is held out. Training *and* testing offline uses :func:`load_dataset`, which
    splits this file into disjoint parts.
    """
    images, labels = _read_bundled_mnist()
    source = "the official 10,000-digit MNIST test split bundled in data/ (md5-verified)"
    return ImageData("mnist", "test", images, labels, tuple(str(i) for i in range(10)), source)


def _read_bundled_mnist() -> tuple[torch.Tensor, torch.Tensor]:
    for fname, expected in BUNDLED_MNIST_MD5.items():
        path = BUNDLED_MNIST / fname
        if not path.exists():
            raise DatasetNotFoundError(f"the bundled MNIST test split is missing ({path})")
        if md5(path) != expected:
            raise ValueError(f"{path} is corrupt: md5 {md5(path)} != official {expected}; restore it with git")
    images = torch.from_numpy(read_idx_gz(BUNDLED_MNIST / "t10k-images-idx3-ubyte.gz").copy()).unsqueeze(1)
    labels = torch.from_numpy(read_idx_gz(BUNDLED_MNIST / "t10k-labels-idx1-ubyte.gz").astype(np.int64))
    return images, labels


def _bundled_mnist(split: str) -> ImageData:
    images, labels = _read_bundled_mnist()
    # One file, two disjoint splits: every BUNDLED_TEST_EVERY-th digit is held out for testing.
    held_out = torch.arange(len(images)) % BUNDLED_TEST_EVERY == BUNDLED_TEST_EVERY - 1
    keep = held_out if split == "test" else ~held_out
    images, labels = images[keep].contiguous(), labels[keep]
    source = (f"the bundled official MNIST test file in data/ (md5-verified), split into disjoint parts: its {split} "
              f"part, {len(images):,} of its 10,000 digits (every {BUNDLED_TEST_EVERY}th is held out for testing); "
              "run `make data` online, or set DATA_DIR, for all 60,000 + 10,000")
    return ImageData("mnist", split, images, labels, tuple(str(i) for i in range(10)), source)


def _cifar_subset(split: str, root: Path) -> ImageData | None:
    path = root / CIFAR10_SUBSET
    if not path.exists():
        return None
    with np.load(path) as npz:
        x, y, classes = npz[f"x_{split}"], npz[f"y_{split}"], npz["classes"]
    images = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    total = 50_000 if split == "train" else 10_000
    source = (f"using the real CIFAR-10 subset in {path} ({len(x):,} of the {total:,} {split} images); "
              "run `make data` online for all of CIFAR-10")
    return ImageData("cifar10", split, images, torch.from_numpy(y.astype(np.int64)),
                     tuple(str(c) for c in classes), source)


def load_dataset(name: str, split: Literal["train", "test"] = "train",
                 data_dir: str | os.PathLike | None = None, download: bool | Literal["auto"] = "auto",
                 verbose: bool = True) -> ImageData:
    """Load a whole dataset as uint8 tensors, from the best real source available (see module doc).

    ``download="auto"`` downloads only when the data is missing and its server is reachable.
    Prints which source was used, so a learner always knows what the model was trained on.
    """
    name, split = canonical_name(name), check_choice("split", split, SPLITS)
    check_choice("download", download, ("auto", True, False))
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    data: ImageData | None = None
    tv = _tv_class(name)
    try:
        ds = tv(root=str(root), train=split == "train", download=False)
        data = ImageData(name, split, *_from_torchvision(ds, name), source=f"torchvision files in {root}")
    except RuntimeError:
        if download is True or (download == "auto" and is_online(name)):
            if verbose:
                print(f"[data] downloading {name} into {root} with torchvision ...")
            ds = tv(root=str(root), train=split == "train", download=True)
            data = ImageData(name, split, *_from_torchvision(ds, name), source=f"downloaded to {root}")
    if data is None and name == "mnist":
        data = _bundled_mnist(split)
    if data is None and name == "cifar10":
        data = _cifar_subset(split, root)
    if data is None:
        folder = {"fashion-mnist": "FashionMNIST/raw/*-ubyte", "cifar10": f"cifar-10-batches-py or {CIFAR10_SUBSET}"}
        raise DatasetNotFoundError(
            f"{name} ({split}) was not found under {root} and could not be downloaded (offline). "
            f"Run `make data` on a machine with internet access, or set DATA_DIR to a folder holding "
            f"{folder[name]}.")
    if verbose:
        print(f"[data] {name} {split}: {len(data):,} images {tuple(data.images.shape[1:])}, {data.source}")
    return data


def available_datasets(data_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """What :func:`load_dataset` would use for every dataset and split, without downloading."""
    rows = []
    for name in DATASETS:
        for split in SPLITS:
            try:
                d = load_dataset(name, split, data_dir=data_dir, download=False, verbose=False)
                rows.append({"dataset": name, "split": split, "images": len(d), "source": d.source})
            except DatasetNotFoundError:
                rows.append({"dataset": name, "split": split, "images": 0,
                             "source": "missing here: run `make data` online, or set DATA_DIR"})
    return rows
