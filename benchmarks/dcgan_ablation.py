"""Chapter 2/3/5 ablation: every row of a chapter's ``ABLATION`` (``aigc_course.chapters``; chapter 5's is
``CONDITIONING``, ``--dataset fashion-mnist``), trained at the chapter's budget, then scored.

    python benchmarks/dcgan_ablation.py --dataset mnist --save            # all rows, chapter budget
    python benchmarks/dcgan_ablation.py --rows textbook ema --threads 1   # some rows, one core each
    python benchmarks/dcgan_ablation.py --rows textbook ema --seeds 3     # each row on seeds 0, 1, 2
    python benchmarks/dcgan_ablation.py --rows wide --seeds 3 --reuse --save  # seeds 1, 2 added to seed 0's
    python benchmarks/dcgan_ablation.py --dataset fashion-mnist --seeds 3 --save   # chapter 5: concat vs projection
    python benchmarks/dcgan_ablation.py --quick                           # a smoke run (CI)

Each row trains from the same seed for the same number of generator steps (budgets are step counts, so a busy
machine changes the seconds, not the result), samples 10,000 images (2,000 for CIFAR-10) untruncated and scores
them with the shipped classifier. With ``--seeds N`` each row is trained and scored on N seeds (``--seed``
onwards): its numbers are then the mean, ``seeds`` holds every run's and ``spread`` the min and max of the
confident rate and FID, the spread a ranking must beat.

A row with the generator EMA and its twin without it (the same configuration but ``ema_decay``), asked for
together, share one training run: the EMA only reads the generator's weights, so the raw generator of an EMA run
is the twin's, bit for bit (tested), and both generators are scored from that run. ``--reuse`` takes the seeds
the committed table already holds for a row at the same steps and sample count instead of training them again
(training is deterministic on the CPU: a re-run seed reproduces its committed numbers). ``--save`` merges the
rows into ``aigc_course/tables/dcgan_ablation_<dataset>.json`` with the hardware and date; the chapter notebook
shows that table. The last line printed is the JSON of this run.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

import torch
from torch import nn

from aigc_course.data import load_dataset, to_unit_range
from aigc_course.metrics import score_samples
from aigc_course.metrics.classifier import load_classifier
from aigc_course.metrics.scores import fid_floor
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train import sample, sample_labels
from aigc_course.train.dcgan import DCGANConfig, train_config

from common import (  # this folder is on sys.path when a script in it runs
    ABLATIONS,
    RESULTS,
    add_run_arguments,
    mean_of_runs,
    save_rows,
)


def ema_twins(rows: list[str], configs: dict[str, tuple[str, DCGANConfig]]) -> dict[str, str]:
    """Among ``rows``, each EMA row and its twin without the EMA (both ways round): one run serves both."""
    twins = {}
    for name in rows:
        config = configs[name][1]
        if config.ema_decay is not None:
            for other in rows:
                if configs[other][1] == config.replace(ema_decay=None):
                    twins[name], twins[other] = other, name
    return twins


def score_run(G: nn.Module, seconds: float, steps: int, config: DCGANConfig, samples: int, seed: int,
              real: torch.Tensor, clf_name: str, floor: float) -> dict:
    """One seed's record of a row: ``G`` (a generator of ``run``) sampled and scored, with the run's speed."""
    scores = score_samples(sample(G, samples, seed=seed + 1), real, clf_name, floor=floor,
                           labels=sample_labels(G, samples))
    return {"train_seconds": round(seconds, 1), "images_per_second": round(steps * config.batch_size / seconds),
            **{k: v for k, v in scores.items() if k != "class_fractions" and v is not None},
            "class_fractions": [round(f, 4) for f in scores["class_fractions"]]}


def saved_seeds(path: Path, steps: int, samples: int) -> dict[tuple[str, int], dict]:
    """The per-seed records of the committed table at ``path`` for rows measured at ``steps`` and ``samples``; a row
    of the older one-seed layout (no ``seeds``) is its own record of the table's seed."""
    if not path.exists():
        return {}
    table = json.loads(path.read_text())
    found = {}
    for name, row in table["rows"].items():
        if row["steps"] == steps and row["n_samples"] == samples:
            runs = row.get("seeds") or {str(table["seed"]): {k: v for k, v in row.items() if k not in ROW_KEYS}}
            found.update({(name, int(seed)): record for seed, record in runs.items()})
    return found


ROW_KEYS = ("description", "steps", "batch_size", "date", "n_seeds", "spread", "seeds")  # a row's, not a seed's


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist", choices=sorted(ABLATIONS))
    p.add_argument("--rows", nargs="*", help="row names (default: all)")
    p.add_argument("--steps", type=int, help="generator steps per row (default: the chapter's quick budget)")
    p.add_argument("--samples", type=int, help="samples scored per row (default: the dataset's, 10,000 for MNIST)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per row, from --seed on (default 1)")
    p.add_argument("--reuse", action="store_true", help="take the seeds the committed table holds, train the rest")
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
    twins = ema_twins(rows, table.rows)
    path = RESULTS / f"dcgan_ablation_{args.dataset}.json"
    # The seeds measured already: a twin's, scored from the run of the row before it, and with --reuse the table's.
    scored: dict[tuple[str, int], dict] = saved_seeds(path, steps, args.samples) if args.reuse else {}
    for name in rows:
        description, config = table.rows[name]
        runs = {}
        for seed in seeds:
            if (name, seed) not in scored:
                ema_config = table.rows[twins[name]][1] if name in twins and config.ema_decay is None else config
                start = time.perf_counter()
                run = train_config(ema_config, data, steps, seed=seed, progress=False)
                seconds = time.perf_counter() - start
                for row in (name, twins[name]) if name in twins else (name,):
                    G = run.G_ema if table.rows[row][1].ema_decay is not None else run.G
                    scored[row, seed] = score_run(G, seconds, steps, config, args.samples, seed, real,
                                                  clf_name, floor)
            runs[seed] = r = scored[name, seed]
            print(f"[ablation] {name:>14} seed {seed}: confident {r['confident_rate']:.3f}  "
                  f"FID {r['fid']:.2f} (floor {floor:.2f})  "
                  f"classes {r['class_min_frac']:.3f}-{r['class_max_frac']:.3f}  {r['train_seconds']:.0f} s",
                  flush=True)
        out[name] = {"description": description, "steps": steps, "batch_size": config.batch_size,
                     "date": date.today().isoformat(), **mean_of_runs(list(runs.values())), "n_seeds": len(seeds),
                     "spread": {k: [min(r[k] for r in runs.values()), max(r[k] for r in runs.values())]
                                for k in ("confident_rate", "fid")},
                     "seeds": {str(seed): r for seed, r in runs.items()}}
        if args.save and not args.quick:  # after every row, so a long run that stops keeps what it measured
            save_rows(result, path, list(table.rows))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
