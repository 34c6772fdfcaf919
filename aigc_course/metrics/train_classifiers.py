"""Train the metric classifiers and record their scores: ``python -m aigc_course.metrics.train_classifiers``.

Ordinary training (cross-entropy, AdamW, no temperature tricks), through the course's ``fit`` loop,
on the training split of each dataset; accuracy and the confident rate (max softmax >= 0.9) are
measured on the real test split and written to ``weights/classifiers.json``.

The MNIST judge, which decides chapter 2's quality bar, is trained to be a *fair* judge (see
:mod:`.judge`): small random deformations and pixel noise on the digits, so that a slightly blurred
or speckled but clear digit still counts, and outlier exposure, so that noise and blobs do not count.
Fashion-MNIST is trained plainly and CIFAR-10 with horizontal flips.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time

import torch
import torch.nn.functional as F

from ..data import ImageData, load_dataset, to_unit_range
from ..runtime import check_choice, check_int, hardware, seed_everything, write_json
from ..train.checkpoint import save_checkpoint
from ..train.supervised import LossFn, classification_loss, fit
from .classifier import RECORD, SHAPES, SmallCNN, load_classifier, weight_path
from .judge import (
    TRAINED_OUTLIERS,
    add_noise,
    judge_report,
    outlier_exposure_loss,
    outlier_images,
    random_affine,
)
from .scores import classifier_scores

# epochs chosen to pass the bars (MNIST >= 99 %, Fashion-MNIST >= 90 %) with room to spare on a CPU
EPOCHS = {"mnist": 3, "fashion-mnist": 4, "cifar10": 30}
OUTLIER_WEIGHT = 0.5  # λ of outlier exposure (Hendrycks et al. 2019 use 0.5)


def flip_loss(model, x, y):
    """Cross-entropy with random horizontal flips (CIFAR-10 only: digits must not be mirrored)."""
    flip = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < 0.5
    return classification_loss(model, torch.where(flip, x.flip(3), x), y)


def fair_judge_loss(model, x, y, outliers: tuple[str, ...] = TRAINED_OUTLIERS):
    """Cross-entropy on deformed, noisy digits plus λ × outlier exposure on half a batch of non-digits
    (of the kinds ``outliers``: see :func:`~.judge.outlier_images`)."""
    x = add_noise(random_affine(x))
    logits = model(torch.cat([x, outlier_images(x.shape[0] // 2, tuple(x.shape[1:]), outliers).to(x.device)]))
    ce = F.cross_entropy(logits[:len(y)], y)
    oe = outlier_exposure_loss(logits[len(y):])
    return ce + OUTLIER_WEIGHT * oe, {"cross_entropy": ce.detach(), "outlier": oe.detach()}


LOSSES = {"mnist": fair_judge_loss, "fashion-mnist": classification_loss, "cifar10": flip_loss}
RECIPES = {"mnist": "affine + noise augmentation, outlier exposure on " + ", ".join(TRAINED_OUTLIERS),
           "fashion-mnist": "plain", "cifar10": "flips"}


def train_judge(name: str, loss_fn: LossFn, epochs: int, data_dir: str | None = None, seed: int = 0,
                steps: int | None = None, n_test: int | None = None) -> tuple[SmallCNN, dict]:
    """Train a classifier for ``name`` with ``loss_fn`` for ``epochs`` (or exactly ``steps`` batches of 128);
    return it (in eval mode) and its scores: test accuracy, confident rate and Inception-Score analogue
    on the real test split (its first ``n_test`` images when given: a smoke run's shortcut), and (for
    single-channel data) the :func:`~.judge.judge_report` on the first 2,000 of them."""
    seed_everything(seed)
    train_set = load_dataset(name, "train", data_dir=data_dir)
    test_set = load_dataset(name, "test", data_dir=data_dir)
    loader = train_set.loader(128, seed=seed, drop_last=True)
    steps = epochs * len(loader) if steps is None else check_int("steps", steps)
    model = SmallCNN(in_channels=SHAPES[name][0])
    t0 = time.perf_counter()
    fit(model, loader, loss_fn, steps, lr=2e-3, weight_decay=5e-4, schedule="cosine", desc=f"{name} classifier")
    seconds = time.perf_counter() - t0
    model.eval()
    if n_test is not None:
        k = check_int("n_test", n_test)
        test_set = dataclasses.replace(test_set, images=test_set.images[:k], labels=test_set.labels[:k])
    return model, {**measure_on_test(model, test_set), "train_images": len(train_set), "train_source": train_set.source,
                   "epochs": epochs, "steps": steps, "train_seconds": round(seconds, 1)}


@torch.no_grad()
def measure_on_test(model: SmallCNN, test_set: ImageData) -> dict:
    """Test accuracy, confident rate and Inception-Score analogue of ``model`` on the real ``test_set``, and for
    single-channel data the :func:`~.judge.judge_report` on its first 2,000 images (with the date and machine)."""
    x_test = to_unit_range(test_set.images)
    logits = torch.cat([model(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)])
    real = classifier_scores(F.softmax(logits, 1))
    fairness = judge_report(model, x_test[:2000]) if test_set.images.shape[1] == 1 else None
    return {"test_accuracy": float((logits.argmax(1) == test_set.labels).float().mean()),
            "real_confident_rate": real["confident_rate"],
            **({"judge_report": {k: round(v, 4) for k, v in fairness.items()}} if fairness else {}),
            "real_inception_score": real["inception_score"], "n_test": len(test_set),
            "date": time.strftime("%Y-%m-%d"), "hardware": hardware()}


def train(name: str, data_dir: str | None = None, seed: int = 0) -> dict:
    """Train the shipped classifier for ``name`` with its recipe, save its weights, return its record."""
    model, record = train_judge(name, LOSSES[name], EPOCHS[name], data_dir, seed)
    save_checkpoint({"model": model.state_dict()}, weight_path(name))
    return {"recipe": RECIPES[name], **record}


def rescore(name: str, record: dict, data_dir: str | None = None) -> dict:
    """The record of the shipped classifier for ``name`` with its test scores measured again, weights unchanged
    (after a check is added to the judge report); the training fields stay, ``rescored`` dates the new scores."""
    scores = measure_on_test(load_classifier(name), load_dataset(name, "test", data_dir=data_dir))
    trained = {k: record[k] for k in ("date", "hardware") if k in record}
    return {**record, **scores, "date": trained.get("date", scores["date"]), "hardware": trained.get("hardware"),
            "rescored": {"date": scores["date"], "hardware": scores["hardware"]}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m aigc_course.metrics.train_classifiers", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="DATASET",
                        help=f"datasets to train for (default: all of {', '.join(SHAPES)})")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--rescore", action="store_true",
                        help="measure the shipped weights' test scores again, without training")
    args = parser.parse_args(argv)
    try:
        names = [check_choice("DATASET", n, SHAPES) for n in args.names] or list(SHAPES)
    except ValueError as err:
        parser.error(str(err))
    records = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    for name in names:
        if args.rescore and name not in records:
            parser.error(f"--rescore: no record of {name!r} to rescore; train it first")
        records[name] = rescore(name, records[name], args.data_dir) if args.rescore else train(name, args.data_dir)
        print(f"[classifier] {name}: test accuracy {records[name]['test_accuracy']:.4f}, "
              f"real confident rate {records[name]['real_confident_rate']:.4f}")
        write_json(RECORD, records)  # after each dataset, so a later failure keeps the earlier records


if __name__ == "__main__":
    main()
