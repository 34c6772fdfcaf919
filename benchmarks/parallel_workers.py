"""Do two single-thread processes train faster than one two-thread process on this CPU?

The question behind running CI's notebooks on two pytest-xdist workers: each worker would run its
notebook with one torch thread. This script trains chapter 2's DCGAN (the ``dcgan-mnist`` recipe)
for the same number of steps three ways and reports images/s:

- ``one_process_all_threads``: one process with every core's thread (how a notebook runs alone);
- ``one_process_one_thread``: one process with one thread, the other core idle;
- ``two_processes_one_thread_each``: two such processes at once (what two xdist workers do), summed.

    python benchmarks/parallel_workers.py --save     # writes aigc_course/tables/parallel_workers.json
    python benchmarks/parallel_workers.py --quick    # a smoke run (CI)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import torch

from aigc_course.data import load_dataset
from aigc_course.recipes import RECIPES
from aigc_course.runtime import hardware
from aigc_course.train import fit_gan

from common import RESULTS, finish  # this folder is on sys.path when a script in it runs


def images_per_second(steps: int, threads: int, data_dir: str | None) -> float:
    """Train the recipe for ``steps`` steps with ``threads`` torch threads; return training images/s."""
    torch.set_num_threads(threads)
    recipe = RECIPES["dcgan-mnist"]
    data = load_dataset("mnist", "train", data_dir=data_dir, verbose=False)
    loader = data.loader(recipe.batch_size, seed=0, drop_last=True)
    torch.manual_seed(0)
    G, D = recipe.build()
    fit_gan(G, D, loader, 5, progress=False, **recipe.train)  # warm-up
    t0 = time.perf_counter()
    fit_gan(G, D, loader, steps, progress=False, **recipe.train)
    return steps * recipe.batch_size / (time.perf_counter() - t0)


def run_children(n: int, steps: int, threads: int, data_dir: str | None) -> list[float]:
    """Start ``n`` processes at once, each measuring :func:`images_per_second`; return their results."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--child", "--steps", str(steps), "--threads", str(threads)]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) for _ in range(n)]
    return [float(p.communicate()[0].strip().splitlines()[-1]) for p in procs]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads of the all-threads run")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--quick", action="store_true", help="a few steps only (a smoke run)")
    p.add_argument("--save", action="store_true", help="write aigc_course/tables/parallel_workers.json")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(images_per_second(args.steps, args.threads, args.data_dir))
        return
    steps = 10 if args.quick else args.steps
    alone_all = run_children(1, steps, args.threads, args.data_dir)[0]
    alone_one = run_children(1, steps, 1, args.data_dir)[0]
    pair = run_children(2, steps, 1, args.data_dir)
    result = {"benchmark": "parallel_workers", "steps": steps, "cpu_count": os.cpu_count(),
              "one_process_all_threads": round(alone_all, 1), "one_process_one_thread": round(alone_one, 1),
              "two_processes_one_thread_each": [round(x, 1) for x in pair],
              "two_processes_total": round(sum(pair), 1),
              "speedup_of_two_workers": round(sum(pair) / alone_all, 3),
              "date": time.strftime("%Y-%m-%d"), "hardware": hardware()}
    finish(result, RESULTS / "parallel_workers.json", args.save and not args.quick)


if __name__ == "__main__":
    main()
