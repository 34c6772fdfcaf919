"""Standard Inception FID of chapter 3's quick CIFAR-10 model, next to the real-vs-real floor at the same N.

    python benchmarks/inception_fid.py --save          # train the chapter's quick model, then measure
    python benchmarks/inception_fid.py --quick         # smoke run (CI): 10 steps, N = 10

The FID Inception network costs 80–130 s per 1,000 images on a 2-core CPU, so N is kept to what the
real data allows: N fakes vs N real training images, and the floor between two disjoint sets of N real
training images (N <= half the training set). Real statistics are cached under build/cache/.
The last line printed is the JSON of the run; ``--save`` writes it to aigc_course/tables/inception_fid.json.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from aigc_course.data import load_dataset, to_unit_range
from aigc_course.metrics.inception import InceptionFeatures, inception_fid
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train.dcgan import train_config

from common import ABLATIONS, RESULTS, finish  # this folder is on sys.path when a script in it runs


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000, help="images per side of each FID")
    p.add_argument("--steps", type=int, help="generator steps (default: chapter 3's quick budget)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--save", action="store_true")
    args = p.parse_args(argv)
    table = ABLATIONS["cifar10"]
    steps = 10 if args.quick else (args.steps or table.steps)
    n = 10 if args.quick else args.n
    train = load_dataset("cifar10", "train", data_dir=args.data_dir or default_data_dir())
    test = load_dataset("cifar10", "test", data_dir=args.data_dir or default_data_dir())
    real, real_test = to_unit_range(train.images), to_unit_range(test.images)
    if len(real) < 2 * n:
        p.error(f"--n {n} needs {2 * n} real training images; there are {len(real)}")
    run = train_config(table.config(), train, steps, seed=args.seed, progress=False)
    fake = run.sample(n, seed=args.seed + 1)
    net = InceptionFeatures()
    start = time.perf_counter()
    result = {"benchmark": "inception_fid", "dataset": "cifar10", "data_source": train.source, "steps": steps, "n": n,
              "inception_fid": inception_fid(real[:n], fake, net=net),
              "inception_fid_floor": inception_fid(real[:n], real[n:2 * n], net=net),
              "train_vs_test": inception_fid(real[:min(n, len(real_test))], real_test[:n], net=net),
              "train_seconds": round(run.train_seconds, 1), "device": "cpu", "date": date.today().isoformat(),
              "hardware": hardware()}
    result["fid_seconds"] = round(time.perf_counter() - start, 1)
    return finish(result, RESULTS / "inception_fid.json", args.save and not args.quick)


if __name__ == "__main__":
    main(sys.argv[1:])
