"""Chapter 5's colourisers, longer and over seeds: PSNR, SSIM and colourfulness on held-out photos for
L1 only, L1 + GAN at several λ, and GAN only, beside the grey baseline and the real photos.

    python benchmarks/pix2pix_colour.py --save                 # 2,000 steps, λ ∈ {10, 100, 1000}, 3 seeds
    python benchmarks/pix2pix_colour.py --steps 20000 --save   # full length (GPU)
    python benchmarks/pix2pix_colour.py --quick                # smoke run (CI)

Training is ``aigc_course.chapters.ch05_image_to_image.train_colouriser`` with the quick-mode
``ColourConfig`` (what the notebook runs); the data are ``colour_pairs`` of the training photos plus the
CIFAR-10 training images, and the scores are on 300 crops of the held-out photos (seed 1).
Each row holds the mean over seeds and the [min, max] spread.
"""
from __future__ import annotations

import argparse
import time
from datetime import date

import torch

from aigc_course.chapters import ch05_image_to_image as ch5
from aigc_course.data import load_dataset
from aigc_course.data.photos import load_photos
from aigc_course.metrics.colour import colourfulness
from aigc_course.runtime import default_data_dir, hardware

from common import (  # this folder is on sys.path when a script in it runs
    RESULTS,
    add_run_arguments,
    finish,
    mean_of_runs,
    parse_run_arguments,
)

KEYS = ("psnr", "ssim", "colourfulness")


def rows_for(lambdas: list[float]) -> dict[str, tuple[float, float]]:
    """Row name → (l1_weight, adv_weight), from the most weight on L1 to the least."""
    return {"L1": (100.0, 0.0), **{f"L1+GAN λ={lam:g}": (lam, 1.0) for lam in sorted(lambdas, reverse=True)},
            "GAN": (0.0, 1.0)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--lambdas", type=float, nargs="+", default=[10.0, 100.0, 1000.0])
    p.add_argument("--patches", type=int, default=3000, help="training crops from the training photos")
    p.add_argument("--device", default="cpu")
    add_run_arguments(p, "a few steps on a few crops, one seed (CI smoke run)")
    args, t0 = parse_run_arguments(p, argv)
    if args.quick:
        args.steps, args.seeds, args.patches, args.lambdas = 3, 1, 64, [100.0]
    config = ch5.COLOUR["quick"]
    data_dir = args.data_dir or default_data_dir()
    cifar = None if args.quick else load_dataset("cifar10", "train", data_dir=data_dir)
    train = ch5.colour_pairs(load_photos("train", data_dir, max_side=4 * config.size), args.patches, cifar,
                             size=config.size, seed=0)
    test = ch5.colour_pairs(load_photos("test", data_dir, max_side=4 * config.size), 300, size=config.size, seed=1)
    truth = test["rgb"].float() / 255
    grey = ch5.evaluate_colour(ch5.grey_baseline(test["L"], train["ab"].mean((0, 2, 3))), truth)
    rows = {}
    for name, (l1_weight, adv_weight) in rows_for(args.lambdas).items():
        per_seed, seconds = {}, []
        for seed in range(args.seed, args.seed + args.seeds):
            run = ch5.train_colouriser(train, config, args.steps, l1_weight, adv_weight, seed=seed, device=args.device,
                                       progress=False)
            per_seed[str(seed)] = ch5.evaluate_colour(ch5.colourise(run.G, test["L"]), truth)
            seconds.append(run.train_seconds)
            print(f"[bench] {name} seed {seed}: {per_seed[str(seed)]}", flush=True)
        rows[name] = {"l1_weight": l1_weight, "adv_weight": adv_weight, "n_seeds": len(per_seed), "seeds": per_seed,
                      **mean_of_runs(list(per_seed.values())),
                      "spread": {k: [min(s[k] for s in per_seed.values()), max(s[k] for s in per_seed.values())]
                                 for k in KEYS},
                      "train_seconds": round(sum(seconds) / len(seconds), 1)}
    result = {"benchmark": "pix2pix_colour", "steps": args.steps, "config": vars(config),
              "train_pairs": len(train["L"]), "test_crops": len(test["L"]), "grey": grey,
              "real_colourfulness": float(colourfulness(truth).mean()), "rows": rows, "device": args.device,
              "torch_threads": torch.get_num_threads(), "date": date.today().isoformat(), "hardware": hardware(),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    return finish(result, RESULTS / "pix2pix_colour.json", args.save and not args.quick)


if __name__ == "__main__":
    main()
