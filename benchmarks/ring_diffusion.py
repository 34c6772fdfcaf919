"""Chapter 10: diffusion on chapter 1's ring of 8 Gaussians over seeds, beside chapter 1's WGAN-GP timed alike.

    python benchmarks/ring_diffusion.py --save --seeds 5   # 5 seeds at the chapter's quick budget
    python benchmarks/ring_diffusion.py --quick            # a smoke run (CI): 2 seeds, 30 steps

Runs ``aigc_course.chapters.ch10_diffusion.ring.train_ring_diffusion`` — the chapter's code — on the same
points, seeds and batch as chapter 1, and reports per seed the modes covered and the high-quality fraction
(chapter 1's protocol: within 3 std of a centre) of 5,000 samples drawn with DDIM (100 steps) and with
ancestral DDPM (all 1,000), the loss split against the closed-form optimal predictor (irreducible + score
error), and the training time; then the same network trained to predict x_0 and v instead of ε (rows
``sample_*`` and ``v_prediction_*``, scored through the ε̂ they imply). Chapter 1's WGAN-GP at its quick
budget runs on the same seeds in this process, one thread each, so the two training times compare on the same
machine (its numbers are in ring_modes.json).
``--save`` writes ``aigc_course/tables/ring_diffusion.json`` with the hardware and date.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date

import torch

from aigc_course.chapters.ch01_gan_math import BUDGETS as CH1_BUDGETS
from aigc_course.chapters.ch01_gan_math import ring as gan_ring
from aigc_course.chapters.ch10_diffusion import BUDGETS, ring
from aigc_course.metrics.modes import mode_stats
from aigc_course.runtime import hardware
from aigc_course.train.diffusion import sample

from common import RESULTS, finish, summary


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5, help="seeds (0, 1, ...)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 seeds, 30 steps, 500 samples")
    p.add_argument("--save", action="store_true")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error(f"--seeds={args.seeds} must be at least 1")
    torch.set_num_threads(1)
    seeds = list(range(2 if args.quick else args.seeds))
    steps = 30 if args.quick else BUDGETS["RING_STEPS"].quick
    gan_steps = 30 if args.quick else CH1_BUDGETS["RING_STEPS"].quick
    n = 500 if args.quick else 5000
    per_seed: list[dict] = []
    t0 = time.perf_counter()
    for seed in seeds:
        r = ring.train_ring_diffusion(seed, steps, n_samples=n)
        ddpm = sample(r.run.denoiser, n, (2,), ring.SCHEDULE, sampler="ddpm", clip=False, seed=seed + 100,
                      batch_size=n)
        ddpm_stats = mode_stats(ddpm, ring.CENTERS, ring.RING_STD)
        t_gan = time.perf_counter()
        gan = gan_ring.train_ring("wgangp", seed, gan_steps)
        row = {"seed": seed, "ddim100_modes": r.final["modes_covered"], "ddim100_hq": round(r.final["hq_fraction"], 4),
               "ddpm_modes": ddpm_stats["modes_covered"], "ddpm_hq": round(ddpm_stats["hq_fraction"], 4),
               **{k: round(v, 4) for k, v in r.errors.items()}, "train_seconds": round(r.run.train_seconds, 1),
               "wgangp_modes": gan.final["modes_covered"], "wgangp_hq": round(gan.final["hq_fraction"], 4),
               "wgangp_seconds": round(time.perf_counter() - t_gan, 1)}
        for prediction in ("sample", "v_prediction"):  # the parameterisations of section 2, same budget and seed
            other = ring.train_ring_diffusion(seed, steps, n_samples=n, prediction=prediction)
            row |= {f"{prediction}_ddim100_modes": other.final["modes_covered"],
                    f"{prediction}_ddim100_hq": round(other.final["hq_fraction"], 4),
                    f"{prediction}_score_error": round(other.errors["score_error"], 4)}
        per_seed.append(row)
        print(f"[ring-diffusion] seed {seed}: DDIM-100 {row['ddim100_modes']} modes, HQ {row['ddim100_hq']:.3f}; "
              f"DDPM {row['ddpm_modes']} modes, HQ {row['ddpm_hq']:.3f}; score error {row['score_error']:.4f} "
              f"({row['train_seconds']} s) | WGAN-GP {row['wgangp_modes']} modes, HQ {row['wgangp_hq']:.3f} "
              f"({row['wgangp_seconds']} s) | x0: HQ {row['sample_ddim100_hq']:.3f}, error "
              f"{row['sample_score_error']:.4f} | v: HQ {row['v_prediction_ddim100_hq']:.3f}, error "
              f"{row['v_prediction_score_error']:.4f}", flush=True)
    keys = [k for k in per_seed[0] if k != "seed"]
    result = {"benchmark": "ring_diffusion", "seeds": seeds, "steps": steps, "wgangp_generator_steps": gan_steps,
              "n_samples": n, "settings": {"lr": ring.LR, "lr_schedule": ring.LR_SCHEDULE, "ema_decay": ring.EMA_DECAY,
                                            "batch": ring.BATCH, "schedule": ring.SCHEDULE.kind,
                                            "train_steps": ring.SCHEDULE.steps},
              "ring_std": ring.RING_STD, "rows": {k: summary([row[k] for row in per_seed]) for k in keys},
              "seconds": round(time.perf_counter() - t0, 1), "date": date.today().isoformat(), "hardware": hardware(),
              "torch_threads": torch.get_num_threads()}
    return finish(result, RESULTS / "ring_diffusion.json", args.save and not args.quick)


if __name__ == "__main__":
    main(sys.argv[1:])
