"""Shared test set-up: results go to a temporary folder, figures to a non-interactive backend."""
from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("AIGC_RESULTS_DIR", str(tmp_path / "results"))


def real_data_dir_or_skip(what: str) -> str:
    """DATA_DIR when it holds ``what``; skips elsewhere, but fails under CI, where the data must be there."""
    data_dir = os.environ.get("DATA_DIR", "")
    if data_dir and os.path.exists(os.path.join(data_dir, what)):
        return data_dir
    message = f"real data {what!r} not found under DATA_DIR={data_dir!r}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run on the real data)")
    pytest.skip(message)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, start the notebooks first, longest first, interleaved so that the two workers'
    first pairs are about equally long (1st + 4th, 2nd + 3rd, by last measured time); the short unit tests
    then fill in around them. Without workers the order does not matter and is left alone."""
    if not getattr(config.option, "numprocesses", None):
        return
    import json
    from pathlib import Path

    index = json.loads((Path(__file__).resolve().parents[1] / "notebooks" / "index.json").read_text())
    seconds = {e["notebook"]: e.get("quick_cpu_seconds") or 0 for e in index["notebooks"]}
    notebooks = [it for it in items if it.get_closest_marker("notebook")]
    notebooks.sort(key=lambda it: -seconds.get(getattr(it, "callspec", None) and it.callspec.id or "", 0))
    if len(notebooks) >= 4:
        notebooks[1:4] = [notebooks[3], notebooks[1], notebooks[2]]
    rest = [it for it in items if not it.get_closest_marker("notebook")]
    items[:] = notebooks + rest
