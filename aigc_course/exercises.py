"""Exercise checkers: a learner's function is compared with the reference on random inputs.

The references are the package's own functions (the losses the engine trains with), so an exercise
checks the learner against the code that really runs. Each chapter module keeps its exercises in
an :class:`ExerciseSet`:

``chapter.exercises.check("slerp", my_slerp)`` prints a helpful message and returns True or False;
``chapter.exercises.show_solution("slerp")`` prints the reference.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from .runtime import check_choice


@dataclass(frozen=True)
class Exercise:
    """A reference solution, a way to draw test inputs, and a hint shown on a wrong answer."""

    reference: Callable[..., Any]
    make_inputs: Callable[[torch.Generator], tuple]
    hint: str
    # An extra property the answer must have beyond its value, e.g. "the penalty can be differentiated
    # with respect to the critic's weights": returns what is wrong, or None.
    property_check: Callable[[Any, tuple], str | None] | None = None


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype
                and torch.allclose(a.double(), b.double(), atol=1e-5, equal_nan=False))
    if isinstance(b, float):
        return isinstance(a, (int, float)) and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return a == b


def _brief(value: Any) -> str:
    """A short description of a result: a tensor's shape and first values, anything else as repr."""
    if isinstance(value, torch.Tensor):
        head = ", ".join(f"{v:.4g}" for v in value.flatten()[:4].tolist())
        return (f"{str(value.dtype).removeprefix('torch.')} tensor of shape {tuple(value.shape)} "
                f"starting [{head}{', …' if value.numel() > 4 else ''}]")
    return repr(value)


class ExerciseSet:
    """One chapter's exercises by name, with the checker and the solutions."""

    def __init__(self, exercises: Mapping[str, Exercise]) -> None:
        self.exercises = dict(exercises)

    def __getitem__(self, name: str) -> Exercise:
        return self.exercises[check_choice("exercise", name, tuple(self.exercises))]

    def check(self, name: str, fn: Callable[..., Any], trials: int = 20, seed: int = 0) -> bool:
        """Compare ``fn`` with the reference of exercise ``name`` on ``trials`` random inputs.

        The inputs come from a private random stream: checking never changes the learner's global RNG.
        """
        ex = self[name]
        g = torch.Generator().manual_seed(seed)
        for _ in range(trials):
            with torch.random.fork_rng():
                args = ex.make_inputs(g)
            expected = ex.reference(*args)
            try:
                got = fn(*args)
            except Exception as err:  # a learner's bug: report it, don't crash the notebook
                print(f"✗ {name}: your function raised {type(err).__name__}: {err}")
                return False
            if not _same(got, expected):
                shown = tuple(tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__
                              if isinstance(a, torch.nn.Module) else a for a in args)
                print(f"✗ {name}: wrong result for inputs {shown}.\n  expected {_brief(expected)}\n"
                      f"  got      {_brief(got)}\n  hint: {ex.hint}")
                return False
            problem = ex.property_check(got, args) if ex.property_check is not None else None
            if problem:
                print(f"✗ {name}: the value is right, but {problem}\n  hint: {ex.hint}")
                return False
        print(f"✓ {name}: correct on {trials} random inputs")
        return True

    def show_solution(self, name: str) -> None:
        """Print the reference solution of exercise ``name``."""
        print(inspect.getsource(self[name].reference))
