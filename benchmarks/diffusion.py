"""Chapter 10: the MNIST diffusion model's quality against training length, and its sampling cost against DDIM steps.

    python benchmarks/diffusion.py --seeds 0 1 2 --max-steps 4000 --every 1000 --threads 1 --save
    python benchmarks/diffusion.py --sampling-only --threads 1 --save   # the cost table, on the shipped weights
    python benchmarks/diffusion.py --quick                              # a smoke run (CI)

**Curve.** Trains chapter 10's model (``ch10_diffusion.mnist.MNIST``, the ``ddpm-mnist`` recipe's configuration)
from scratch per seed and, every ``--every`` steps, judges ``--samples`` DDIM-50 samples of its EMA copy with
chapter 2's MNIST judge against held-out test digits: unguided (guidance 0: the confident rate, class coverage
and FID the unconditional GAN is held to) and at the chapter's guidance scale (the fraction drawn as the asked
digit). The run resumes from its checkpoint between points, so each point costs only the steps since the last
(the learning rate is constant, so a resumed run equals an uninterrupted one). ``train_seconds`` counts
training only. The same table carries chapter 2's GAN curve (``dcgan_progress_mnist.json``, one thread on
this machine) and, for each point, the GAN's confident rate after no more training time: issue #20's goal
is the unguided diffusion model above chapter 2's best unconditional GAN at equal training time.

**Sampling cost.** The shipped weights (``aigc_course/weights/ddpm-mnist.pt``) draw ``--samples`` images with
DDIM at 10, 20, 50 and 100 steps and with ancestral DDPM (1,000 steps), unguided and guided; milliseconds per
image and the judge's numbers. ``--save`` merges the rows into ``aigc_course/tables/diffusion_mnist.json`` with
the hardware and date, so seeds can run in separate processes (one thread each) and land in one table.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import torch

from aigc_course.chapters.ch10_diffusion import mnist
from aigc_course.data import load_dataset, to_unit_range
from aigc_course.metrics import score_samples
from aigc_course.metrics.classifier import load_classifier
from aigc_course.metrics.scores import fid_floor
from aigc_course.recipes import RECIPES, load_trained
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train.diffusion import fit_diffusion, sample

from common import RESULTS, summary, write_json

TABLE = RESULTS / "diffusion_mnist.json"
GUIDANCE = RECIPES["ddpm-mnist"].guidance  # the chapter's guidance scale (3.0)
GAN_ROW = "pad-32-lr-1e-3-ema"  # chapter 2's model, the best unconditional GAN (dcgan_progress_mnist.json)
SAMPLERS = (("ddim", 10), ("ddim", 20), ("ddim", 50), ("ddim", 100), ("ddpm", 1000))
DDPM_SAMPLES = 100  # ancestral DDPM costs 20 times DDIM-50: at most this many samples (with their own FID floor)


def judge_point(model: torch.nn.Module, real: torch.Tensor, n: int, seed: int, floor: float, sampler: str = "ddim",
                steps: int = 50) -> dict:
    """The judge's numbers on ``n`` samples unguided and ``n`` at the chapter's guidance, with ms per image."""
    labels = torch.arange(n) % 10
    out = {}
    for name, scale in (("unguided", 0.0), ("guided", GUIDANCE)):
        t0 = time.perf_counter()
        imgs = sample(model, n, mnist.SHAPE, mnist.MNIST.noise_schedule(), sampler=sampler, steps=steps,
                      labels=labels, guidance=scale, seed=seed)
        ms = (time.perf_counter() - t0) / n * 1000
        sc = score_samples(imgs, real, "mnist", floor=floor, labels=labels)
        out[name] = {"confident_rate": round(sc["confident_rate"], 4), "asked_digit": round(sc["label_agreement"], 4),
                     "class_min_frac": round(sc["class_min_frac"], 4), "class_max_frac": round(sc["class_max_frac"], 4),
                     "fid": round(sc["fid"], 3), "ms_per_image": round(ms, 2)}
    return out


def curve(seed: int, data, real: torch.Tensor, max_steps: int, every: int, n: int, floor: float,
          workdir: Path, sample_steps: int = 50) -> dict:
    """Train one seed to ``max_steps``, judging every ``every`` steps on DDIM samples of ``sample_steps`` steps."""
    config = mnist.MNIST
    points, train_seconds = [], 0.0
    for steps in range(every, max_steps + 1, every):
        torch.manual_seed(seed)  # the same initial weights as the recipe's seed_everything(seed)
        loader = data.loader(config.batch_size, seed=seed, drop_last=True)
        run = fit_diffusion(config.build(), loader, steps, seed=seed, checkpoint_dir=workdir, checkpoint_every=every,
                            resume=steps > every, progress=False, **config.fit_kwargs())
        train_seconds += run.train_seconds
        point = {"steps": steps, "train_seconds": round(train_seconds, 1),
                 "loss": round(run.history["loss"][-1], 4),
                 **judge_point(run.denoiser, real, n, seed + 1000, floor, steps=sample_steps)}
        points.append(point)
        print(f"[diffusion] seed {seed} {steps:>6} steps ({train_seconds:.0f} s): unguided confident "
              f"{point['unguided']['confident_rate']:.3f}, FID {point['unguided']['fid']:.2f}; guided asked digit "
              f"{point['guided']['asked_digit']:.3f}", flush=True)
    return {"points": points, "images_per_second": round(max_steps * config.batch_size / train_seconds)}


def gan_curve() -> dict:
    """Chapter 2's GAN curve from its committed progress table: (steps, training seconds, confident rate)."""
    table = json.loads((RESULTS / "dcgan_progress_mnist.json").read_text())
    row = table["rows"][GAN_ROW]
    return {"row": GAN_ROW, "hardware": table["hardware"], "date": table["date"],
            "torch_threads": table["torch_threads"], "samples": table["samples"],
            "points": [{k: p[k] for k in ("steps", "train_seconds", "confident_rate", "fid")} for p in row["points"]]}


