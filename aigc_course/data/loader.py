"""A data loader for datasets that fit in memory: one uint8 tensor on the device, batched by index.

Why not ``DataLoader`` with ``ToTensor``? For MNIST-sized data the per-sample PIL conversion costs
more than a small model's training step, and worker processes crash in notebooks on some systems.
Holding the data as a tensor on the training device removes both problems; each batch is one
index and one conversion to float.
"""
from __future__ import annotations

from typing import Iterator

import torch

from ..runtime import check_int


class TensorLoader:
    """Shuffled batches ``(x, y)`` from a dataset held on ``device``.

    uint8 images (N, C, H, W) come out as float32 scaled to ``value_range`` (default [-1, 1], the
    range of a tanh generator); float data of any shape (e.g. 2-D points of a toy problem) comes out
    as it is.
    The order of epoch ``e`` depends only on ``(seed, e)``, so a run resumed at any step sees the
    same batches as an uninterrupted one. With ``world_size > 1`` each rank takes every
    ``world_size``-th index of the same permutation (a distributed sampler): the ranks see disjoint
    parts of each epoch, of equal length.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int,
                 device: torch.device | str = "cpu", shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False, value_range: tuple[float, float] = (-1.0, 1.0),
                 rank: int = 0, world_size: int = 1, channels_last: bool = False) -> None:
        if images.dtype == torch.uint8 and images.ndim != 4:
            raise ValueError(f"uint8 images must have shape (N, C, H, W); got {tuple(images.shape)}")
        if images.dtype != torch.uint8 and not images.is_floating_point():
            raise ValueError(f"data must be uint8 images or floating point; got {images.dtype}")
        if labels.shape[0] != images.shape[0]:
            raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels")
        self.world_size = check_int("world_size", world_size)
        if not 0 <= rank < world_size:
            raise ValueError(f"rank={rank!r} is not allowed; it must be in 0..{world_size - 1}")
        self.rank = rank
        per_rank = images.shape[0] // world_size
        self.batch_size = check_int("batch_size", batch_size)
        if drop_last and batch_size > per_rank:
            raise ValueError(f"batch_size={batch_size} is larger than the {per_rank} images per rank; "
                             f"use batch_size <= {per_rank} or drop_last=False")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        lo, hi = value_range
        self.scale, self.offset = (hi - lo) / 255.0, lo
        self.is_image = images.dtype == torch.uint8
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.per_rank = per_rank

    def __len__(self) -> int:
        """Batches per epoch (on this rank)."""
        full, rest = divmod(self.per_rank, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def epoch_indices(self, epoch: int) -> torch.Tensor:
        """This rank's sample indices for ``epoch``, in order."""
        n = self.images.shape[0]
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            order = torch.randperm(n, generator=g)
        else:
            order = torch.arange(n)
        return order[: self.per_rank * self.world_size][self.rank:: self.world_size].to(self.device)

    def batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples at ``indices`` (images as float in ``value_range``), with their labels."""
        x = self.images[indices]
        if not self.is_image:
            return x, self.labels[indices]
        x = x.float().mul_(self.scale).add_(self.offset)
        return x.contiguous(memory_format=self.memory_format), self.labels[indices]

    def epoch(self, epoch: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of one epoch."""
        idx = self.epoch_indices(epoch)
        for b in range(len(self)):
            yield self.batch(idx[b * self.batch_size: (b + 1) * self.batch_size])

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self.epoch(0)

    def batches(self, start_step: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Endless batches, starting at global step ``start_step`` (epochs follow one another).

        Step ``s`` is batch ``s % len(self)`` of epoch ``s // len(self)``, so resuming at step ``s``
        continues exactly where an uninterrupted run would be.
        """
        per_epoch = len(self)
        if per_epoch == 0:
            raise ValueError("the loader yields no batches; lower batch_size or set drop_last=False")
        epoch, b = divmod(start_step, per_epoch)
        while True:
            idx = self.epoch_indices(epoch)
            for i in range(b, per_epoch):
                yield self.batch(idx[i * self.batch_size: (i + 1) * self.batch_size])
            epoch, b = epoch + 1, 0
