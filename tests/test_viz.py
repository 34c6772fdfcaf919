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


def test_ablation_table_and_chart_show_the_spread_of_rows_run_on_several_seeds():
    row = {"description": "d", "steps": 10, "n_samples": 100, "confident_rate": 0.5, "class_min_frac": 0.05,
           "class_max_frac": 0.2, "fid": 3.0, "fid_floor": 0.1, "inception_score": 5.0, "date": "2026-12-02"}
    bench = {"seed": 0, "date": "2026-12-02", "hardware": {"cpu_count": 2, "processor": "x86_64", "torch": "2"},
             "rows": {"textbook": {**row, "n_seeds": 3, "spread": {"confident_rate": [0.4, 0.6], "fid": [2.5, 3.5]}},
                      "other": {**row, "date": "2026-11-24"}}}
    table = viz.ablation_table(bench, ["textbook", "other"])
    assert "| textbook | d | 3 | 50.0% (40.0%–60.0%) |" in table and "| 3.00 (2.50–3.50) / 0.10 |" in table
    assert "| other | d | 1 | 50.0% | 5.0%–20.0% | 3.00 / 0.10 |" in table
    assert "seeds per row: 1 or 3" in table and "2026-11-24 to 2026-12-02" in table
    fig = viz.ablation_chart(bench, ["textbook", "other"], ["C0", "C1"])
    assert len(fig.axes) == 2 and all(ax.containers for ax in fig.axes)
    plt.close(fig)


def test_against_baseline_ranks_only_rows_outside_the_baselines_seed_range():
    rows = {"textbook": {"n_seeds": 3, "fid": 10.0, "spread": {"fid": [9.0, 11.0]}},  # half-range 1.0
            "a": {"fid": 7.9}, "b": {"fid": 8.5}, "c": {"n_seeds": 3, "fid": 12.0, "spread": {"fid": [10.5, 13.0]}},
            "d": {"n_seeds": 3, "fid": 13.0, "spread": {"fid": [11.5, 14.0]}}}
    verdicts = viz.against_baseline({"rows": rows}, ["textbook", "a", "b", "c", "d"])
    assert verdicts == {"textbook": "within the spread", "a": "better",  # 7.9 ± 1.0 lies below 9.0
                        "b": "within the spread",  # 8.5 ± 1.0 reaches 9.5: one seed of b may be as bad as the textbook
                        "c": "within the spread", "d": "worse"}
    assert viz.against_baseline({"rows": rows}, ["a", "d"], lower_is_better=False) == {"a": "worse", "d": "better"}
    with pytest.raises(ValueError, match="baseline='a' was run on 1 seed"):
        viz.against_baseline({"rows": rows}, ["b"], baseline="a")


def test_print_verdicts_prints_the_baseline_range_and_each_rows_verdict(capsys):
    rows = {"textbook": {"n_seeds": 3, "fid": 10.0, "confident_rate": 0.5,
                         "spread": {"fid": [9.0, 11.0], "confident_rate": [0.4, 0.6]}},
            "a": {"fid": 7.9, "confident_rate": 0.75}}
    verdicts = viz.print_verdicts({"rows": rows}, ["textbook", "a"], ("fid", "confident_rate"))
    assert verdicts == {"fid": {"textbook": "within the spread", "a": "better"},
                        "confident_rate": {"textbook": "within the spread", "a": "better"}}
    out = capsys.readouterr().out
    assert "textbook over 3 seeds: fid 9–11, confident_rate 0.4–0.6" in out
    assert "a (1 seed(s)) | fid: better, confident_rate: better" in out


def test_side_by_side_puts_one_method_per_column_and_one_input_per_row():
    images = {"input": torch.rand(4, 3, 8, 8), "method": torch.rand(4, 3, 8, 8), "truth": torch.rand(4, 3, 8, 8)}
    fig = viz.side_by_side(images, [0, 2], "compared")
    axes = np.array(fig.axes).reshape(2, 3)
    assert [ax.get_title() for ax in axes[0]] == ["input", "method", "truth"] and fig._suptitle.get_text() == "compared"
    assert np.allclose(axes[1, 1].images[0].get_array(), images["method"][2].permute(1, 2, 0).numpy())
    assert len(viz.side_by_side(images, [1], "one row").axes) == 3
    with pytest.raises(ValueError, match="at least one batch of images and one index"):
        viz.side_by_side(images, [], "nothing")
    plt.close("all")
