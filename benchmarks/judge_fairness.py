"""Chapter 2: how much does the confident rate depend on the judge? A plain and a fair MNIST classifier, side by side.

    python benchmarks/judge_fairness.py --save     # trains the plain and reverse judges and the chapter's generator
    python benchmarks/judge_fairness.py --quick    # a smoke run (CI)

Two judges score the *same* generated digits:

- ``plain``: the SmallCNN trained the ordinary way (cross-entropy, 2 epochs), the course's first judge;
- ``fair``: the shipped judge (``aigc_course.metrics.train_classifiers``: deformation and noise
  augmentation, outlier exposure on uniform noise, blobs and flat greys), loaded from its weights;
- ``reverse``: the same recipe with outlier exposure on checkerboards and stripes instead, trained here:
  for it uniform noise, blobs and flats are the held-out kinds, so the pair tests whether "not a digit"
  generalises beyond the kinds of non-digit a judge was shown, in both directions.

Each judge's row lists its ``held_out`` checks: the kinds of image its training never saw.

For each: test accuracy, confident rate on real test digits, the :func:`judge_report` (confident
rates on identity-preserving changes of real digits and on non-digits), and the confident rate and
class range of 10,000 samples of chapter 2's model, trained here at the chapter's budget, and of
2,000 samples of the same generator untrained (it draws one nearly constant image: a fair judge is
not confident on it). ``--save``
writes ``aigc_course/tables/judge_fairness_mnist.json`` with the hardware and date; the last line printed is
the JSON of this run.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from datetime import date

import torch

from aigc_course.data import load_dataset, to_unit_range
from aigc_course.metrics.classifier import classifier_record, load_classifier, predict_probs
from aigc_course.metrics.judge import (
    CHECK_NAMES,
    REVERSE_OUTLIERS,
    TRAINED_OUTLIERS,
    held_out_checks,
    judge_report,
)
from aigc_course.metrics.scores import classifier_scores
from aigc_course.metrics.train_classifiers import EPOCHS, fair_judge_loss, train_judge
from aigc_course.runtime import default_data_dir, hardware
from aigc_course.train import sample
from aigc_course.train.dcgan import train_config
from aigc_course.train.supervised import classification_loss

from common import (  # this folder is on sys.path when a script in it runs
    ABLATIONS,
    RESULTS,
    add_run_arguments,
    save_rows,
)

PLAIN_EPOCHS = 2


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(p, "smoke run: 10 steps per trained judge, 20 generator steps, 500 samples")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data_dir or default_data_dir()
    table = ABLATIONS["mnist"]
    steps, samples = (20, 500) if args.quick else (table.steps, table.samples)

    train = load_dataset("mnist", "train", data_dir=data_dir)
    test_images = to_unit_range(load_dataset("mnist", "test", data_dir=data_dir).images)
    config = table.config()
    run = train_config(config, train, steps, seed=args.seed, progress=False)
    torch.manual_seed(args.seed)
    sample_sets = {"samples": run.sample(samples, seed=args.seed + 1),  # the trained generator
                   "untrained": sample(config.build(1, 28)[0], min(samples, 2000), seed=args.seed + 1)}  # one image

    # --quick trains the plain and reverse judges for 10 steps and tests every judge on 200 test images: it
    # exercises the code, they are not usable judges
    n_test = 200 if args.quick else None
    plain, plain_record = train_judge("mnist", classification_loss, PLAIN_EPOCHS, data_dir, args.seed,
                                      steps=10 if args.quick else None, n_test=n_test)
    reverse, reverse_record = train_judge("mnist", functools.partial(fair_judge_loss, outliers=REVERSE_OUTLIERS),
                                          EPOCHS["mnist"], data_dir, args.seed, steps=10 if args.quick else None,
                                          n_test=n_test)
    judges = {"plain": (plain, {"recipe": f"plain cross-entropy, {PLAIN_EPOCHS} epochs", **plain_record}, ()),
              "fair": (load_classifier("mnist"), classifier_record("mnist"), TRAINED_OUTLIERS),
              "reverse": (reverse, {"recipe": "affine + noise augmentation, outlier exposure on "
                                              + ", ".join(REVERSE_OUTLIERS), **reverse_record}, REVERSE_OUTLIERS)}
    out: dict = {}
    for name, (model, record, outliers) in judges.items():
        out[name] = {"recipe": record["recipe"], "test_accuracy": record["test_accuracy"],
                     "real_confident_rate": record["real_confident_rate"],
                     "held_out": held_out_checks(outliers) if outliers else [c for c in CHECK_NAMES if c != "real"],
                     "judge_report": {k: round(v, 4)
                                      for k, v in judge_report(model, test_images[:n_test or 2000]).items()}}
        for set_name, images in sample_sets.items():
            with torch.no_grad():
                probs = predict_probs(model, images)
            scores = classifier_scores(probs)
            out[name] |= {f"{set_name}_confident_rate": round(scores["confident_rate"], 4),
                          f"{set_name}_class_min_frac": round(min(scores["class_fractions"]), 4),
                          f"{set_name}_class_max_frac": round(max(scores["class_fractions"]), 4)}
        print(f"[judge] {name:>5}: accuracy {record['test_accuracy']:.4f}, "
              f"real confident {record['real_confident_rate']:.3f}, "
              f"samples confident {out[name]['samples_confident_rate']:.3f}, untrained generator confident "
              f"{out[name]['untrained_confident_rate']:.3f}, uniform noise confident "
              f"{out[name]['judge_report']['garbage_uniform_noise']:.3f}, checkerboard confident "
              f"{out[name]['judge_report']['garbage_checkerboard']:.3f}", flush=True)
    result = {"benchmark": "judge_fairness", "dataset": "mnist", "data_source": train.source, "seed": args.seed,
              "generator_row": table.chapter, "generator_steps": steps, "samples": samples,
              "date": date.today().isoformat(), "hardware": hardware(), "torch_threads": torch.get_num_threads(),
              "rows": out}
    if args.save and not args.quick:
        save_rows(result, RESULTS / "judge_fairness_mnist.json", list(judges))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
