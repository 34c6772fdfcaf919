"""Run settings shared by every notebook: device choice, seeding, parameter checks, safe JSON writes.

Every notebook's parameters cell holds ``QUICK``, ``SEED``, ``DEVICE`` and ``DATA_DIR``;
:func:`setup` checks them all before any work starts and returns a :class:`RunConfig`.
"""
from __future__ import annotations

import json
import os
import platform
import random
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

DEVICES = ("auto", "cpu", "cuda", "mps")
QUICK_VALUES = ("auto", True, False)
REPO_ROOT = Path(__file__).resolve().parents[1]


def in_checkout() -> bool:
    """True when the package runs from a source checkout (``make``'s editable install), not a plain ``pip install``."""
    return (REPO_ROOT / "pyproject.toml").exists() and (REPO_ROOT / "notebooks").is_dir()


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; otherwise raise a ValueError naming both."""
    allowed = tuple(allowed)
    # `True in (1,)` is true in Python, so compare types too for booleans.
    if not any(value == a and type(value) is type(a) for a in allowed):
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")
    return value


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` if it is an integer >= ``minimum``; otherwise raise a clear ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r} is not allowed; it must be an integer >= {minimum}")
    return int(value)


def check_float(name: str, value: Any, minimum: float = 0.0, inclusive: bool = False) -> float:
    """Return ``value`` as float if it is a number above ``minimum`` (or equal, when ``inclusive``)."""
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < minimum or (value == minimum and not inclusive):
        bound = ">=" if inclusive else ">"
        raise ValueError(f"{name}={value!r} is not allowed; it must be a finite number {bound} {minimum}")
    return float(value)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) so a run can be repeated."""
    check_int("SEED", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def device(name: str = "auto", seed: int | None = None, verbose: bool = True) -> torch.device:
    """Pick the training device (CUDA > MPS > CPU for ``"auto"``), say why, and seed everything.

    Asking for a device that is not present is an error, not a silent fallback: a learner who set
    ``DEVICE="cuda"`` should learn that no GPU is visible.
    """
    check_choice("DEVICE", name, DEVICES)
    if name == "auto":
        if torch.cuda.is_available():
            picked, why = "cuda", f"a CUDA GPU is visible ({torch.cuda.get_device_name(0)})"
        elif _mps_available():
            picked, why = "mps", "Apple-silicon GPU (MPS) is available"
        else:
            picked, why = "cpu", "no CUDA or MPS GPU is visible"
    else:
        present = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}[name]
        if not present:
            raise ValueError(f"DEVICE={name!r} was requested but is not available here; "
                             f"use 'auto' or 'cpu' (allowed: {', '.join(map(repr, DEVICES))})")
        picked, why = name, "requested"
    if verbose:
        extra = f", {torch.get_num_threads()} CPU threads" if picked == "cpu" else ""
        print(f"[device] using {picked}: {why}{extra}")
    if seed is not None:
        seed_everything(seed)
        if verbose:
            print(f"[device] seeded Python, NumPy and torch with SEED={seed}")
    return torch.device(picked)


@dataclass(frozen=True)
class Budget:
    """A notebook parameter's default in each mode: ``quick`` on a laptop CPU, ``full`` on a GPU."""

    quick: Any
    full: Any


@dataclass(frozen=True)
class RunConfig:
    """The checked settings of one notebook run."""

    quick: bool
    seed: int
    device: torch.device
    data_dir: Path

    def pick(self, quick: Any, full: Any) -> Any:
        """Return ``quick`` in quick mode and ``full`` otherwise, e.g. ``cfg.pick(800, 20_000)`` steps."""
        return quick if self.quick else full

    def budget(self, name: str, value: Any, budgets: Mapping[str, Budget], minimum: int = 1) -> int:
        """A count parameter of a notebook: ``value`` when the learner set it, else this mode's default
        from ``budgets[name]`` (a chapter's ``BUDGETS``); either way checked to be an integer >= ``minimum``."""
        if value is None:
            default = budgets[check_choice("budget", name, tuple(budgets))]
            value = self.pick(default.quick, default.full)
        return check_int(name, value, minimum)


def default_data_dir() -> Path:
    """``$DATA_DIR`` if set, else the repository's ``data/`` (outside a checkout: ``data/`` in the working folder)."""
    return Path(os.environ.get("DATA_DIR") or (REPO_ROOT if in_checkout() else Path.cwd()) / "data")


def build_dir() -> Path:
    """Where runs leave what they make (results, figures, saved models, caches): ``$AIGC_BUILD_DIR`` if set,
    else ``build/`` in a checkout, else ``build/`` beside the notebook (the working folder) after ``pip install``."""
    if os.environ.get("AIGC_BUILD_DIR"):
        return Path(os.environ["AIGC_BUILD_DIR"])
    return (REPO_ROOT if in_checkout() else Path.cwd()) / "build"


def figures_dir() -> Path:
    """Where notebooks save their figures and animations: ``<build_dir>/figures``, created on first use."""
    path = build_dir() / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def setup(QUICK: Any = "auto", SEED: Any = 0, DEVICE: Any = "auto", DATA_DIR: Any = None,
          verbose: bool = True) -> RunConfig:
    """Check a notebook's standard parameters, pick the device, seed, and decide quick vs full.

    ``QUICK="auto"`` means quick mode on a CPU and full mode on a GPU. Every bad value raises a
    ValueError naming the allowed values before any work starts.
    """
    check_choice("QUICK", QUICK, QUICK_VALUES)
    check_int("SEED", SEED, minimum=0)
    check_choice("DEVICE", DEVICE, DEVICES)
    if DATA_DIR is not None and not isinstance(DATA_DIR, (str, os.PathLike)):
        raise ValueError(f"DATA_DIR={DATA_DIR!r} is not allowed; give a folder path or None for the default")
    dev = device(DEVICE, seed=SEED, verbose=verbose)
    quick = dev.type == "cpu" if QUICK == "auto" else QUICK
    data_dir = Path(DATA_DIR) if DATA_DIR is not None else default_data_dir()
    if verbose:
        why = f"QUICK='auto' on {dev.type}" if QUICK == "auto" else f"QUICK={QUICK}"
        print(f"[mode] {'quick' if quick else 'full'} mode ({why})")
        print(f"[data] DATA_DIR = {data_dir}")
    return RunConfig(quick=quick, seed=SEED, device=dev, data_dir=data_dir)


def hardware() -> dict[str, Any]:
    """A short description of the machine, stored beside every recorded result."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def source_version() -> dict[str, Any]:
    """The git commit this package runs from, and whether the checkout had uncommitted changes.

    ``{"commit": None, "dirty": None}`` outside a git checkout (e.g. an installed wheel): unknown, not guessed.
    """
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True,
                                  timeout=10, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    changes = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if changes is None else bool(changes)}


def write_json(path: Path, data: Any, indent: int = 2) -> Path:
    """Write ``data`` to ``path`` as JSON, atomically: a temporary file beside it, then ``os.replace``.

    A run stopped half-way leaves the previous file, never half a table; results, classifier records
    and benchmark tables are all written through here.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=indent) + "\n")
    os.replace(tmp, path)
    return path


def package_versions() -> dict[str, str]:
    """Installed versions of the packages the course depends on ('missing' where absent)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ("torch", "torchvision", "torchmetrics", "numpy", "matplotlib", "tqdm", "ipywidgets", "pillow"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "missing"
    return out
