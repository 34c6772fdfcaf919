"""Chapter 6's perception–distortion table: the L1 SRResNet, then SRGAN fine-tuning with each feature network.

    python benchmarks/srgan_ablation.py --save       # 3 seeds at the notebook's quick budgets
    python benchmarks/srgan_ablation.py --quick      # smoke run (CI)

Per seed: ``train_sr`` (quick ``SRConfig``, L1, ``--l1-steps``) on 3,000 HR crops of the training photos, then
three SRGAN fine-tunings of that same model for ``--gan-steps`` (``train_srgan`` with ``GANWeights()``): the
feature term on ImageNet EfficientNet-Lite0 (``pretrained``), on the same network with random weights
(``random``), and without a feature term (``none``). Scores on 200 held-out 96×96 crops: PSNR/SSIM on Y with a
4-pixel border, sharpness (gradient energy ÷ the truth's; 1 is as sharp as the truth). Rows: ``l1`` and
``gan-<features>``, mean and [min, max] over seeds; the ``*_vs_l1`` keys are per-seed differences to the L1 model.
"""
from __future__ import annotations

import argparse
import time
from datetime import date

import torch

from aigc_course.chapters import ch06_super_resolution as ch6
from aigc_course.runtime import default_data_dir, hardware

from common import RESULTS, add_run_arguments, finish, parse_run_arguments, seed_row  # on sys.path when run

FEATURES = ("pretrained", "random", "none")
KEYS = ("psnr", "ssim", "sharpness", "psnr_vs_l1", "sharpness_vs_l1")


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--l1-steps", type=int, default=1200)
    p.add_argument("--gan-steps", type=int, default=300)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--patches", type=int, default=3000, help="HR training crops from the training photos")
    add_run_arguments(p, "a few steps on a few crops, one seed (CI smoke run)")
    args, t0 = parse_run_arguments(p, argv)
    if args.quick:
        args.l1_steps, args.gan_steps, args.seeds, args.patches = 3, 2, 1, 64
    config = ch6.SR["quick"]
    train, test = ch6.sr_split(args.data_dir or default_data_dir(), config, args.patches, 16 if args.quick else 200)
    per_seed: dict[str, dict[str, dict]] = {"l1": {}, **{f"gan-{f}": {} for f in FEATURES}}
    for seed in range(args.seed, args.seed + args.seeds):
        l1 = ch6.train_sr(train, config, args.l1_steps, seed=seed, progress=False)
        base = ch6.evaluate_sr(ch6.upscale(l1.model, test["lr"]), test["hr"], config.scale)
        per_seed["l1"][str(seed)] = {**base, "psnr_vs_l1": 0.0, "sharpness_vs_l1": 0.0}
        for features in FEATURES:
            gan = ch6.train_srgan(train, config, args.gan_steps, l1.model, features=features, seed=seed,
                                  progress=False)
            s = ch6.evaluate_sr(ch6.upscale(gan.G, test["lr"]), test["hr"], config.scale)
            per_seed[f"gan-{features}"][str(seed)] = {**s, "psnr_vs_l1": s["psnr"] - base["psnr"],
                                                     "sharpness_vs_l1": s["sharpness"] - base["sharpness"]}
            print(f"[bench] seed {seed} gan-{features}: {per_seed[f'gan-{features}'][str(seed)]}", flush=True)
    rows = {name: {"steps": args.l1_steps if name == "l1" else args.gan_steps, **seed_row(runs, KEYS)}
            for name, runs in per_seed.items()}
    result = {"benchmark": "srgan_ablation", "config": vars(config), "weights": vars(ch6.GANWeights()),
              "l1_steps": args.l1_steps, "gan_steps": args.gan_steps, "train_crops": len(train["hr"]),
              "test_crops": len(test["hr"]),
              "bicubic": ch6.bicubic_scores(test["lr"], test["hr"], config.scale), "rows": rows,
              "torch_threads": torch.get_num_threads(), "date": date.today().isoformat(), "hardware": hardware(),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    return finish(result, RESULTS / "srgan_ablation.json", args.save and not args.quick)


if __name__ == "__main__":
    main()
