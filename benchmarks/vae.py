"""Chapter 4's VAE on binarised MNIST: test negative ELBO and importance-weighted −log p(x), in nats.

    python benchmarks/vae.py --save              # 4,000 steps, full test set, k = 100
    python benchmarks/vae.py --steps 60000 --save   # full mode (GPU)
    python benchmarks/vae.py --quick             # smoke run (CI)

Training is ``aigc_course.chapters.ch04_vae.train_vae`` (what the notebook runs); the test set is binarised once
with seed 1234, as in the notebook. ``--save`` writes aigc_course/tables/vae.json with the hardware and date.
The last line printed is the JSON of the run.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date

import torch

from aigc_course.chapters.ch04_vae import QUICK_STEPS, train_vae
from aigc_course.data import load_dataset
from aigc_course.metrics.likelihood import iw_nll, nelbo
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train.vae import binarize

from common import RESULTS, finish  # this folder is on sys.path when a script in it runs


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=4000, help="the committed row's 4,000 (the chapter now trains "
                   f"{QUICK_STEPS:,} in quick mode)")
    p.add_argument("--latent-dim", type=int, default=32)
    p.add_argument("--k", type=int, default=100, help="importance samples per image")
    p.add_argument("--iw-images", type=int, default=10_000, help="test images in the importance-weighted estimate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--save", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.k, args.iw_images = 20, 5, 100
    data_dir = args.data_dir or default_data_dir()
    train = load_dataset("mnist", "train", data_dir=data_dir)
    test = load_dataset("mnist", "test", data_dir=data_dir)
    x_test = binarize(test.images.float() / 255, torch.Generator().manual_seed(1234)).to(args.device)
    run = train_vae(train, args.steps, latent_dim=args.latent_dim, seed=args.seed, device=args.device, progress=False)
    start = time.perf_counter()
    bound = nelbo(run.model, x_test)
    iw, iw_se = iw_nll(run.model, x_test[:args.iw_images], k=args.k, seed=args.seed)
    result = {"benchmark": "vae", "steps": args.steps, "latent_dim": args.latent_dim, "train_images": len(train),
              "data_source": train.source, "train_seconds": round(run.train_seconds, 1),
              "test_nelbo_nats": bound["nelbo"], "test_rec_nats": bound["rec"], "test_kl_nats": bound["kl"],
              "test_iw_nll_nats": iw, "test_iw_nll_se": iw_se, "iw_k": args.k, "iw_images": args.iw_images,
              "eval_seconds": round(time.perf_counter() - start, 1), "device": args.device,
              "torch_threads": torch.get_num_threads(), "date": date.today().isoformat(), "hardware": hardware()}
    return finish(result, RESULTS / "vae.json", args.save and not args.quick)


if __name__ == "__main__":
    main(sys.argv[1:])
