"""Chapter 0 (set-up): the exercises on turning pixels into tensors and batches."""
from __future__ import annotations

import torch

from ..data import batches_per_epoch, to_unit_range
from ..exercises import Exercise, ExerciseSet


def _uint8_images(g: torch.Generator) -> tuple:
    return (torch.randint(0, 256, (4, 1, 8, 8), generator=g, dtype=torch.uint8),)


def _sizes(g: torch.Generator) -> tuple:
    n, b = torch.randint(1, 5000, (1,), generator=g).item(), torch.randint(1, 300, (1,), generator=g).item()
    return n, b, bool(torch.randint(0, 2, (1,), generator=g).item())


# The references are the library's own functions: the loader really computes these.
exercises = ExerciseSet({
    "to_tanh_range": Exercise(to_unit_range, _uint8_images,
                              "0 must map to -1.0 and 255 to +1.0; convert to float before dividing."),
    "batches_per_epoch": Exercise(batches_per_epoch, _sizes, "a last, smaller batch counts unless drop_last is True."),
})
