"""Chapter 9: the style-based generator against chapter 2's best DCGAN on the same data, and its ablation.

    python benchmarks/style_gan.py compare --dataset mnist --seeds 3 --threads 1 --save
    python benchmarks/style_gan.py compare --dataset fashion-mnist --seeds 3 --threads 1 --save
    python benchmarks/style_gan.py ablation --seeds 3 --threads 1 --save    # Fashion-MNIST, the notebook's budget
    python -m aigc_course train stylegan-fashion --out runs/sg-full --steps 20000   # full mode's budget, then:
    python benchmarks/style_gan.py full --run runs/sg-full --save           # scores it beside the shipped model
    python benchmarks/style_gan.py compare --quick                          # a smoke run (CI)

``compare`` trains chapter 9's model (``ch09.CHAPTER``) for chapter 2's ablation budget (4,000 generator steps),
scoring it at the marks ``--marks`` on the way (the run continues from its checkpoint after each mark), and
chapter 2's model (``ch02.ABLATION.chapter``, ``pad-32-lr-1e-3-ema``: its best unconditional row over three seeds)
for the same steps. Each mark records the training seconds so
far, so the table answers both "same steps" and "same wall-clock": read the style-based mark whose seconds match
the DCGAN's. Both generators are scored exactly as ``dcgan_ablation.py`` scores chapter 2's rows (samples of the
EMA generator from seed + 1, the shipped classifier of the data set, FID against the training split beside the
real-vs-real floor at the same N), so on MNIST the DCGAN's seeds are read from chapter 2's committed table
(``dcgan_ablation_mnist.json``: same configuration, steps, samples and seeds; CPU training is deterministic)
rather than trained again; ``--retrain-dcgan`` trains them here instead.

The style generator draws its mixing crossovers and noise maps from torch's global generator, which a checkpoint
does not keep; each leg after the first re-seeds it from (seed, step), so a run is repeatable, but the marks after
the first are a continued run, not a bit-for-bit copy of an uninterrupted one. The first mark is an uninterrupted
run of that many steps.

``ablation`` trains each row of ``ch09.ABLATION`` (one idea removed at a time) on Fashion-MNIST for the notebook's
quick budget (``BUDGETS["STEPS"].quick``) over seeds and scores it the same way; the chapter's own row is read
from the Fashion-MNIST compare table when that holds it (its first mark, 800 steps, is the same run).

``full`` scores the generators the ``stylegan-fashion`` recipe trained, the same way: the shipped one (8,000 steps)
and, with ``--run``, a run of the recipe for the notebook's full-mode budget (``BUDGETS["STEPS"].full``, 20,000
steps; the recipe's configuration is the notebook's in both modes), each with its provenance (commands, commits,
seconds, hardware). Exporting the run into a temporary folder and loading it back checks it the way shipped
weights are checked.

``--save`` merges the rows into ``aigc_course/tables/style_gan_<dataset>.json`` (compare), ``style_ablation.json``
(ablation) or ``style_gan_full.json`` (full) with the hardware and date, after every row; the chapter notebook
shows them. The last line printed is the JSON of this run.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import torch

from aigc_course.chapters import ch02_dcgan_mnist as ch02
from aigc_course.chapters import ch09_style_based_generators as ch09
from aigc_course.data import load_dataset, to_unit_range
from aigc_course.data.datasets import ImageData
from aigc_course.metrics import score_samples
from aigc_course.metrics.classifier import load_classifier
from aigc_course.metrics.scores import fid_floor
from aigc_course.recipes import export_recipe, load_trained
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train import sample
from aigc_course.train.dcgan import train_config
from aigc_course.train.gan import fit_gan

from common import RESULTS, add_run_arguments, save_rows, seed_row  # this folder is on sys.path

DCGAN_ROW = ch02.ABLATION.chapter  # chapter 2's model, its best unconditional DCGAN (pad-32-lr-1e-3-ema)
CLASSIFIERS = {"mnist": "mnist", "fashion-mnist": "fashion-mnist"}
KEYS = ("confident_rate", "fid")  # the numbers whose spread over seeds a ranking must beat


def scored(images: torch.Tensor, seconds: float, steps: int, real: torch.Tensor, clf_name: str, floor: float) -> dict:
    """One generator's record: its samples ``images`` scored, with the training seconds and steps behind them."""
    s = score_samples(images, real, clf_name, floor=floor)
    return {"steps": steps, "train_seconds": round(seconds, 1),
            **{k: v for k, v in s.items() if k not in ("class_fractions", "label_agreement") and v is not None},
            "class_fractions": [round(f, 4) for f in s["class_fractions"]]}


