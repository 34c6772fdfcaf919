"""The results contract: each notebook records its key numbers in one JSON file.

``record_results("02_dcgan_mnist", {...})`` writes ``build/results/02_dcgan_mnist.json`` (the folder
can be moved with ``AIGC_RESULTS_DIR``). Tests, benchmarks and the README read these files, so a
number quoted anywhere comes from a run, not from a hand edit.
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .runtime import build_dir, hardware, write_json


def results_dir() -> Path:
    """``$AIGC_RESULTS_DIR`` if set, else ``results/`` in :func:`~aigc_course.runtime.build_dir`."""
    return Path(os.environ.get("AIGC_RESULTS_DIR") or build_dir() / "results")


def _plain(value: Any) -> Any:
    """Turn tensors, NumPy values and nested containers into JSON-ready Python values."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf; keep them visible as strings
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (Path, torch.device)):
        return str(value)
    raise TypeError(f"cannot record {type(value).__name__} value {value!r}; use numbers, strings, lists or dicts")


def record_results(notebook: str, values: Mapping[str, Any]) -> Path:
    """Write ``values`` (plus time and hardware) to ``<results_dir>/<notebook-stem>.json``; return the path.

    The file is replaced atomically, so a reader never sees half a file.
    """
    stem = Path(notebook).stem
    if not stem:
        raise ValueError(f"notebook={notebook!r} is not allowed; give the notebook's name, e.g. '00_setup'")
    payload = {"notebook": stem, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "hardware": hardware(), "results": _plain(dict(values))}
    out = write_json(results_dir() / f"{stem}.json", payload)
    print(f"[results] recorded {len(values)} values in {out}")
    return out


def load_results(notebook: str) -> dict[str, Any]:
    """Read back the ``results`` part of a notebook's recorded JSON."""
    path = results_dir() / f"{Path(notebook).stem}.json"
    if not path.exists():
        raise FileNotFoundError(f"no results recorded for {notebook!r} at {path}; run the notebook first")
    return json.loads(path.read_text())["results"]
