"""Exercise checkers: a learner's function is compared with the reference on random inputs.

``check("to_tanh_range", my_fn)`` prints a helpful message and returns True or False;
``show_solution("to_tanh_range")`` prints the reference. Each chapter registers its exercises
in :data:`EXERCISES`.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

import torch


@dataclass(frozen=True)
class Exercise:
    """A reference solution, a way to draw test inputs, and a hint shown on a wrong answer."""

    reference: Callable[..., Any]
    make_inputs: Callable[[torch.Generator], tuple]
    hint: str


def to_tanh_range(images: torch.Tensor) -> torch.Tensor:
    """Map uint8 pixels 0..255 to float32 in [-1, 1], the output range of a tanh generator."""
    return images.float() / 127.5 - 1.0


def batches_per_epoch(n_images: int, batch_size: int, drop_last: bool) -> int:
    """How many batches one epoch over ``n_images`` gives."""
    full, rest = divmod(n_images, batch_size)
    return full + (1 if rest and not drop_last else 0)


def _uint8_images(g: torch.Generator) -> tuple:
    return (torch.randint(0, 256, (4, 1, 8, 8), generator=g, dtype=torch.uint8),)


def _sizes(g: torch.Generator) -> tuple:
    n, b = torch.randint(1, 5000, (1,), generator=g).item(), torch.randint(1, 300, (1,), generator=g).item()
    return n, b, bool(torch.randint(0, 2, (1,), generator=g).item())


EXERCISES: dict[str, Exercise] = {
    "to_tanh_range": Exercise(to_tanh_range, _uint8_images,
                              "0 must map to -1.0 and 255 to +1.0; convert to float before dividing."),
    "batches_per_epoch": Exercise(batches_per_epoch, _sizes,
                                  "a last, smaller batch counts unless drop_last is True."),
}


def _lookup(name: str) -> Exercise:
    if name not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; choose one of {', '.join(EXERCISES)}")
    return EXERCISES[name]


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(a.float(), b.float(), atol=1e-5)
    return a == b


def check(name: str, fn: Callable[..., Any], trials: int = 20, seed: int = 0) -> bool:
    """Compare ``fn`` with the reference of exercise ``name`` on ``trials`` random inputs."""
    ex = _lookup(name)
    g = torch.Generator().manual_seed(seed)
    for _ in range(trials):
        args = ex.make_inputs(g)
        expected = ex.reference(*args)
        try:
            got = fn(*args)
        except Exception as err:  # a learner's bug: report it, don't crash the notebook
            print(f"✗ {name}: your function raised {type(err).__name__}: {err}")
            return False
        if not _same(got, expected):
            shown = tuple(a.shape if isinstance(a, torch.Tensor) else a for a in args)
            print(f"✗ {name}: wrong result for inputs {shown}.\n  expected {expected!r}\n  got      {got!r}\n"
                  f"  hint: {ex.hint}")
            return False
    print(f"✓ {name}: correct on {trials} random inputs")
    return True


def show_solution(name: str) -> None:
    """Print the reference solution of exercise ``name``."""
    print(inspect.getsource(_lookup(name).reference))
