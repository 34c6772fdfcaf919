"""Command line: ``python -m aigc_course train <recipe> [--steps N] [--device ...] [--out DIR] [--resume]``
and ``python -m aigc_course export <recipe> --run DIR`` (ship a run's weights with their provenance)."""
from __future__ import annotations

import argparse
import shlex
import sys

from .recipes import RECIPES, SHIPPABLE, export_recipe, run_recipe
from .runtime import DEVICES
from .train.checkpoint import CheckpointError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; give an integer >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    recipes = "\n".join(f"  {name:<15} {r.description}" for name, r in RECIPES.items())
    parser = argparse.ArgumentParser(
        prog="python -m aigc_course", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="AIGC Course command line.", epilog=f"recipes:\n{recipes}\n\n"
        "Several processes: torchrun --nproc_per_node=N -m aigc_course train <recipe> ...")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,export}")
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
    shippable = sorted(SHIPPABLE)
    export = sub.add_parser("export", help="ship a trained run's weights in the package, with provenance")
    export.add_argument("recipe", choices=shippable, help="whose weights")
    export.add_argument("--run", required=True, help="the --out folder of `train` (checkpoint.pt, provenance.json)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        if args.command == "export":
            pt, record = export_recipe(args.recipe, args.run)
            print(f"[export] {args.recipe}: {pt} and {record}")
            return 0
        run_recipe(args.recipe, steps=args.steps, device=args.device, out=args.out, resume=args.resume,
                   seed=args.seed, batch_size=args.batch_size, data_dir=args.data_dir,
                   progress=not args.no_progress, command=shlex.join(["python", "-m", "aigc_course", *argv]))
    except (ValueError, CheckpointError) as err:  # bad values found past argparse, e.g. DEVICE=cuda without a GPU
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
