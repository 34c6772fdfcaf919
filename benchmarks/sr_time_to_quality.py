"""Chapter 6's time-to-quality curve: ×4 PSNR gain over bicubic on held-out photos against training steps.

    python benchmarks/sr_time_to_quality.py --save                        # 300/600/1200 steps, 3 seeds, quick config
    python benchmarks/sr_time_to_quality.py --budgets 2400 4800 --save    # longer points (merged into the table)
    python benchmarks/sr_time_to_quality.py --quick                       # smoke run (CI)

Each budget is its own run (the cosine schedule ends at the budget, as in the notebook), trained by
``aigc_course.chapters.ch06_super_resolution.train_sr`` with the quick-mode ``SRConfig`` on 3,000 HR crops of
the training photos; scores are on 200 HR crops (96×96, seed 1) of the held-out photos: PSNR/SSIM on Y with a
4-pixel border cropped, and sharpness (gradient energy ÷ the truth's). Rows: ``<model> <steps>``, with the
mean over seeds and the [min, max] spread; the quick budget of the chapter is chosen from this table.
"""
from __future__ import annotations

import argparse
import time
from datetime import date

import torch

from aigc_course.chapters import ch06_super_resolution as ch6
from aigc_course.runtime import default_data_dir, hardware

from common import (  # this folder is on sys.path when a script in it runs
    RESULTS,
    add_run_arguments,
    finish,
    parse_run_arguments,
    save_curve,
    seed_row,
)

KEYS = ("psnr", "ssim", "sharpness", "gain")


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budgets", type=int, nargs="+", default=[300, 600, 1200])
    p.add_argument("--models", nargs="+", default=["srresnet", "espcn"], choices=ch6.MODELS)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--patches", type=int, default=3000, help="HR training crops from the training photos")
    p.add_argument("--device", default="cpu")
    add_run_arguments(p, "a few steps on a few crops, one seed (CI smoke run)")
    args, t0 = parse_run_arguments(p, argv)
    if args.quick:
        args.budgets, args.seeds, args.patches = [3], 1, 64
    config = ch6.SR["quick"]
    train, test = ch6.sr_split(args.data_dir or default_data_dir(), config, args.patches, 16 if args.quick else 200)
    bicubic = ch6.bicubic_scores(test["lr"], test["hr"], config.scale)
    rows = {}
    for model in args.models:
        for steps in args.budgets:
            per_seed, seconds = {}, []
            for seed in range(args.seed, args.seed + args.seeds):
                run = ch6.train_sr(train, config, steps, model, seed=seed, device=args.device, progress=False)
                s = ch6.evaluate_sr(ch6.upscale(run.model, test["lr"]), test["hr"], config.scale)
                per_seed[str(seed)] = {**s, "gain": s["psnr"] - bicubic["psnr"]}
                seconds.append(run.train_seconds)
                print(f"[bench] {model} {steps} steps, seed {seed}: {per_seed[str(seed)]} in {run.train_seconds:.0f} s",
                      flush=True)
            rows[f"{model} {steps}"] = {"model": model, "steps": steps, **seed_row(per_seed, KEYS),
                                        "train_seconds": round(sum(seconds) / len(seconds), 1)}
    result = {"benchmark": "sr_time_to_quality", "config": vars(config), "train_crops": len(train["hr"]),
              "test_crops": len(test["hr"]), "test_crop": ch6.TEST_CROP, "bicubic": bicubic, "rows": rows,
              "device": args.device, "torch_threads": torch.get_num_threads(), "date": date.today().isoformat(),
              "hardware": hardware(), "wall_seconds": round(time.perf_counter() - t0, 1)}
    path = RESULTS / "sr_time_to_quality.json"
    if args.save and not args.quick:
        save_curve(result, path)
    return finish(result, path, False)


if __name__ == "__main__":
    main()