def style_marks(config: ch09.StyleConfig, data: ImageData, marks: list[int], seed: int, samples: int,
                real: torch.Tensor, clf_name: str, floor: float) -> list[dict]:
    """Train ``config`` on ``data`` up to each of ``marks`` in turn (resuming from a checkpoint), scoring the EMA
    generator at every mark: one record per mark with the seconds trained so far."""
    out, seconds = [], 0.0
    with tempfile.TemporaryDirectory() as ckpt:
        torch.manual_seed(seed)
        G, D = config.build(data.images.shape[1], data.images.shape[2])
        loader = data.loader(config.batch_size, seed=seed, drop_last=True)
        for i, steps in enumerate(marks):
            if i:  # a fresh pair to resume into; the global generator (mixing, noise) re-seeded from (seed, step)
                G, D = config.build(data.images.shape[1], data.images.shape[2])
                torch.manual_seed(seed * 1_000_003 + marks[i - 1])
            start = time.perf_counter()
            run = fit_gan(G, D, loader, steps, seed=seed, checkpoint_dir=ckpt, resume=bool(i), progress=False,
                          **config.fit_kwargs())
            seconds += time.perf_counter() - start
            out.append(scored(ch09.samples(run.generator, samples, seed=seed + 1), seconds, steps, real,
                              clf_name, floor))
            print(f"[style] seed {seed} step {steps}: FID {out[-1]['fid']:.2f} confident "
                  f"{out[-1]['confident_rate']:.3f}  {seconds:.0f} s", flush=True)
    return out


