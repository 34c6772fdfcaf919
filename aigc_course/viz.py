"""Figures used across the course: image grids, curves, sample-evolution animations, interpolation strips.

Every function returns its matplotlib Figure (tests and notebooks can inspect it) and gives it a
title and labelled axes.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import animation
from torchvision.utils import make_grid


def to_grid(images: torch.Tensor, nrow: int = 8, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Tile a batch (N, C, H, W) into one H×W×C array in [0, 1] with torchvision's ``make_grid``.

    uint8 images are taken as 0..255; float images as ``value_range`` (default: [-1, 1] if any value
    is negative, else [0, 1]).
    """
    images = images.detach().cpu()
    if images.dtype == torch.uint8:
        images, value_range = images.float(), (0.0, 255.0)
    elif value_range is None:
        value_range = (-1.0, 1.0) if images.min() < 0 else (0.0, 1.0)
    grid = make_grid(images.float(), nrow=nrow, normalize=True, value_range=value_range, pad_value=1.0)
    return grid.permute(1, 2, 0).numpy()


def show_grid(images: torch.Tensor, title: str, nrow: int = 8, value_range: tuple[float, float] | None = None,
              ax: plt.Axes | None = None) -> plt.Figure:
    """Show a batch of images as one grid."""
    if ax is None:
        side = min(8.0, 1.0 + 0.6 * nrow)
        _, ax = plt.subplots(figsize=(side, side * np.ceil(len(images) / nrow) / nrow))
    grid = to_grid(images, nrow, value_range)
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", interpolation="nearest")
    ax.set_title(title)
    ax.set_axis_off()
    return ax.figure


