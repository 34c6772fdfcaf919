import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from aigc_course import viz


def test_to_grid_ranges():
    g = viz.to_grid(torch.full((4, 1, 5, 5), 255, dtype=torch.uint8), nrow=2)
    assert g.shape[-1] == 3 and np.isclose(g.max(), 1.0)
    signed = torch.linspace(-1, 1, 4 * 3 * 4 * 4).view(4, 3, 4, 4)
    assert 0.0 <= viz.to_grid(signed).min() and viz.to_grid(signed).max() <= 1.0


def test_figures_have_titles_and_labels():
    fig = viz.show_grid(torch.rand(16, 1, 8, 8) * 2 - 1, title="grid", nrow=4)
    assert fig.axes[0].get_title() == "grid"
    fig = viz.plot_curves({"D": [1, 0.5], "G": [2, 1]}, title="losses", ylabel="loss")
    ax = fig.axes[0]
    assert ax.get_title() == "losses" and ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["D", "G"]
    fig = viz.class_histogram(torch.tensor([0, 1, 1, 2]), ["a", "b", "c"], title="classes")
    assert np.allclose([p.get_height() for p in fig.axes[0].patches], [0.25, 0.5, 0.25])
    fig = viz.interpolation_strip({"linear": torch.rand(5, 1, 8, 8), "slerp": torch.rand(5, 1, 8, 8)}, "interp")
    assert [a.get_title() for a in fig.axes] == ["linear", "slerp"]
    plt.close("all")


def test_save_animation_writes_every_frame(tmp_path):
    frames = [torch.full((4, 1, 8, 8), v) for v in (-1.0, 0.0, 1.0)]
    path = viz.save_animation(frames, tmp_path / "anim.gif", labels=["a", "b", "c"])
    with Image.open(path) as im:
        assert im.n_frames == 3
    with pytest.raises(ValueError, match="at least one frame"):
        viz.save_animation([], tmp_path / "x.gif")


def test_live_figure_keeps_latest_figure_outside_jupyter():
    from aigc_course.train import History

    h = History(steps=[0, 1, 2], values={"loss_d": [1.0, 0.9, 0.8], "loss_g": [2.0, 1.5, 1.2]})
    live = viz.LiveFigure(nrow=4)
    live(2, h, torch.rand(8, 1, 8, 8))
    live(3, h, torch.rand(8, 1, 8, 8))
    titles = [ax.get_title() for ax in live.figure.axes]
    assert titles == ["samples at step 3", "losses"]
    assert len(live.figure.axes[1].get_lines()) == 2
    plt.close("all")
