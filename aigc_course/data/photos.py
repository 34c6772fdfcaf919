"""Real photographs for restoration chapters: whole photos split once into train and test, patches cut from them.

Offline the photos are the 40 licensed ones in ``<DATA_DIR>/photos`` (see ``../shared/DATA.md``;
``photos/LICENSES.tsv`` names each file's source and licence); online, any folder of images works
the same way (DIV2K, your own). Which photos are held out depends only on each file's name
(:func:`photo_split`), so adding a photo never moves another one between splits, and no training
patch ever comes from a test photo (``tests/test_data.py`` checks it).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

from ..runtime import check_choice, check_int, default_data_dir
from .datasets import SPLITS, DatasetNotFoundError
from .loader import TensorLoader

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
TEST_EVERY = 5  # about one photo in five is held out for testing


def photo_split(name: str) -> Literal["train", "test"]:
    """The split a photo belongs to, from a hash of its file name alone (stable as the folder grows)."""
    return "test" if hashlib.sha1(Path(name).name.encode()).digest()[0] % TEST_EVERY == 0 else "train"


@dataclass
class PhotoSet:
    """Whole photographs of one split as uint8 tensors (3, H, W), with their file names and source."""

    split: str
    names: tuple[str, ...]
    photos: list[torch.Tensor]
    source: str

    def __len__(self) -> int:
        return len(self.photos)

    def patches(self, n: int, size: int, seed: int = 0, flips: bool = True) -> torch.Tensor:
        """``n`` random ``size``×``size`` crops (uint8, (n, 3, size, size)), each from a photo drawn with
        probability proportional to its area; ``flips`` mirrors half of them left–right."""
        n, size = check_int("n", n), check_int("size", size)
        small = [name for name, p in zip(self.names, self.photos) if min(p.shape[1:]) < size]
        if small:
            raise ValueError(f"size={size} is larger than photo {small[0]!r}; use size <= "
                             f"{min(min(p.shape[1:]) for p in self.photos)}")
        g = torch.Generator().manual_seed(seed)
        areas = torch.tensor([p.shape[1] * p.shape[2] for p in self.photos], dtype=torch.float64)
        which = torch.multinomial(areas, n, replacement=True, generator=g)
        out = torch.empty(n, 3, size, size, dtype=torch.uint8)
        for i, k in enumerate(which.tolist()):
            photo = self.photos[k]
            top = int(torch.randint(photo.shape[1] - size + 1, (1,), generator=g))
            left = int(torch.randint(photo.shape[2] - size + 1, (1,), generator=g))
            crop = photo[:, top:top + size, left:left + size]
            if flips and bool(torch.randint(2, (1,), generator=g)):
                crop = crop.flip(-1)
            out[i] = crop
        return out

    def loader(self, n_patches: int, size: int, batch_size: int, seed: int = 0, **kwargs: Any) -> TensorLoader:
        """A :class:`TensorLoader` over ``n_patches`` patches (field ``image``); ``kwargs`` go to the loader."""
        return TensorLoader(fields={"image": self.patches(n_patches, size, seed=seed)}, batch_size=batch_size,
                            seed=seed, **kwargs)


def _read_rgb(path: Path, max_side: int | None) -> torch.Tensor:
    with Image.open(path) as img:
        img = img.convert("RGB")
        if max_side is not None and max(img.size) > max_side:
            scale = max_side / max(img.size)
            img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
        return torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).contiguous()


def photo_files(folder: str | os.PathLike) -> list[Path]:
    """The image files in ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)


def load_photos(split: Literal["train", "test"] = "train", data_dir: str | os.PathLike | None = None,
                folder: str | os.PathLike | None = None, max_side: int | None = None,
                verbose: bool = True) -> PhotoSet:
    """The photos of ``split`` from ``folder`` (default ``<data_dir>/photos``), optionally resized so the
    longer side is at most ``max_side`` (Lanczos). Prints what it used; never substitutes anything."""
    check_choice("split", split, SPLITS)
    if max_side is not None:
        check_int("max_side", max_side)
    folder = Path(folder) if folder is not None else Path(data_dir or default_data_dir()) / "photos"
    if not folder.is_dir() or not photo_files(folder):
        raise DatasetNotFoundError(f"no photographs in {folder}; set DATA_DIR to a folder with photos/ (the course "
                                   f"machines have ../shared/datasets), or pass folder= any folder of images")
    files = [p for p in photo_files(folder) if photo_split(p.name) == split]
    if not files:
        raise DatasetNotFoundError(f"{folder} has no photo in the {split} split (about one in {TEST_EVERY} is "
                                   f"held out by name); add more photos")
    licences = " (licences in LICENSES.tsv)" if (folder / "LICENSES.tsv").exists() else ""
    source = f"{len(files)} real photographs in {folder}{licences}, {split} split by file name"
    data = PhotoSet(split, tuple(p.name for p in files), [_read_rgb(p, max_side) for p in files], source)
    if verbose:
        print(f"[data] photos {split}: {data.source}")
    return data
