"""A data loader for datasets that fit in memory: named uint8 tensors on the device, batched by index.

Why not ``DataLoader`` with ``ToTensor``? For MNIST-sized data the per-sample PIL conversion costs
more than a small model's training step, and worker processes crash in notebooks on some systems.
Holding the data as tensors on the training device removes both problems; each batch is one index
and one conversion to float per field.

A batch has named fields: ``image`` and ``label`` for a labelled image set, and whatever a task
needs beside them — a conditioning image, a mask, a stack of video frames (N, T, C, H, W).
:class:`Batch` is a tuple in field order (``x, y = batch`` keeps working) that is also addressed by
name (``batch["mask"]`` or ``batch.mask``).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch

from ..runtime import check_choice, check_int


def batches_per_epoch(n_images: int, batch_size: int, drop_last: bool) -> int:
    """How many batches one epoch over ``n_images`` gives: a last, smaller batch counts unless ``drop_last``."""
    full, rest = divmod(n_images, batch_size)
    return full + (1 if rest and not drop_last else 0)


class Batch(tuple):
    """One batch: its tensors in field order, also addressable by field name."""

    fields: tuple[str, ...]

    def __new__(cls, fields: tuple[str, ...], values: tuple[torch.Tensor, ...]) -> Batch:
        batch = super().__new__(cls, values)
        batch.fields = fields
        return batch

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.fields.index(check_choice("field", key, self.fields)))
        return tuple.__getitem__(self, key)

    def __getattr__(self, name: str) -> torch.Tensor:
        if name != "fields" and name in self.fields:
            return self[name]
        raise AttributeError(f"this batch has no field {name!r}; its fields are {', '.join(self.fields)}")

    def as_dict(self) -> dict[str, torch.Tensor]:
        return dict(zip(self.fields, self))


ValueRange = tuple[float, float]


class TensorLoader:
    """Shuffled batches of named fields from a dataset held on ``device``.

    Give either ``images`` and ``labels`` (fields ``image`` and ``label``, batches ``(x, y)``) or
    ``fields``, a mapping of names to tensors of equal length N. uint8 fields ((N, C, H, W) images,
    or (N, T, C, H, W) frame stacks) come out as float32 scaled to their value range: ``value_range``
    is one range for all of them (default [-1, 1], the range of a tanh generator) or a mapping of
    field name to range. Other fields (labels, masks, float data such as the 2-D points of a toy
    problem) come out as they are.
    The order of epoch ``e`` depends only on ``(seed, e)``, so a run resumed at any step sees the
    same batches as an uninterrupted one. With ``world_size > 1`` each rank takes every
    ``world_size``-th index of the same permutation (a distributed sampler): the ranks see disjoint
    parts of each epoch, of equal length.
    """

    def __init__(self, images: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                 batch_size: int | None = None, device: torch.device | str = "cpu", shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False,
                 value_range: ValueRange | Mapping[str, ValueRange] = (-1.0, 1.0), rank: int = 0,
                 world_size: int = 1, channels_last: bool = False,
                 fields: Mapping[str, torch.Tensor] | None = None) -> None:
        if fields is None:
            if images is None or labels is None:
                raise ValueError("give images and labels, or fields={name: tensor, ...}")
            fields = {"image": images, "label": labels}
        elif images is not None or labels is not None:
            raise ValueError("give images and labels, or fields, not both")
        if not fields:
            raise ValueError("fields is empty; give at least one named tensor")
        n = next(iter(fields.values())).shape[0]
        lengths = {k: v.shape[0] for k, v in fields.items()}
        if any(v != n for v in lengths.values()):
            raise ValueError("every field needs the same number of samples; got "
                             + ", ".join(f"{k} {v}" for k, v in lengths.items()))
        for name, t in fields.items():
            if t.dtype == torch.uint8 and t.ndim < 4:
                raise ValueError(f"uint8 field {name!r} must be images of shape (N, C, H, W) or stacks "
                                 f"(N, T, C, H, W); got {tuple(t.shape)}")
        first = next(iter(fields))
        if fields[first].dtype != torch.uint8 and not fields[first].is_floating_point():
            raise ValueError(f"field {first!r} must be uint8 images or floating point; got {fields[first].dtype}")
        ranges = value_range if isinstance(value_range, Mapping) else {k: value_range for k in fields}
        for name in ranges:
            check_choice("value_range field", name, tuple(fields))
        self.world_size = check_int("world_size", world_size)
        if not 0 <= rank < world_size:
            raise ValueError(f"rank={rank!r} is not allowed; it must be in 0..{world_size - 1}")
        self.rank = rank
        per_rank = n // world_size
        self.batch_size = check_int("batch_size", batch_size)
        if drop_last and batch_size > per_rank:
            raise ValueError(f"batch_size={batch_size} is larger than the {per_rank} images per rank; "
                             f"use batch_size <= {per_rank} or drop_last=False")
        self.device = torch.device(device)
        self.fields = {k: v.to(self.device) for k, v in fields.items()}
        self.names = tuple(self.fields)
        self.n = n
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        # (scale, offset) per uint8 field: x_float = x_uint8 · scale + offset maps [0, 255] onto its range.
        self.scaling: dict[str, tuple[float, float] | None] = {}
        for k, v in self.fields.items():
            lo, hi = ranges.get(k, (-1.0, 1.0))
            self.scaling[k] = ((hi - lo) / 255.0, lo) if v.dtype == torch.uint8 else None
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.per_rank = per_rank

    @property
    def images(self) -> torch.Tensor:
        """The first field's tensor (the images of an image data set), as stored."""
        return self.fields[self.names[0]]

    @property
    def labels(self) -> torch.Tensor:
        """The ``label`` field, as stored."""
        return self.fields["label"]

    def __len__(self) -> int:
        """Batches per epoch (on this rank)."""
        return batches_per_epoch(self.per_rank, self.batch_size, self.drop_last)

    def epoch_indices(self, epoch: int) -> torch.Tensor:
        """This rank's sample indices for ``epoch``, in order."""
        n = self.n
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            order = torch.randperm(n, generator=g)
        else:
            order = torch.arange(n)
        return order[: self.per_rank * self.world_size][self.rank:: self.world_size].to(self.device)

    def batch(self, indices: torch.Tensor) -> Batch:
        """Samples at ``indices``: every field, uint8 ones as float in their value range."""
        out = []
        for name, t in self.fields.items():
            x = t[indices]
            if self.scaling[name] is not None:
                scale, offset = self.scaling[name]
                x = x.float().mul_(scale).add_(offset)
                if x.ndim == 4:
                    x = x.contiguous(memory_format=self.memory_format)
            out.append(x)
        return Batch(self.names, tuple(out))

    def epoch(self, epoch: int = 0) -> Iterator[Batch]:
        """The batches of one epoch."""
        idx = self.epoch_indices(epoch)
        for b in range(len(self)):
            yield self.batch(idx[b * self.batch_size: (b + 1) * self.batch_size])

    def __iter__(self) -> Iterator[Batch]:
        return self.epoch(0)

    def batches(self, start_step: int = 0) -> Iterator[Batch]:
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
