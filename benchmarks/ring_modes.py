"""Chapter 1: the ring of 8 Gaussians over many seeds, at the chapter's quick and full budgets.

    python benchmarks/ring_modes.py --save --seeds 5     # 3 objectives x 5 seeds x 2 budgets
    python benchmarks/ring_modes.py --quick              # a smoke run (CI): 2 seeds, 30 steps

Runs ``aigc_course.chapters.ch01_gan_math.ring.train_ring`` — the chapter's code, unchanged — for every
objective (saturating "vanilla", non-saturating, WGAN-GP), seed and budget (generator steps), and
reports per objective and budget the modes covered and the high-quality fraction of the EMA generator
and of the raw last-step generator over the seeds (each value, mean, min, max). The budgets count
*generator* steps: WGAN-GP takes ``n_critic`` (5) critic steps per generator step, so it gets 5× as
many critic updates as the other two get discriminator updates; its ``critic_updates`` column says so.
``--save`` writes ``aigc_course/tables/ring_modes.json`` with the hardware and date.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date

import torch

from aigc_course.chapters.ch01_gan_math import BUDGETS, ring
from aigc_course.runtime import hardware

from common import RESULTS, finish, summary  # this folder is on sys.path when a script in it runs


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5, help="seeds per objective and budget (0, 1, ...)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: the torch thread count)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 seeds, 30 generator steps")
    p.add_argument("--save", action="store_true")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error(f"--seeds={args.seeds} must be at least 1")
    seeds = list(range(2 if args.quick else args.seeds))
    chapter = BUDGETS["RING_STEPS"]
    budgets = {"quick": 30} if args.quick else {"quick": chapter.quick, "full": chapter.full}
    rows: dict = {}
    t0 = time.perf_counter()
    for budget, steps in budgets.items():
        runs = ring.train_all(list(ring.OBJECTIVES), seeds, steps, workers=args.workers)
        for name, per_seed in runs.items():
            n_critic = ring.OBJECTIVES[name].get("n_critic", 1)
            rows[f"{name}@{budget}"] = {
                "objective": name, "budget": budget, "generator_steps": steps, "critic_updates": steps * n_critic,
                "ema_modes": summary([r.final["modes_covered"] for r in per_seed]),
                "ema_hq": summary([round(r.final["hq_fraction"], 4) for r in per_seed]),
                "raw_modes": summary([r.raw_final["modes_covered"] for r in per_seed]),
                "raw_hq": summary([round(r.raw_final["hq_fraction"], 4) for r in per_seed]),
            }
            row = rows[f"{name}@{budget}"]
            print(f"[ring] {name:>13} @ {budget} ({steps} G steps): EMA modes {row['ema_modes']['values']}, "
                  f"HQ {row['ema_hq']['mean']:.3f}; raw modes {row['raw_modes']['values']}, "
                  f"HQ {row['raw_hq']['mean']:.3f}", flush=True)
    result = {"benchmark": "ring_modes", "seeds": seeds, "budgets": budgets, "settings": ring.SHARED,
              "objectives": ring.OBJECTIVES, "ring_std": ring.RING_STD,
              "seconds": round(time.perf_counter() - t0, 1), "date": date.today().isoformat(),
              "hardware": hardware(), "torch_threads": torch.get_num_threads(), "rows": rows}
    return finish(result, RESULTS / "ring_modes.json", args.save and not args.quick)


if __name__ == "__main__":
    main(sys.argv[1:])
