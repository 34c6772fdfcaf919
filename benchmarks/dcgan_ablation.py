"""Chapter 2/3 ablation: every row of a chapter's ``ABLATION`` (``aigc_course.chapters``), trained at the
chapter's budget, then scored.

    python benchmarks/dcgan_ablation.py --dataset mnist --save            # all rows, chapter budget
    python benchmarks/dcgan_ablation.py --rows textbook ema --threads 1   # some rows, one core each
    python benchmarks/dcgan_ablation.py --rows textbook ema --seeds 3     # each row on seeds 0, 1, 2
    python benchmarks/dcgan_ablation.py --quick                           # a smoke run (CI)

Each row trains from the same seed for the same number of generator steps (budgets are step
counts, so a busy machine changes the seconds, not the result), samples 10,000 images (2,000 for CIFAR-10) untruncated
and scores them with the shipped classifier. With ``--seeds N`` each row is trained and scored on N seeds
(``--seed`` onwards): its numbers are then the mean, ``seeds`` holds every run's and ``spread`` the min and max
of the confident rate and FID, the spread a ranking must beat. ``--save`` merges the rows into
``aigc_course/tables/dcgan_ablation_<dataset>.json`` with the hardware and date; the chapter notebook shows that
table. The last line printed is the JSON of this run.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date

import torch

from aigc_course.data import load_dataset, to_unit_range
from aigc_course.metrics import score_samples
from aigc_course.metrics.classifier import load_classifier
from aigc_course.metrics.scores import fid_floor
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train import sample_labels
from aigc_course.train.dcgan import train_config

from common import (  # this folder is on sys.path when a script in it runs
    ABLATIONS,
    RESULTS,
    add_run_arguments,
    save_rows,
)


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


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist", choices=sorted(ABLATIONS))
    p.add_argument("--rows", nargs="*", help="row names (default: all)")
    p.add_argument("--steps", type=int, help="generator steps per row (default: the chapter's quick budget)")
    p.add_argument("--samples", type=int, help="samples scored per row (default: the dataset's, 10,000 for MNIST)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per row, from --seed on (default 1)")
    add_run_arguments(p, "smoke run: 2 rows, 20 steps, 500 samples")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error(f"--seeds={args.seeds} must be at least 1")
    table = ABLATIONS[args.dataset]
    rows = args.rows or list(table.rows)
    steps = args.steps or table.steps
    args.samples = args.samples or table.samples
    if args.quick:
        rows, steps, args.samples = rows[:2], 20, 500
    unknown = sorted(set(rows) - set(table.rows))
    if unknown:
        p.error(f"unknown rows {unknown}; choose from {sorted(table.rows)}")
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data_dir or default_data_dir()
    data = load_dataset(args.dataset, "train", data_dir=data_dir)
    real = to_unit_range(data.images)
    clf_name = table.classifier
    floor = fid_floor(real, load_classifier(clf_name), args.samples)
    out: dict = {}
    result = {"benchmark": "dcgan_ablation", "dataset": args.dataset, "data_source": data.source,
              "seed": args.seed, "date": date.today().isoformat(), "hardware": hardware(),
              "torch_threads": torch.get_num_threads(), "rows": out}
    seeds = list(range(args.seed, args.seed + args.seeds))
    for name in rows:
        description, config = table.rows[name]
        runs = {}
        for seed in seeds:
            start = time.perf_counter()
            run = train_config(config, data, steps, seed=seed, progress=False)
            seconds = time.perf_counter() - start
            scores = score_samples(run.sample(args.samples, seed=seed + 1), real, clf_name, floor=floor,
                                   labels=sample_labels(run.generator, args.samples))
            runs[seed] = {"train_seconds": round(seconds, 1),
                          "images_per_second": round(steps * config.batch_size / seconds),
                          **{k: v for k, v in scores.items() if k != "class_fractions" and v is not None},
                          "class_fractions": [round(f, 4) for f in scores["class_fractions"]]}
            print(f"[ablation] {name:>14} seed {seed}: confident {scores['confident_rate']:.3f}  "
                  f"FID {scores['fid']:.2f} (floor {floor:.2f})  "
                  f"classes {scores['class_min_frac']:.3f}-{scores['class_max_frac']:.3f}  {seconds:.0f} s", flush=True)
        out[name] = {"description": description, "steps": steps, "batch_size": config.batch_size,
                     "date": date.today().isoformat(), **mean_of_runs(list(runs.values())), "n_seeds": len(seeds),
                     "spread": {k: [min(r[k] for r in runs.values()), max(r[k] for r in runs.values())]
                                for k in ("confident_rate", "fid")},
                     "seeds": {str(seed): r for seed, r in runs.items()}}
        if args.save and not args.quick:  # after every row, so a long run that stops keeps what it measured
            save_rows(result, RESULTS / f"dcgan_ablation_{args.dataset}.json", list(table.rows))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
