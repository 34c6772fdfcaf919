"""Does the NHWC memory layout (``channels_last``) speed up chapter 2's training on this CPU?

The engine turns ``channels_last`` on for CUDA only (``channels_last="auto"``), and the committed ablation tables
were trained that way. This script trains rows of chapter 2's ablation for the same steps both ways, in
interleaved rounds (so a change in the machine's speed hits both layouts alike), and reports the median
training images/s of each and their ratio. Chapter 2's quick run uses the layout this measures.

    python benchmarks/memory_format.py --save     # writes aigc_course/tables/memory_format.json
    python benchmarks/memory_format.py --quick    # a smoke run (CI)
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from aigc_course.chapters import ch02_dcgan_mnist
from aigc_course.data import ImageData, load_dataset
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train.dcgan import train_config

from common import RESULTS, add_run_arguments, finish  # this folder is on sys.path when a script in it runs

ROWS = ["textbook", ch02_dcgan_mnist.ABLATION.chapter, "conditional-lr-1e-3"]


def images_per_second(row: str, data: ImageData, steps: int, channels_last: bool, seed: int) -> float:
    """Train ``row`` for ``steps`` generator steps in the given layout; return training images/s."""
    config = ch02_dcgan_mnist.ABLATION.config(row)
    t0 = time.perf_counter()
    train_config(config, data, steps, seed=seed, progress=False, channels_last=channels_last)
    return steps * config.batch_size / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(p, "smoke run: 3 steps, one round, the first row")
    p.add_argument("--steps", type=int, default=200, help="generator steps per measurement")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per row and layout")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    steps, rounds, rows = (3, 1, ROWS[:1]) if args.quick else (args.steps, args.rounds, ROWS)
    data = load_dataset("mnist", "train", data_dir=args.data_dir or default_data_dir())
    out = {}
    for row in rows:
        speeds: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(rounds):
            for layout in (False, True):
                speeds[layout].append(images_per_second(row, data, steps, layout, args.seed))
        contiguous, nhwc = statistics.median(speeds[False]), statistics.median(speeds[True])
        out[row] = {"contiguous_img_per_s": round(contiguous, 1), "channels_last_img_per_s": round(nhwc, 1),
                    "speedup": round(nhwc / contiguous, 3)}
        print(f"[memory_format] {row}: {contiguous:.0f} img/s contiguous, {nhwc:.0f} img/s channels_last "
              f"({nhwc / contiguous:.2f}x)", flush=True)
    result = {"benchmark": "memory_format", "dataset": "mnist", "steps": steps, "rounds": rounds,
              "torch_threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d"), "hardware": hardware(),
              "rows": out}
    return finish(result, RESULTS / "memory_format.json", args.save and not args.quick)


if __name__ == "__main__":
    main()
