"""Does the NHWC memory layout (``channels_last``) speed up the course's training on this CPU?

This script trains rows of chapter 2's ablation, and the quick-mode networks of the chapters that train
convolutional networks live (3, 4, 5, 6, 7, 8, 9, 10), for the same steps both ways, in interleaved rounds (so a
change in the machine's speed hits both layouts alike), and reports the median training images/s of each and
their ratio. Chapters 2, 3, 4 and 9 train on their real data; chapters 5 to 8 and 10 on random tensors of their
training batches' shapes (a convolution's speed does not depend on the pixel values; building those chapters'
real training pairs takes minutes). What it found made ``channels_last="auto"`` choose the NHWC layout for
image batches on the CPU too (it was CUDA only before 2026-12-07, and the older committed tables were trained
contiguous).

    python benchmarks/memory_format.py --save     # writes aigc_course/tables/memory_format.json
    python benchmarks/memory_format.py --quick    # a smoke run (CI)
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from aigc_course.chapters import (
    ch02_dcgan_mnist,
    ch03_dcgan_cifar10,
    ch04_vae,
    ch05_image_to_image,
    ch06_super_resolution,
    ch07_inpainting_and_style,
    ch08_video_interpolation,
    ch09_style_based_generators,
)
from aigc_course.chapters.ch10_diffusion import mnist as ch10_mnist
from aigc_course.data import TensorLoader, load_dataset
from aigc_course.runtime import check_choice, default_data_dir, hardware
from aigc_course.train.dcgan import train_config
from aigc_course.train.diffusion import fit_diffusion

from common import RESULTS, add_run_arguments, finish  # this folder is on sys.path when a script in it runs

ROWS = ["textbook", ch02_dcgan_mnist.ABLATION.chapter, "conditional-lr-1e-3"]
CHAPTER_ROWS = ["ch03 DCGAN", "ch04 VAE", "ch05 colouriser", "ch06 SRResNet", "ch06 DnCNN", "ch07 inpainter",
                "ch08 refiner", "ch09 style-based GAN", "ch10 diffusion U-Net"]
# One row's training run, (steps, channels_last, seed) -> anything, and the images one of its steps trains on.
Trainer = tuple[Callable[[int, bool, int], object], int]


def _random(seed: int, **shapes: tuple[int, ...]) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {name: torch.rand(512, *shape, generator=g) for name, shape in shapes.items()}


def trainer(row: str, data_dir: str) -> Trainer:
    """``row``'s training as a function of (steps, channels_last, seed), with its batch size."""
    if row in ROWS or row == "ch03 DCGAN":
        data, config = ((load_dataset("mnist", "train", data_dir=data_dir), ch02_dcgan_mnist.ABLATION.config(row))
                        if row in ROWS else
                        (load_dataset("cifar10", "train", data_dir=data_dir), ch03_dcgan_cifar10.ABLATION.config()))
        return (lambda n, cl, seed: train_config(config, data, n, seed=seed, progress=False, channels_last=cl),
                config.batch_size)
    if row == "ch04 VAE":
        mnist = load_dataset("mnist", "train", data_dir=data_dir)
        return lambda n, cl, seed: ch04_vae.train_vae(mnist, n, seed=seed, progress=False, channels_last=cl), 128
    if row == "ch09 style-based GAN":
        fashion, style = load_dataset("fashion-mnist", "train", data_dir=data_dir), ch09_style_based_generators.CHAPTER
        return (lambda n, cl, seed: ch09_style_based_generators.train_style(
            style, fashion, n, seed=seed, progress=False, channels_last=cl), style.batch_size)
    if row == "ch05 colouriser":
        c5 = ch05_image_to_image.COLOUR["quick"]
        pairs = _random(0, L=(1, c5.size, c5.size), ab=(2, c5.size, c5.size))
        return (lambda n, cl, seed: ch05_image_to_image.train_colouriser(
            pairs, c5, n, ch05_image_to_image.COLOUR_L1_WEIGHT, 1.0, seed=seed, progress=False, channels_last=cl),
            c5.batch_size)
    if row == "ch06 SRResNet":
        c6 = ch06_super_resolution.SR["quick"]
        side = c6.hr_size // c6.scale
        pairs = _random(0, lr=(3, side, side), hr=(3, c6.hr_size, c6.hr_size))
        return (lambda n, cl, seed: ch06_super_resolution.train_sr(pairs, c6, n, seed=seed, progress=False,
                                                                  channels_last=cl), c6.batch_size)
    if row == "ch06 DnCNN":
        d6 = ch06_super_resolution.DENOISE["quick"]
        pairs = _random(0, noisy=(3, d6.patch, d6.patch), clean=(3, d6.patch, d6.patch))
        return (lambda n, cl, seed: ch06_super_resolution.train_denoiser(pairs, d6, n, seed=seed, progress=False,
                                                                        channels_last=cl), d6.batch_size)
    if row == "ch07 inpainter":
        c7 = ch07_inpainting_and_style.INPAINT["quick"]
        pairs = _random(0, x=(4, c7.size, c7.size), x_prior=(7, c7.size, c7.size), image=(3, c7.size, c7.size))
        return (lambda n, cl, seed: ch07_inpainting_and_style.train_inpainter(pairs, c7, n, seed=seed, progress=False,
                                                                             channels_last=cl), c7.batch_size)
    if row == "ch08 refiner":
        c8 = ch08_video_interpolation.REFINE["quick"]
        data = _random(0, x=(c8.build().in_channels, c8.size, c8.size), it=(3, c8.size, c8.size))
        return (lambda n, cl, seed: ch08_video_interpolation.train_refiner(data, c8, n, seed=seed, progress=False,
                                                                          channels_last=cl), c8.batch_size)
    if row == "ch10 diffusion U-Net":
        c10 = ch10_mnist.MNIST
        digits = _random(0, x=(1, 28, 28))["x"] * 2 - 1

        def train_diffusion(n: int, cl: bool, seed: int) -> object:
            torch.manual_seed(seed)
            loader = TensorLoader(digits, torch.arange(len(digits)) % 10, batch_size=c10.batch_size, seed=seed,
                                  drop_last=True)
            return fit_diffusion(c10.build(), loader, n, seed=seed, progress=False, channels_last=cl,
                                 **c10.fit_kwargs())
        return train_diffusion, c10.batch_size
    raise ValueError(f"row {row!r}; allowed: {ROWS + CHAPTER_ROWS}")