def side_by_side(images: Mapping[str, torch.Tensor], indices: Sequence[int], title: str,
                 size: float = 1.8) -> plt.Figure:
    """Methods compared on the same inputs: one column per entry of ``images`` (name → a batch (N, 3, H, W) in
    [0, 1], all batches in the same order), titled with its name, and one row per index in ``indices``."""
    if not images or not indices:
        raise ValueError(f"give at least one batch of images and one index; got {len(images)} and {len(indices)}")
    fig, axes = plt.subplots(len(indices), len(images), squeeze=False,
                             figsize=(size * len(images), size * len(indices) + 0.5))
    for r, i in enumerate(indices):
        for c, (name, batch) in enumerate(images.items()):
            axes[r, c].imshow(batch[i].detach().cpu().permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            axes[r, c].set_axis_off()
            if r == 0:
                axes[r, c].set_title(name, fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(series: Mapping[str, Sequence[float]], title: str, xlabel: str = "step", ylabel: str = "value",
                steps: Sequence[float] | None = None, ax: plt.Axes | None = None, logy: bool = False) -> plt.Figure:
    """Plot named curves (e.g. losses) against ``steps`` (default: 0, 1, 2, ...)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    for label, values in series.items():
        x = steps if steps is not None else np.arange(len(values))
        ax.plot(x, values, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax.figure


def animate(draw: Callable[[plt.Axes, int], None], n_frames: int, path: str | Path, figsize=(5, 4),
            fps: int = 4) -> Path:
    """Save a GIF whose frame ``i`` is drawn by ``draw(ax, i)`` on a cleared axis; return its path.

    ``IPython.display.Image(path)`` shows it inline in a notebook (and it stays visible in exported HTML).
    """
    if n_frames < 1:
        raise ValueError("an animation needs at least one frame")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=figsize)

    def frame(i: int) -> list:
        ax.clear()
        draw(ax, i)
        return []

    animation.FuncAnimation(fig, frame, frames=n_frames, blit=False).save(path, writer=animation.PillowWriter(fps=fps))
    plt.close(fig)
    return path


def save_animation(frames: Sequence[torch.Tensor], path: str | Path, title: str = "samples during training",
                   labels: Sequence[str] | None = None, nrow: int = 8, fps: int = 4) -> Path:
    """Save a GIF of image grids (one grid per frame, e.g. a fixed noise batch over training)."""

    def draw(ax: plt.Axes, i: int) -> None:
        show_grid(frames[i], title=f"{title}: {labels[i]}" if labels else f"{title} ({i + 1}/{len(frames)})",
                  nrow=nrow, ax=ax)

    return animate(draw, len(frames), path, figsize=(4, 4), fps=fps)


def controls(run: Callable[..., Any], defaults: Mapping[str, Any], options: Mapping[str, Any]) -> Any:
    """Run ``run(**defaults)`` once, then, in a Jupyter front end, offer widgets to re-run it.

    ``options`` maps each argument to an ipywidgets abbreviation (a list of choices, a (min, max,
    step) tuple, ...). Without ipywidgets or a kernel (e.g. a script) only the default run happens,
    so the output is always there; the widgets are an extra.
    """
    result = run(**defaults)
    try:
        import ipywidgets
        from IPython import get_ipython
    except ImportError:
        return result
    if get_ipython() is not None and "IPKernelApp" in get_ipython().config:
        from_abbrev = ipywidgets.interactive.widget_from_abbrev
        kwargs = {k: from_abbrev(options[k], v) if k in options else ipywidgets.fixed(v) for k, v in defaults.items()}
        ipywidgets.interact_manual.options(manual_name="re-run")(run, **kwargs)
    return result


def interpolation_strip(rows: Mapping[str, torch.Tensor], title: str) -> plt.Figure:
    """One row of images per named interpolation (e.g. ``{"linear": ..., "slerp": ...}``)."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(10, 1.4 * len(rows)), squeeze=False)
    for ax, (name, imgs) in zip(axes[:, 0], rows.items()):
        show_grid(imgs, title=name, nrow=len(imgs), ax=ax)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def class_histogram(labels: torch.Tensor, classes: Sequence[str], title: str) -> plt.Figure:
    """Bar chart of how often each class occurs (real labels or a classifier's predictions)."""
    counts = torch.bincount(labels.detach().cpu().long(), minlength=len(classes)).numpy()
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(range(len(classes)), counts / max(1, counts.sum()))
    ax.set_xticks(range(len(classes)), classes, rotation=45 if max(map(len, classes)) > 2 else 0)
    ax.set(title=title, xlabel="class", ylabel="fraction of images")
    fig.tight_layout()
    return fig


class LiveFigure:
    """A training callback that redraws one figure (samples + loss curves) in place in Jupyter.

    Pass it as ``fit_gan(..., sample_every=200, live=LiveFigure())``. It updates a single output
    (an IPython display handle), so the notebook does not fill up with figures. Outside Jupyter it
    only keeps the latest figure in :attr:`figure` (the static fallback shows it at the end).
    """

    def __init__(self, nrow: int = 8) -> None:
        self.nrow = nrow
        self.figure: plt.Figure | None = None
        self._handle = None

    def __call__(self, step: int, history, samples: torch.Tensor) -> None:
        if self.figure is not None:
            plt.close(self.figure)
        fig, (ax_img, ax_loss) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1, 1.4]})
        show_grid(samples, title=f"samples at step {step}", nrow=self.nrow, ax=ax_img)
        for key in [k for k in history.values if k.startswith("loss")]:
            ax_loss.plot(history.steps, history.values[key], label=key, lw=0.8)
        ax_loss.set(title="losses", xlabel="step", ylabel="loss")
        ax_loss.grid(alpha=0.3)
        ax_loss.legend()
        fig.tight_layout()
        self.figure = fig
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is None or "IPKernelApp" not in get_ipython().config:
            return  # not in a Jupyter kernel
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)  # shown through the handle; stop the inline backend from showing it again


def ablation_colors(ablation, names: Sequence[str]) -> list[str]:
    """Bar colours of an ablation chart: green the chapter's row, red a "failure" row, orange a row that
    uses the labels (class-conditional), blue the rest. ``ablation`` is a :class:`~aigc_course.train.dcgan.Ablation`."""
    return ["C2" if n == ablation.chapter else "C3" if "failure" in ablation.description(n)
            else "C1" if ablation.config(n).n_classes else "C0" for n in names]


