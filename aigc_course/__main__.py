"""Command line: ``python -m aigc_course train <recipe> [--steps N] [--device ...] [--out DIR] [--resume]``."""
from __future__ import annotations

import argparse
import sys

from .recipes import RECIPES, run_recipe
from .runtime import DEVICES


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; give an integer >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    recipes = "\n".join(f"  {name:<14} {r.description}" for name, r in RECIPES.items())
    parser = argparse.ArgumentParser(
        prog="python -m aigc_course", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="AIGC Course command line.", epilog=f"recipes:\n{recipes}\n\n"
        "Several processes: torchrun --nproc_per_node=N -m aigc_course train <recipe> ...")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train}")
    train = sub.add_parser("train", help="train a recipe", formatter_class=argparse.RawDescriptionHelpFormatter,
                           epilog=f"recipes:\n{recipes}")
    train.add_argument("recipe", choices=sorted(RECIPES), help="what to train")
    train.add_argument("--steps", type=_positive_int, help="generator steps (default: the recipe's budget)")
    train.add_argument("--device", choices=DEVICES, default="auto", help="default: auto (CUDA > MPS > CPU)")
    train.add_argument("--out", help="folder for checkpoint.pt and samples.png (default: runs/<recipe>)")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--data-dir", help="dataset folder (default: $DATA_DIR, else data/)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run_recipe(args.recipe, steps=args.steps, device=args.device, out=args.out, resume=args.resume,
                   seed=args.seed, batch_size=args.batch_size, data_dir=args.data_dir,
                   progress=not args.no_progress)
    except ValueError as err:  # bad values found past argparse, e.g. DEVICE=cuda without a GPU
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