def gan_at(seconds: float, gan: dict) -> float | None:
    """The GAN's confident rate at its last scored point trained no longer than ``seconds`` (None: none was)."""
    done = [p for p in gan["points"] if p["train_seconds"] <= seconds]
    return done[-1]["confident_rate"] if done else None


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    p.add_argument("--max-steps", type=int, default=4000)
    p.add_argument("--every", type=int, default=1000)
    p.add_argument("--samples", type=int, default=300, help="samples per judged setting")
    p.add_argument("--sampling-only", action="store_true", help="only the sampling-cost table (shipped weights)")
    p.add_argument("--threads", type=int, help="torch CPU threads (1 lets two processes share 2 cores)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 2 points of 5 steps, 40 DDIM-5 samples")
    p.add_argument("--save", action="store_true")
    args = p.parse_args(argv)
    if args.every <= 0 or args.max_steps < args.every:
        p.error(f"--every {args.every} must be positive and at most --max-steps {args.max_steps}")
    if args.samples < 10:
        p.error(f"--samples {args.samples} must be at least 10 (one per digit)")
    if args.quick:
        args.seeds, args.max_steps, args.every, args.samples = args.seeds[:1], 10, 5, 40
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data_dir or default_data_dir()
    train = load_dataset("mnist", "train", data_dir=data_dir)
    real = to_unit_range(load_dataset("mnist", "test", data_dir=data_dir).images)
    floor = fid_floor(real, load_classifier("mnist"), args.samples)
    result = {"benchmark": "diffusion_mnist", "config": mnist.MNIST.record(), "guidance": GUIDANCE,
              "samples": args.samples, "fid_floor": round(floor, 3), "data_source": train.source,
              "date": date.today().isoformat(), "hardware": hardware(), "torch_threads": torch.get_num_threads(),
              "curves": {}, "sampling": None, "gan": gan_curve()}  # this run's; save() merges the table's
    if args.sampling_only:
        model, record = load_trained("ddpm-mnist")
        rows = {}
        for sampler, steps in SAMPLERS:
            n = args.samples if sampler == "ddim" else min(args.samples, DDPM_SAMPLES)
            n_floor = floor if n == args.samples else fid_floor(real, load_classifier("mnist"), n)
            rows[f"{sampler}-{steps}"] = {"samples": n, "fid_floor": round(n_floor, 3),
                                          **judge_point(model, real, n, 2000, n_floor, sampler, steps)}
        result["sampling"] = {"weights_steps": record["steps"], "weights_sha256": record["sha256"], "rows": rows}
        for name, row in rows.items():
            print(f"[diffusion] {name:>10}: {row['unguided']['ms_per_image']:.1f} / {row['guided']['ms_per_image']:.1f}"
                  f" ms per image (unguided / guided); guided asked digit {row['guided']['asked_digit']:.3f}")
    else:
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as workdir:
                result["curves"][str(seed)] = curve(seed, train, real, args.max_steps, args.every, args.samples,
                                                    floor, Path(workdir), sample_steps=5 if args.quick else 50)
            if args.save and not args.quick:  # after each seed, so a stopped run keeps the seeds it finished
                result = save(result, TABLE)
    if args.save and not args.quick and args.sampling_only:
        result = save(result, TABLE)
    result = summarise(result)
    print(json.dumps(result))
    return result


def save(result: dict, path: Path) -> dict:
    """Write ``result`` merged with the table at ``path`` as it is now (other processes may have saved seeds or
    the sampling rows since this one started): this run's curves and sampling rows win, the rest is kept."""
    saved = json.loads(path.read_text()) if path.exists() else {}
    merged = {**result, "curves": {**saved.get("curves", {}), **result["curves"]},
              "sampling": result["sampling"] or saved.get("sampling")}
    write_json(path, summarise(merged))
    return merged


def summarise(result: dict) -> dict:
    """Add, per training length, the seeds' spread and the GAN's confident rate at no more training time."""
    curves = result["curves"]
    by_steps: dict[int, list[dict]] = {}
    for c in curves.values():
        for point in c["points"]:
            by_steps.setdefault(point["steps"], []).append(point)
    result["by_steps"] = {
        str(steps): {"seeds": len(points),
                     "train_seconds": summary([p["train_seconds"] for p in points]),
                     "unguided_confident_rate": summary([p["unguided"]["confident_rate"] for p in points]),
                     "unguided_fid": summary([p["unguided"]["fid"] for p in points]),
                     "guided_asked_digit": summary([p["guided"]["asked_digit"] for p in points]),
                     "gan_confident_rate_at_same_seconds": gan_at(min(p["train_seconds"] for p in points),
                                                                  result["gan"])}
        for steps, points in sorted(by_steps.items())}
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
