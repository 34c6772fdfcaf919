"""Chapter 7's time-to-quality table: PSNR inside free-form holes on held-out photos against training steps.

    python benchmarks/inpaint_time_to_quality.py --save                                  # 3 variants, 3 seeds
    python benchmarks/inpaint_time_to_quality.py --variants prior --budgets 6000 --save  # a longer point (merged)
    python benchmarks/inpaint_time_to_quality.py --quick                                 # smoke run (CI)

Variants of ``aigc_course.models.inpaint.InpaintNet`` (chapter 7's quick configuration, trained by
``ch07_inpainting_and_style.train_inpainter`` with the L1 error inside the hole): ``plain`` (black holes and a mask
channel, ordinary convolutions), ``partial`` (partial convolutions in the encoder), ``prior`` (reads the biharmonic
fill and learns a zero-initialised residual over it). Each budget is its own run (the cosine schedule ends at the
budget, as in the notebook), on 3,000 64×64 crops of the training photos with free-form holes (15–25 %); scores
on 200 crops (seed 1) of the held-out photos: PSNR and SSIM inside the hole and sharpness, beside OpenCV's Telea
and Navier–Stokes fills and scikit-image's biharmonic one on the same holes. Rows: ``<variant> <steps>`` with the
mean over seeds and the [min, max] spread; ``gain`` is the PSNR over the best classical fill.
"""
from __future__ import annotations

import argparse
import time
from datetime import date

import torch

from aigc_course.chapters import ch07_inpainting_and_style as ch7
from aigc_course.data.photos import load_photos
from aigc_course.models.inference import predict
from aigc_course.models.inpaint import inpaint_classical
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
VARIANTS = {"plain": ("plain", False), "partial": ("partial", False), "prior": ("plain", True)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budgets", type=int, nargs="+", default=[300, 1000, 3000])
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--patches", type=int, default=3000, help="training crops from the training photos")
    p.add_argument("--device", default="cpu")
    add_run_arguments(p, "a few steps on a few crops, one seed (CI smoke run)")
    args, t0 = parse_run_arguments(p, argv)
    if args.quick:
        args.budgets, args.seeds, args.patches = [3], 1, 32
    config = ch7.INPAINT["quick"]
    data_dir = args.data_dir or default_data_dir()
    photos = {s: load_photos(s, data_dir, max_side=config.photo_side) for s in ("train", "test")}
    train = ch7.inpaint_pairs(photos["train"], args.patches, config.size, config.kind, seed=0)
    test = ch7.inpaint_pairs(photos["test"], 16 if args.quick else 200, config.size, config.kind, seed=1, flips=False)
    classical = {m: ch7.evaluate_inpainting(inpaint_classical(test["image"], test["hole"], m), test["image"],
                                            test["hole"]) for m in ("telea", "ns", "biharmonic")}
    best = max(s["psnr"] for s in classical.values())
    rows = {}
    for variant in args.variants:
        conv, prior = VARIANTS[variant]
        for steps in args.budgets:
            per_seed, seconds = {}, []
            for seed in range(args.seed, args.seed + args.seeds):
                run = ch7.train_inpainter(train, config, steps, conv=conv, prior=prior, seed=seed, device=args.device,
                                          progress=False)
                out = predict(run.model, test["x_prior"] if prior else test["x"])
                s = ch7.evaluate_inpainting(out, test["image"], test["hole"])
                per_seed[str(seed)] = {**s, "gain": s["psnr"] - best}
                seconds.append(run.train_seconds)
                print(f"[bench] {variant} {steps} steps, seed {seed}: {per_seed[str(seed)]} in "
                      f"{run.train_seconds:.0f} s", flush=True)
            rows[f"{variant} {steps}"] = {"variant": variant, "steps": steps, **seed_row(per_seed, KEYS),
                                          "train_seconds": round(sum(seconds) / len(seconds), 1)}
    result = {"benchmark": "inpaint_time_to_quality", "config": config.record(), "train_crops": args.patches,
              "test_crops": len(test["image"]), "classical": classical, "rows": rows, "device": args.device,
              "torch_threads": torch.get_num_threads(), "date": date.today().isoformat(), "hardware": hardware(),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    path = RESULTS / "inpaint_time_to_quality.json"
    if args.save and not args.quick:
        save_curve(result, path)
    return finish(result, path, False)


if __name__ == "__main__":
    main()
