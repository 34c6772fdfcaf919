"""Train the metric classifiers and record their scores: ``python -m aigc_course.metrics.train_classifiers``.

Ordinary training (cross-entropy, AdamW, no temperature tricks), through the course's ``fit`` loop,
on the training split of each dataset; accuracy and the confident rate (max softmax >= 0.9) are
measured on the real test split and written to ``weights/classifiers.json``.
"""
from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from ..data import load_dataset
from ..runtime import check_choice, hardware, seed_everything
from ..train.checkpoint import save_checkpoint
from ..train.supervised import classification_loss, fit
from .classifier import RECORD, SHAPES, SmallCNN, weight_path
from .scores import classifier_scores

# epochs chosen to pass the bars (MNIST >= 99 %, Fashion-MNIST >= 90 %) with room to spare on a CPU
EPOCHS = {"mnist": 2, "fashion-mnist": 4, "cifar10": 30}


def flip_loss(model, x, y):
    """Cross-entropy with random horizontal flips (CIFAR-10 only: digits must not be mirrored)."""
    flip = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < 0.5
    return classification_loss(model, torch.where(flip, x.flip(3), x), y)


def train(name: str, data_dir: str | None = None, seed: int = 0) -> dict:
    seed_everything(seed)
    train_set = load_dataset(name, "train", data_dir=data_dir)
    test_set = load_dataset(name, "test", data_dir=data_dir)
    loader = train_set.loader(128, seed=seed, drop_last=True)
    steps = EPOCHS[name] * len(loader)
    model = SmallCNN(in_channels=SHAPES[name][0])
    t0 = time.perf_counter()
    fit(model, loader, flip_loss if name == "cifar10" else classification_loss, steps, lr=2e-3,
        weight_decay=5e-4, schedule="cosine", desc=f"{name} classifier")
    model.eval()
    x_test = test_set.images.float() / 127.5 - 1
    with torch.no_grad():
        logits = torch.cat([model(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)])
    accuracy = float((logits.argmax(1) == test_set.labels).float().mean())
    real = classifier_scores(F.softmax(logits, 1))
    save_checkpoint({"model": model.state_dict()}, weight_path(name))
    return {"test_accuracy": accuracy, "real_confident_rate": real["confident_rate"],
            "real_inception_score": real["inception_score"], "n_test": len(test_set), "train_images": len(train_set),
            "train_source": train_set.source, "epochs": EPOCHS[name], "steps": steps,
            "train_seconds": round(time.perf_counter() - t0, 1), "date": time.strftime("%Y-%m-%d"),
            "hardware": hardware()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m aigc_course.metrics.train_classifiers", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="DATASET",
                        help=f"datasets to train for (default: all of {', '.join(SHAPES)})")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    try:
        names = [check_choice("DATASET", n, SHAPES) for n in args.names] or list(SHAPES)
    except ValueError as err:
        parser.error(str(err))
    records = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    for name in names:
        records[name] = train(name, args.data_dir)
        print(f"[classifier] {name}: test accuracy {records[name]['test_accuracy']:.4f}, "
              f"real confident rate {records[name]['real_confident_rate']:.4f}")
        RECORD.write_text(json.dumps(records, indent=2) + "\n")


if __name__ == "__main__":
    main()
