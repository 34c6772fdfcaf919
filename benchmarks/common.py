"""What the benchmark scripts share: where results go, how they are written, the run options.

Every script writes its JSON into ``aigc_course/tables/`` (shipped with the package, so notebooks
show the tables wherever they run) through :func:`write_json`, which replaces the file
atomically (``aigc_course.runtime.write_json``), so a run stopped half-way never leaves a half-written
table. Scripts import this module by name: the folder of a running script is on ``sys.path``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from aigc_course import runtime, tables
from aigc_course.chapters import ch02_dcgan_mnist, ch03_dcgan_cifar10, ch05_image_to_image
from aigc_course.train.dcgan import Ablation

RESULTS = tables.TABLES  # the committed tables ship inside the package (aigc_course/tables/)
# The chapters' ablation tables by data set (chapter 2: MNIST, chapter 3: CIFAR-10, chapter 5: where a conditional
# D reads the label, on Fashion-MNIST).
ABLATIONS: dict[str, Ablation] = {"mnist": ch02_dcgan_mnist.ABLATION, "cifar10": ch03_dcgan_cifar10.ABLATION,
                                  "fashion-mnist": ch05_image_to_image.CONDITIONING}


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` as JSON with one-space indents (the committed tables' layout), atomically."""
    runtime.write_json(path, data, indent=1)


def save_rows(result: dict, path: Path, order: list[str]) -> None:
    """Merge ``result``'s rows into the table at ``path`` (kept in ``order``); the other keys are ``result``'s."""
    saved = json.loads(path.read_text()) if path.exists() else {"rows": {}}
    merged = {**saved["rows"], **result["rows"]}
    write_json(path, {**result, "rows": {name: merged[name] for name in order if name in merged}})


def committed_rows(path: Path) -> dict:
    """The rows already committed at ``path`` (none if there is no table yet)."""
    return json.loads(path.read_text())["rows"] if path.exists() else {}


def save_curve(result: dict, path: Path) -> None:
    """Merge a time-to-quality run's rows, named ``"<name> <steps>"``, into the table at ``path``: the committed
    rows stay unless this run measured them again, ordered by name, then by steps."""
    order = sorted({**committed_rows(path), **result["rows"]}, key=lambda n: (n.split()[0], int(n.split()[1])))
    save_rows(result, path, order)
    print(f"[bench] saved {path}")


def finish(result: dict, path: Path, save: bool) -> dict:
    """End a run: write ``result`` to ``path`` if asked (never in --quick mode), print it as one JSON line."""
    if save:
        write_json(path, result)
        print(f"[bench] saved {path}")
    print(json.dumps(result))
    return result


def mean_of_runs(runs: list[dict]) -> dict:
    """The runs' numbers averaged key by key (class fractions element-wise); values the runs share (the sample
    count, the floor) and non-numbers as they are."""
    mean: dict = {}
    for key, value in runs[0].items():
        if isinstance(value, list):
            mean[key] = [round(statistics.fmean(col), 4) for col in zip(*(r[key] for r in runs))]
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and any(r[key] != value for r in runs):
            mean[key] = statistics.fmean(r[key] for r in runs)
        else:
            mean[key] = value
    return mean


def summary(values: list[float]) -> dict:
    """Each value and their mean, min and max (the spread a ranking must beat)."""
    return {"values": values, "mean": round(statistics.fmean(values), 4), "min": min(values), "max": max(values)}


def add_run_arguments(parser: argparse.ArgumentParser, quick_help: str) -> None:
    """The options every training benchmark takes: --seed, --threads, --data-dir, --quick, --save."""
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch CPU threads (1 lets two processes share 2 cores)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--save", action="store_true")


def seed_row(per_seed: dict[str, dict], keys: tuple[str, ...]) -> dict:
    """One table row from per-seed scores: the seeds, their mean (``mean_of_runs``) and the [min, max] spread of
    each of ``keys``."""
    runs = list(per_seed.values())
    return {"n_seeds": len(runs), "seeds": per_seed, **mean_of_runs(runs),
            "spread": {k: [min(r[k] for r in runs), max(r[k] for r in runs)] for k in keys}}


def parse_run_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> tuple[argparse.Namespace, float]:
    """Parse ``argv`` (options from :func:`add_run_arguments` included), apply ``--threads`` to torch, and return
    the options and the start time (``time.perf_counter()``) the result's ``wall_seconds`` counts from."""
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return args, time.perf_counter()
