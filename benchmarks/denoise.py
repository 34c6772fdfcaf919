"""Chapter 6's denoising table: PSNR per noise level for the classical denoisers and the blind DnCNN.

    python benchmarks/denoise.py --save        # DnCNN at 400 (the quick budget) and 2,000 steps, 3 seeds
    python benchmarks/denoise.py --quick       # smoke run (CI)

Test set: 60 held-out 96×96 crops (``ch06_super_resolution.noisy_test_set``) per σ in ``SIGMAS``; RGB PSNR
against the clean crops. Rows: ``noisy`` (the input), ``nlm-opencv`` (OpenCV's fast NLM, h = σ),
``nlm-skimage`` (scikit-image's NLM told σ), ``bm3d`` (PyPI ``bm3d``, only where it is installed: it is
opt-in, see ``models.denoise.BM3D_LICENCE``), and ``dncnn <steps>``: one blind DnCNN (quick
``DenoiseConfig``) trained on 3,000 crops of the training photos with σ drawn from ``SIGMAS``, mean and
[min, max] over seeds.
"""
from __future__ import annotations

import argparse
import time
from datetime import date

import torch

from aigc_course.chapters import ch06_super_resolution as ch6
from aigc_course.data.photos import load_photos
from aigc_course.metrics.colour import psnr
from aigc_course.models.denoise import bm3d_available, bm3d_denoise, nl_means, nl_means_opencv
from aigc_course.runtime import default_data_dir, hardware

from common import RESULTS, add_run_arguments, finish, parse_run_arguments, seed_row  # on sys.path when run


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budgets", type=int, nargs="+", default=[400, 2000])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--patches", type=int, default=3000, help="training crops from the training photos")
    p.add_argument("--test-crops", type=int, default=60)
    add_run_arguments(p, "a few steps on a few crops, one seed, no BM3D (CI smoke run)")
    args, t0 = parse_run_arguments(p, argv)
    if args.quick:
        args.budgets, args.seeds, args.patches, args.test_crops = [3], 1, 64, 4
    config = ch6.DENOISE["quick"]
    data_dir = args.data_dir or default_data_dir()
    train = ch6.denoise_pairs(load_photos("train", data_dir, max_side=ch6.SR["quick"].photo_side), args.patches,
                              config.patch, seed=0)
    photos = load_photos("test", data_dir, max_side=ch6.SR["quick"].photo_side)
    tests = {s: ch6.noisy_test_set(photos, args.test_crops, s) for s in ch6.SIGMAS}

    def score(out: torch.Tensor, sigma: int) -> float:
        return float(psnr(out, tests[sigma]["clean"]).mean())

    methods = {"noisy": lambda x, s: x.clamp(0, 1), "nlm-opencv": nl_means_opencv, "nlm-skimage": nl_means}
    bm3d_reason = bm3d_available()
    if bm3d_reason is None and not args.quick:
        methods["bm3d"] = bm3d_denoise
    rows: dict[str, dict] = {}
    for name, method in methods.items():
        t = time.perf_counter()
        rows[name] = {str(s): score(method(tests[s]["noisy"], s), s) for s in ch6.SIGMAS}
        rows[name]["seconds_per_crop"] = round((time.perf_counter() - t) / (len(ch6.SIGMAS) * args.test_crops), 4)
        print(f"[bench] {name}: {rows[name]}", flush=True)
    for steps in args.budgets:
        per_seed, seconds = {}, []
        for seed in range(args.seed, args.seed + args.seeds):
            run = ch6.train_denoiser(train, config, steps, seed=seed, progress=False)
            per_seed[str(seed)] = {str(s): score(ch6.denoise(run.model, tests[s]["noisy"]), s) for s in ch6.SIGMAS}
            seconds.append(run.train_seconds)
            print(f"[bench] dncnn {steps}, seed {seed}: {per_seed[str(seed)]} in {run.train_seconds:.0f} s", flush=True)
        rows[f"dncnn {steps}"] = {"steps": steps, **seed_row(per_seed, tuple(str(s) for s in ch6.SIGMAS)),
                                  "train_seconds": round(sum(seconds) / len(seconds), 1)}
    result = {"benchmark": "denoise", "config": vars(config), "sigmas": list(ch6.SIGMAS),
              "train_crops": len(train["clean"]), "test_crops": args.test_crops, "test_crop": ch6.TEST_CROP,
              "bm3d": "measured" if "bm3d" in rows else "skipped in --quick" if args.quick else bm3d_reason,
              "rows": rows,
              "torch_threads": torch.get_num_threads(), "date": date.today().isoformat(), "hardware": hardware(),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    return finish(result, RESULTS / "denoise.json", args.save and not args.quick)


if __name__ == "__main__":
    main()
