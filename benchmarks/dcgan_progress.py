"""Chapter 2: quality against training length — training images/second and steps to the quality bar.

    python benchmarks/dcgan_progress.py --rows textbook --max-steps 16000 --every 2000 --save
    python benchmarks/dcgan_progress.py --quick            # a smoke run (CI)

One run per row, scored every ``--every`` generator steps with ``--samples`` untruncated samples
(the run continues from its checkpoint, so each point costs only the steps since the last one).
The bar is chapter 2's goal, ``confident rate >= 0.8`` with every class between 5 % and 15 % of
the samples; the first scored step that meets it is reported (``null``: not reached within
``--max-steps``). ``train_seconds`` counts training only, and ``images_per_second`` is
steps × batch / train_seconds. ``--save`` merges the rows into ``aigc_course/tables/dcgan_progress_<dataset>.json``
with the hardware and date, after each row. The last line printed is the JSON of this run.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import torch

from aigc_course.chapters import ch02_dcgan_mnist
from aigc_course.data import ImageData, load_dataset, to_unit_range
from aigc_course.metrics import score_samples
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train import sample_labels
from aigc_course.train.dcgan import DCGANConfig, train_config

from common import (  # this folder is on sys.path when a script in it runs
    ABLATIONS,
    RESULTS,
    add_run_arguments,
    save_rows,
)

BAR = ch02_dcgan_mnist.GOAL  # chapter 2's goal (its quick-mode bar is lower: ch02_dcgan_mnist.QUICK_BAR)


def progress(config: DCGANConfig, data: ImageData, real: torch.Tensor, clf_name: str, max_steps: int, every: int,
             samples: int, seed: int, workdir: Path) -> dict:
    """Train ``config`` to ``max_steps``, scoring every ``every`` steps; returns the curve and the bar step."""
    points, train_seconds, bar_step = [], 0.0, None
    for steps in range(every, max_steps + 1, every):
        run = train_config(config, data, steps, seed=seed, progress=False, checkpoint_dir=workdir,
                           checkpoint_every=every, resume=steps > every)
        train_seconds += run.train_seconds
        scores = score_samples(run.sample(samples, seed=seed + 1), real, clf_name, with_floor=False,
                               labels=sample_labels(run.generator, samples))
        point = {"steps": steps, "train_seconds": round(train_seconds, 1),
                 **{k: round(scores[k], 4) for k in ("confident_rate", "class_min_frac", "class_max_frac", "fid",
                                                     "label_agreement") if scores[k] is not None}}
        points.append(point)
        print(f"[progress] {steps:>6} steps: confident {point['confident_rate']:.3f}  FID {point['fid']:.2f}  "
              f"classes {point['class_min_frac']:.3f}-{point['class_max_frac']:.3f}  {train_seconds:.0f} s", flush=True)
        if bar_step is None and ch02_dcgan_mnist.meets(scores, BAR):
            bar_step = steps
    return {"batch_size": config.batch_size, "images_per_second": round(max_steps * config.batch_size / train_seconds),
            "bar_step": bar_step,
            "bar_seconds": next((p["train_seconds"] for p in points if p["steps"] == bar_step), None),
            "points": points}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist", choices=["mnist"])
    p.add_argument("--rows", nargs="*", default=["textbook"], help="ablation rows to follow")
    p.add_argument("--max-steps", type=int, default=16_000)
    p.add_argument("--every", type=int, default=2000)
    p.add_argument("--samples", type=int, default=5000)
    add_run_arguments(p, "smoke run: 1 row, 2 points of 10 steps, 200 samples")
    args = p.parse_args(argv)
    table = ABLATIONS[args.dataset]
    unknown = sorted(set(args.rows) - set(table.rows))
    if unknown:
        p.error(f"unknown rows {unknown}; choose from {sorted(table.rows)}")
    if args.every <= 0 or args.max_steps < args.every:
        p.error(f"--every {args.every} must be positive and at most --max-steps {args.max_steps}")
    if args.quick:
        args.rows, args.max_steps, args.every, args.samples = args.rows[:1], 20, 10, 200
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_dataset(args.dataset, "train", data_dir=args.data_dir or default_data_dir())
    real = to_unit_range(data.images)
    out: dict = {}
    result = {"benchmark": "dcgan_progress", "dataset": args.dataset, "data_source": data.source, "seed": args.seed,
              "samples": args.samples, "bar": BAR, "date": date.today().isoformat(), "hardware": hardware(),
              "torch_threads": torch.get_num_threads(), "rows": out}
    for name in args.rows:
        description, config = table.rows[name]
        with tempfile.TemporaryDirectory() as workdir:
            out[name] = {"description": description, **progress(config, data, real, table.classifier,
                                                                 args.max_steps, args.every, args.samples,
                                                                 args.seed, Path(workdir))}
        if args.save and not args.quick:
            save_rows(result, RESULTS / f"dcgan_progress_{args.dataset}.json", list(table.rows))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
