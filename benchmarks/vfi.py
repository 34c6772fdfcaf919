"""Chapter 8's time-to-quality table: the refinement network's PSNR on held-out real triplets against training steps.

    python benchmarks/vfi.py --save                            # budgets 300, 1000, 3000; 3 seeds
    python benchmarks/vfi.py --budgets 4000 --seeds 1 --save   # a longer point (merged into the table)
    python benchmarks/vfi.py --quick                           # smoke run (CI)

``aigc_course.models.flow.RefineNet`` in chapter 8's quick configuration (zero-initialised, half resolution, on
Farnebäck's flows), trained by ``ch08_video_interpolation.train_refiner`` with L1 on the packed crops of the
training part of the chapter's clips. Each budget is its own run (the cosine schedule ends at the budget, as in the
notebook). Scores on every held-out triplet (the last part of each clip, triplets that cross a scene cut left out,
one every 2 frames): mean PSNR and SSIM, beside the classical methods on the same triplets; ``gain`` is the PSNR
over Farnebäck's flow interpolation, the frame the network starts from, and ``better`` the share of triplets where
the network is better. Rows: ``refine <steps>`` with the mean over seeds and the [min, max] spread.
"""
from __future__ import annotations

import argparse
import time
from datetime import date

import torch

from aigc_course.chapters import ch08_video_interpolation as ch8
from aigc_course.data.video import load_clips
from aigc_course.runtime import default_data_dir, hardware

from common import (  # this folder is on sys.path when a script in it runs
    RESULTS,
    add_run_arguments,
    finish,
    parse_run_arguments,
    save_curve,
    seed_row,
)

KEYS = ("psnr", "ssim", "gain", "better")


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budgets", type=int, nargs="+", default=[300, 1000, 3000])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--device", default="cpu")
    add_run_arguments(p, "a few steps on one clip, one seed (CI smoke run)")
    args, t0 = parse_run_arguments(p, argv)
    names = ch8.CLIPS
    if args.quick:
        args.budgets, args.seeds, names = [3], 1, ("carphone_pristine.mp4",)
    config = ch8.REFINE["quick"]
    data_dir = args.data_dir or default_data_dir()
    clips = {s: load_clips(s, data_dir, max_side=config.side, names=names) for s in ("train", "test")}
    train = ch8.packed_triplets(clips["train"], config, seed=0)
    test = ch8.triplets(clips["test"], config.gap, stride=2)
    classical = ch8.evaluate(test, config.flow, occlusion_aware=config.occlusion_aware)
    base = classical["flow"]["psnr"]
    rows = {}
    for steps in args.budgets:
        per_seed, seconds = {}, []
        for seed in range(args.seed, args.seed + args.seeds):
            run = ch8.train_refiner(train, config, steps, seed=seed, device=args.device, progress=False)
            s = ch8.evaluate(test, config.flow, refiner=run.model.cpu(), occlusion_aware=config.occlusion_aware)
            gain = s["refine"]["psnr"] - base
            per_seed[str(seed)] = {"psnr": float(s["refine"]["psnr"].mean()), "ssim": float(s["refine"]["ssim"].mean()),
                                   "gain": float(gain.mean()), "better": float((gain > 0).float().mean())}
            seconds.append(run.train_seconds)
            print(f"[bench] refine {steps} steps, seed {seed}: {per_seed[str(seed)]} in {run.train_seconds:.0f} s",
                  flush=True)
        rows[f"refine {steps}"] = {"steps": steps, **seed_row(per_seed, KEYS),
                                   "train_seconds": round(sum(seconds) / len(seconds), 1)}
    result = {"benchmark": "vfi", "config": config.record(), "train_crops": len(train["x"]),
              "test_triplets": len(base), "clips": list(names),
              "classical": {m: {"psnr": float(v["psnr"].mean()), "ssim": float(v["ssim"].mean())}
                            for m, v in classical.items()},
              "rows": rows, "device": args.device, "torch_threads": torch.get_num_threads(),
              "date": date.today().isoformat(), "hardware": hardware(),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    path = RESULTS / "vfi.json"
    if args.save and not args.quick:
        save_curve(result, path)
    return finish(result, path, False)


if __name__ == "__main__":
    main()