def images_per_second(train: Trainer, steps: int, channels_last: bool, seed: int) -> float:
    """Train for ``steps`` steps in the given layout; return training images/s."""
    fit, batch_size = train
    t0 = time.perf_counter()
    fit(steps, channels_last, seed)
    return steps * batch_size / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(p, "smoke run: 3 steps, one round, the first row")
    p.add_argument("--steps", type=int, default=200, help="generator steps per measurement (chapter 2's rows)")
    p.add_argument("--chapter-steps", type=int, default=40, help="steps per measurement of the other chapters' rows")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per row and layout")
    p.add_argument("--rows", nargs="+", help=f"measure only these rows (default: all); allowed: {ROWS + CHAPTER_ROWS}")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        steps, chapter_steps, rounds, rows = 3, 2, 1, [ROWS[0], "ch05 colouriser", "ch10 diffusion U-Net"]
    else:
        steps, chapter_steps, rounds = args.steps, args.chapter_steps, args.rounds
        rows = args.rows or ROWS + CHAPTER_ROWS
    for row in rows:
        check_choice("row", row, ROWS + CHAPTER_ROWS)
    data_dir = args.data_dir or default_data_dir()
    out = {}
    for row in rows:
        train, n = trainer(row, data_dir), steps if row in ROWS else chapter_steps
        speeds: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(rounds):
            for layout in (False, True):
                speeds[layout].append(images_per_second(train, n, layout, args.seed))
        contiguous, nhwc = statistics.median(speeds[False]), statistics.median(speeds[True])
        out[row] = {"contiguous_img_per_s": round(contiguous, 1), "channels_last_img_per_s": round(nhwc, 1),
                    "speedup": round(nhwc / contiguous, 3)}
        print(f"[memory_format] {row}: {contiguous:.0f} img/s contiguous, {nhwc:.0f} img/s channels_last "
              f"({nhwc / contiguous:.2f}x)", flush=True)
    result = {"benchmark": "memory_format", "dataset": "mnist", "steps": steps, "chapter_steps": chapter_steps,
              "rounds": rounds,
              "torch_threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d"), "hardware": hardware(),
              "rows": out}
    return finish(result, RESULTS / "memory_format.json", args.save and not args.quick)


if __name__ == "__main__":
    main()
