"""Shared test set-up: results go to a temporary folder, figures to a non-interactive backend."""
from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    """Every test writes its results, figures, models and caches into its own folder: parallel workers never
    share a file, and the checkout's build/ keeps only what the notebook runs leave."""
    monkeypatch.setenv("AIGC_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("AIGC_BUILD_DIR", str(tmp_path / "build"))


def real_data_dir_or_skip(what: str) -> str:
    """DATA_DIR when it holds ``what``; skips elsewhere, but fails under CI, where the data must be there."""
    data_dir = os.environ.get("DATA_DIR", "")
    if data_dir and os.path.exists(os.path.join(data_dir, what)):
        return data_dir
    message = f"real data {what!r} not found under DATA_DIR={data_dir!r}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run on the real data)")
    pytest.skip(message)



def crop_is_in(photos, crop) -> bool:
    """Whether the uint8 ``crop`` (3, h, w), or its mirror image, is an exact window of one of ``photos``
    (a PhotoSet): OpenCV's template matching, exact up to float32 rounding."""
    import cv2
    import numpy as np

    for p in photos.photos:
        img = p.permute(1, 2, 0).numpy().astype(np.float32)
        for c in (crop, crop.flip(-1)):
            t = c.permute(1, 2, 0).numpy().astype(np.float32)
            if cv2.matchTemplate(img, t, cv2.TM_SQDIFF_NORMED).min() < 1e-6:
                return True
    return False
