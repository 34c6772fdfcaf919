"""Execute every course notebook once, in quick mode, with papermill (what CI runs).

Each run leaves its executed copy in build/notebooks/ (open it to look at the figures) and its
recorded numbers in build/results/.
"""
import json

import pytest

from aigc_course.chapters import (
    ch01_gan_math,
    ch02_dcgan_mnist,
    ch05_image_to_image,
    ch06_super_resolution,
    ch07_inpainting_and_style,
    ch08_video_interpolation,
    ch09_style_based_generators,
    ch10_diffusion,
)
from aigc_course.course import BUILD, execute_notebook, export_html, notebooks

# Bars a chapter's quick-mode run must meet, checked on the numbers it recorded: (meets, bar) from its module.
QUICK_BARS = {"01_gan_math": (ch01_gan_math.meets, ch01_gan_math.QUICK_BAR),
              "02_dcgan_mnist": (ch02_dcgan_mnist.meets, ch02_dcgan_mnist.QUICK_BAR),
              "05_image_to_image": (ch05_image_to_image.meets, ch05_image_to_image.QUICK_BAR),
              "06_super_resolution": (ch06_super_resolution.meets, ch06_super_resolution.QUICK_BAR),
              "07_inpainting_and_style": (ch07_inpainting_and_style.meets, ch07_inpainting_and_style.QUICK_BAR),
              "08_video_interpolation": (ch08_video_interpolation.meets, ch08_video_interpolation.QUICK_BAR),
              "09_style_based_generators": (ch09_style_based_generators.meets, ch09_style_based_generators.QUICK_BAR),
              "10_diffusion": (ch10_diffusion.meets, ch10_diffusion.QUICK_BAR)}


@pytest.fixture(autouse=True)
def _results_in_build(monkeypatch):
    monkeypatch.setenv("AIGC_RESULTS_DIR", str(BUILD / "results"))
    monkeypatch.setenv("AIGC_BUILD_DIR", str(BUILD))


@pytest.mark.notebook
@pytest.mark.parametrize("path", notebooks(), ids=[p.name for p in notebooks()])
def test_notebook_runs_in_quick_mode(path):
    execute_notebook(path, mode="quick")
    results = BUILD / "results" / f"{path.stem}.json"
    assert results.exists(), f"{path.name} did not record its results"
    recorded = json.loads(results.read_text())["results"]
    assert recorded["quick"] is True
    if path.stem in QUICK_BARS:
        meets, bar = QUICK_BARS[path.stem]
        assert meets(recorded, bar), f"{path.name} missed its quick-mode bar {bar}: {recorded}"
    html = export_html(BUILD / "notebooks" / path.name).read_text(encoding="utf-8")  # what `make course` publishes
    assert html.count("data:image/png;base64") >= 2, f"{path.name} shows (almost) no figures"