def dcgan_run(data: ImageData, steps: int, seed: int, samples: int, real: torch.Tensor, clf_name: str,
              floor: float) -> dict:
    """Chapter 2's best DCGAN row trained on ``data`` for ``steps`` and scored (its EMA generator)."""
    start = time.perf_counter()
    run = train_config(ch02.ABLATION.config(DCGAN_ROW), data, steps, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    return scored(sample(run.generator, samples, seed=seed + 1), seconds, steps, real, clf_name, floor)


def committed_seeds(path: Path, row_name: str, seeds: list[int], steps: int,
                    usable: Callable[[dict, dict], bool]) -> dict[str, dict] | None:
    """The per-seed records of row ``row_name`` in the committed table at ``path`` for ``seeds`` (each marked with
    ``steps`` and where it came from), or None unless the table holds all of them and ``usable(table, row)``."""
    table = json.loads(path.read_text()) if path.exists() else {}
    row = table.get("rows", {}).get(row_name)
    if row is None or not usable(table, row) or not all(str(s) in row.get("seeds", {}) for s in seeds):
        return None
    return {str(s): {**row["seeds"][str(s)], "steps": steps, "source": f"{path.name}, row {row_name}"}
            for s in seeds}


def committed_dcgan(seeds: list[int], steps: int, samples: int) -> dict[str, dict] | None:
    """Chapter 2's committed MNIST records of :data:`DCGAN_ROW` for ``seeds`` at ``steps`` and ``samples``."""
    return committed_seeds(RESULTS / "dcgan_ablation_mnist.json", DCGAN_ROW, seeds, steps,
                           lambda _, row: row["steps"] == steps and row["n_samples"] == samples)


def committed_mark(seeds: list[int], steps: int, samples: int) -> dict[str, dict] | None:
    """The chapter's model at ``steps`` on Fashion-MNIST from the committed compare table, if it holds that mark
    for ``seeds`` at ``samples``: its first mark is an uninterrupted run, the very run the ablation would repeat."""
    return committed_seeds(RESULTS / "style_gan_fashion-mnist.json", f"style-based {steps}", seeds, steps,
                           lambda table, _: table["marks"][0] == steps and table["n_samples"] == samples)


def trained_rows(run: str | None, samples: int, real: torch.Tensor, floor: float) -> dict[str, dict]:
    """The ``stylegan-fashion`` recipe's shipped generator and, if ``run`` is given, the one trained in that run
    folder, each scored (the EMA copy) with the provenance of its training."""
    found = {"shipped": load_trained("stylegan-fashion")}
    if run:
        with tempfile.TemporaryDirectory() as folder:
            export_recipe("stylegan-fashion", run, folder)
            found["run"] = load_trained("stylegan-fashion", folder)
    out = {}
    for kind, (G, record) in found.items():
        seconds = record["train_seconds"]
        row = scored(ch09.samples(G, samples, seed=record["seed"] + 1), seconds, record["steps"], real,
                     "fashion-mnist", floor)
        out[f"style-based {record['steps']}"] = {
            "description": f"the stylegan-fashion recipe ({'shipped' if kind == 'shipped' else 'run ' + run})",
            "n_seeds": 1, "seed": record["seed"], **row,
            "segments": [{k: seg[k] for k in ("command", "commit", "dirty", "until_step", "train_seconds", "date",
                                              "hardware")} for seg in record["segments"]]}
        print(f"[full] {kind}, {record['steps']} steps ({seconds:.0f} s): FID {row['fid']:.2f} "
              f"confident {row['confident_rate']:.3f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("part", choices=("compare", "ablation", "full"))
    p.add_argument("--dataset", default="fashion-mnist", choices=sorted(CLASSIFIERS),
                   help="compare's data set (ablation: Fashion-MNIST only)")
    p.add_argument("--rows", nargs="*", help="ablation rows (default: all)")
    p.add_argument("--steps", type=int, help="compare: chapter 2's budget; ablation: the notebook's quick budget")
    p.add_argument("--marks", type=int, nargs="*", default=[800, 2000],
                   help="compare: earlier steps at which the style-based run is scored too")
    p.add_argument("--samples", type=int, default=ch02.ABLATION.samples, help="samples scored per generator")
    p.add_argument("--seeds", type=int, default=1, help="seeds, from --seed on (default 1)")
    p.add_argument("--run", help="full: a `train stylegan-fashion --out` folder to score beside the shipped model")
    p.add_argument("--retrain-dcgan", action="store_true", help="compare on MNIST: train the DCGAN seeds here")
    add_run_arguments(p, "smoke run: 20 steps, marks at 10, 500 samples, one ablation row")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error(f"--seeds={args.seeds} must be at least 1")
    dataset = "mnist" if args.part == "compare" and args.dataset == "mnist" else "fashion-mnist"
    steps = args.steps or (ch02.ABLATION.steps if args.part == "compare" else ch09.BUDGETS["STEPS"].quick)
    marks = sorted({m for m in args.marks if 0 < m < steps} | {steps})
    rows = args.rows or list(ch09.ABLATION)
    unknown = sorted(set(rows) - set(ch09.ABLATION))
    if unknown:
        p.error(f"unknown rows {unknown}; choose from {sorted(ch09.ABLATION)}")
    if args.quick:
        steps, marks, args.samples, rows = 20, [10, 20], 500, rows[:1]
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_dataset(dataset, "train", data_dir=args.data_dir or default_data_dir())
    real = to_unit_range(data.images)
    clf_name = CLASSIFIERS[dataset]
    floor = fid_floor(real, load_classifier(clf_name), args.samples)
    seeds = list(range(args.seed, args.seed + args.seeds))
    out: dict = {}
    result = {"benchmark": f"style_gan {args.part}", "dataset": dataset, "data_source": data.source,
              "date": date.today().isoformat(), "hardware": hardware(), "torch_threads": torch.get_num_threads(),
              "n_samples": args.samples, "fid_floor": floor, "style_config": ch09.CHAPTER.record(), "rows": out}
    if args.part == "compare":
        path = RESULTS / f"style_gan_{dataset}.json"
        result.update(steps=steps, marks=marks, dcgan_row=DCGAN_ROW)
        curves = {str(s): style_marks(ch09.CHAPTER, data, marks, s, args.samples, real, clf_name, floor)
                  for s in seeds}
        for mark_index, mark in enumerate(marks):
            out[f"style-based {mark}"] = {"description": f"chapter 9's model after {mark} steps",
                                          **seed_row({s: c[mark_index] for s, c in curves.items()}, KEYS)}
            if args.save and not args.quick:
                save_rows(result, path, list(out))
        reused = None if (dataset != "mnist" or args.retrain_dcgan or args.quick) else committed_dcgan(
            seeds, steps, args.samples)
        dcgan = reused or {str(s): dcgan_run(data, steps, s, args.samples, real, clf_name, floor) for s in seeds}
        out[f"dcgan {steps}"] = {"description": f"chapter 2's {DCGAN_ROW} after {steps} steps"
                                 + (" (read from chapter 2's committed table)" if reused else ""),
                                 **seed_row(dcgan, KEYS)}
    elif args.part == "full":
        path = RESULTS / "style_gan_full.json"
        out.update(trained_rows(args.run, args.samples, real, floor))
    else:
        path = RESULTS / "style_ablation.json"
        result["steps"] = steps
        for name in rows:
            description, config = ch09.ABLATION[name]
            runs = committed_mark(seeds, steps, args.samples) if name == "style-based" and not args.quick else None
            runs = runs or {str(s): style_marks(config, data, [steps], s, args.samples, real, clf_name, floor)[0]
                            for s in seeds}
            out[name] = {"description": description, **seed_row(runs, KEYS)}
            print(f"[ablation] {name}: FID {out[name]['fid']:.2f} {out[name]['spread']['fid']}", flush=True)
            if args.save and not args.quick:
                save_rows(result, path, list(ch09.ABLATION))
    if args.save and not args.quick:
        save_rows(result, path, list(ch09.ABLATION) if args.part == "ablation" else list(out))
        print(f"[bench] saved {path}")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