def _seed_range(row: Mapping[str, Any], key: str) -> tuple[float, float] | None:
    """The min and max of ``row[key]`` over seeds, or None for a row run on one seed."""
    return tuple(row["spread"][key]) if row.get("n_seeds", 1) > 1 else None


def with_spread(row: Mapping[str, Any], key: str, fmt: str) -> str:
    """``row[key]`` formatted, followed by its min–max over seeds when the row was run on several."""
    value, spread = format(row[key], fmt), _seed_range(row, key)
    return value if spread is None else f"{value} ({format(spread[0], fmt)}–{format(spread[1], fmt)})"


def ablation_table(bench: Mapping[str, Any], names: Sequence[str], asked: str = "class",
                   fid_label: str = "FID / floor") -> str:
    """A committed ablation table (``aigc_course.tables.load("dcgan_ablation_*")``) as Markdown, rows in ``names``'
    order, under a caption that says how and where it was measured. A row run on several seeds shows the mean
    with the min–max over seeds in brackets, and its seed count."""
    rows, hw = bench["rows"], bench["hardware"]
    first = rows[names[0]]
    seed_counts = sorted({rows[n].get("n_seeds", 1) for n in names})
    seeds = (f"seed {bench['seed']}" if seed_counts == [1] else
             "seeds per row: " + " or ".join(map(str, seed_counts)) + " (the seeds column)")
    dates = sorted({rows[n].get("date", bench["date"]) for n in names})
    steps = sorted({rows[n]["steps"] for n in names})
    steps_said = (f"{steps[0]} generator steps per row" if len(steps) == 1 else
                  "generator steps " + ", ".join(map(str, steps)) + " (see the rows)")
    caption = (f"**{steps_said}, {first['n_samples']:,} samples, {seeds}, "
               f"{' to '.join([dates[0], dates[-1]] if len(dates) > 1 else dates)}, "
               f"{hw['cpu_count']}-core {hw['processor']} CPU, torch {hw['torch']}**")
    header = (f"| row | change | seeds | confident | classes (min–max) | {fid_label} | IS analogue | "
              f"judge = asked {asked} |\n|---|---|---|---|---|---|---|---|")
    lines = [f"| {name} | {r['description']} | {r.get('n_seeds', 1)} | {with_spread(r, 'confident_rate', '.1%')} | "
             f"{r['class_min_frac']:.1%}–{r['class_max_frac']:.1%} | {with_spread(r, 'fid', '.2f')} / "
             f"{r['fid_floor']:.2f} | {r['inception_score']:.2f} | "
             f"{format(r['label_agreement'], '.1%') if r.get('label_agreement') is not None else '–'} |"
             for name in names for r in [rows[name]]]
    return "\n".join([caption, "", header, *lines])


def against_baseline(bench: Mapping[str, Any], names: Sequence[str], key: str = "fid", baseline: str = "textbook",
                     lower_is_better: bool = True) -> dict[str, str]:
    """Each row's ``key`` against the baseline row's range over seeds: "better", "worse" or "within the spread".

    Only a row whose whole range lies outside the baseline's seed range is called better or worse: a smaller
    difference is not a ranking. A row's range is its seeds' min–max; a row of one seed has no spread of its
    own, so it is taken to vary as much as the baseline (its value ± half the baseline's range). The baseline
    row must have been run on at least 2 seeds.
    """
    base = bench["rows"][baseline]
    base_range = _seed_range(base, key)
    if base_range is None:
        raise ValueError(f"baseline={baseline!r} was run on {base.get('n_seeds', 1)} seed; its spread needs >= 2")
    low, high = base_range
    half = (high - low) / 2
    verdicts = {}
    for name in names:
        row = bench["rows"][name]
        lo, hi = _seed_range(row, key) or (row[key] - half, row[key] + half)
        below, above = hi < low, lo > high
        verdicts[name] = ("better" if (below if lower_is_better else above) else
                          "worse" if (above if lower_is_better else below) else "within the spread")
    return verdicts


def print_verdicts(bench: Mapping[str, Any], names: Sequence[str], keys: Sequence[str] = ("fid",),
                   baseline: str = "textbook") -> dict[str, dict[str, str]]:
    """Print the baseline's range over seeds and each other row's :func:`against_baseline` verdict for every
    metric in ``keys`` (FID: lower is better; the others: higher); return the verdicts by metric, then row."""
    verdicts = {key: against_baseline(bench, names, key, baseline, lower_is_better=key == "fid") for key in keys}
    base = bench["rows"][baseline]
    spreads = ", ".join(f"{key} {base['spread'][key][0]:.3g}–{base['spread'][key][1]:.3g}" for key in keys)
    print(f"{baseline} over {base['n_seeds']} seeds: {spreads}")
    for name in names:
        if name != baseline:
            said = ", ".join(f"{key}: {verdicts[key][name]}" for key in keys)
            print(f"{name:>20} ({bench['rows'][name].get('n_seeds', 1)} seed(s)) | {said}")
    return verdicts


def _spread_bars(rows: Mapping[str, Any], names: Sequence[str], key: str) -> dict:
    """``barh`` error-bar arguments spanning each row's min–max over seeds (none for single-seed rows)."""
    ranges = [_seed_range(rows[n], key) for n in names]
    if all(r is None for r in ranges):
        return {}
    spreads = [r or (rows[n][key], rows[n][key]) for n, r in zip(names, ranges)]
    low = [rows[n][key] - lo for n, (lo, _) in zip(names, spreads)]
    high = [hi - rows[n][key] for n, (_, hi) in zip(names, spreads)]
    return {"xerr": [low, high], "error_kw": {"ecolor": "k", "capsize": 0, "lw": 1.5}}  # no caps: one seed, no line


def ablation_chart(bench: Mapping[str, Any], names: Sequence[str], colors: Sequence[str],
                   confident: bool = True, real_confident_rate: float | None = None,
                   baseline: str = "textbook") -> plt.Figure:
    """Bars per ablation row: the confident rate (when ``confident``, beside the ``baseline`` row and real
    images) and classifier-feature FID on a log scale beside the real-vs-real floor; whiskers span the min–max
    over seeds of rows run on several."""
    rows = bench["rows"]
    fig, axes = plt.subplots(1, 2 if confident else 1, figsize=(11 if confident else 7, 0.35 * len(names) + 1.2),
                             sharey=True, squeeze=False)
    axes = list(axes[0])
    if confident:
        ax = axes.pop(0)
        ax.barh(names, [rows[n]["confident_rate"] for n in names], color=colors,
                **_spread_bars(rows, names, "confident_rate"))
        ax.axvline(rows[baseline]["confident_rate"], color="k", ls=":", label=baseline)
        if real_confident_rate is not None:
            ax.axvline(real_confident_rate, color="grey", ls="--", label="real images")
        ax.set(title="confident rate (higher is better)",
               xlabel=f"fraction of {rows[names[0]]['n_samples']:,} samples", xlim=(0, 1))
        ax.legend(fontsize=8)
    ax = axes[0]
    ax.barh(names, [rows[n]["fid"] for n in names], color=colors, **_spread_bars(rows, names, "fid"))
    ax.axvline(rows[baseline]["fid_floor"], color="grey", ls="--", label="real-vs-real floor")
    ax.set(title="FID on classifier features (lower is better)", xlabel="FID (log scale)", xscale="log")
    ax.legend(fontsize=8)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def measured_on(table: Mapping[str, Any]) -> str:
    """Where and when a committed benchmark table (``aigc_course.tables.load``) was measured, in words."""
    hw = table["hardware"]
    return (f"measured {table['date']} on a {hw['cpu_count']}-core {hw['processor']} CPU, torch {hw['torch']}, "
            f"{table.get('torch_threads', hw.get('torch_threads'))} thread(s)")
