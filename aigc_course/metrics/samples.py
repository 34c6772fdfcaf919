"""One verdict on a set of generated images: the numbers every DCGAN chapter and benchmark reports.

:func:`score_samples` judges samples with a shipped classifier (confident rate, class coverage,
Inception-Score analogue, classifier-feature FID beside its real-vs-real floor, and for a
class-conditional generator how often the judge sees the asked class). :func:`eval_size` sizes the
sample set from the real images actually available (the bundled offline split is smaller than MNIST).
"""
from __future__ import annotations

import functools

import torch

from ..runtime import check_choice, check_int
from .classifier import classifier_record, features, load_classifier
from .scores import check_floor_size, classifier_scores, fid_of_features, real_order


def eval_size(requested: int, n_real: int, verbose: bool = True) -> int:
    """How many generated samples to score against ``n_real`` real images: ``requested``, or fewer if needed.

    FID's real-vs-real floor compares two *disjoint* sets of real images of the sample size, so the size
    can be at most ``n_real // 2``. A smaller size gives a larger FID and a larger floor (FID is biased
    at small N), which is why the course always prints the two side by side. Prints what was chosen when
    it is less than asked.
    """
    check_int("requested", requested, minimum=2)
    check_int("n_real", n_real, minimum=4)  # two halves of at least 2
    n = min(requested, n_real // 2)
    if verbose and n < requested:
        print(f"[metrics] scoring {n:,} samples, not {requested:,}: the FID floor needs 2·N disjoint real "
              f"images and {n_real:,} are available here (set DATA_DIR to the full dataset for {requested:,})")
    return n


@functools.cache
def _judge(classifier_name: str) -> torch.nn.Module:
    """The shipped classifier, loaded once per process (it is frozen and in eval mode)."""
    return load_classifier(classifier_name)


@torch.no_grad()
def score_samples(fake: torch.Tensor, real: torch.Tensor, classifier_name: str, floor: float | None = None,
                  with_floor: bool = True, labels: torch.Tensor | None = None) -> dict:
    """Judge generated images ``fake`` (in [-1, 1]) with the shipped classifier ``classifier_name``.

    Returns the confident rate (max softmax >= 0.9) beside the same rate on real test images, the
    smallest and largest predicted-class fractions, the classifier's Inception-Score analogue, and
    the classifier-feature FID against ``real`` beside the real-vs-real floor at the same N
    (``floor``: pass a precomputed one to save its cost; ``with_floor=False`` skips it and reports
    ``None``, e.g. when comparing several sample sets of one model). ``real`` needs at least
    2·len(fake) images for the floor. ``labels``: the classes a conditional generator was asked for;
    then ``label_agreement`` is the fraction the judge assigns to the asked class (else ``None``).
    With labels, class coverage is set by the sampler, so agreement is the number that tests the model.
    """
    check_choice("classifier_name", classifier_name, ("mnist", "fashion-mnist", "cifar10"))
    clf = _judge(classifier_name)
    n = len(fake)
    new_floor = with_floor and floor is None
    if new_floor:
        check_floor_size(len(real), n)
    # Each image goes through the classifier once: the fakes' features give their class probabilities (the head
    # reads them) and their side of the FID; the reference set is the first half of the floor's two halves
    # (real_order), so the floor costs the second half only.
    fake_features = features(clf, fake)
    probs = clf.head(fake_features).softmax(1)
    scores = classifier_scores(probs)
    real_features = features(clf, real[real_order(len(real))[:2 * n if new_floor else n]])
    fractions = scores.pop("class_fractions")
    agreement = None if labels is None else (probs.argmax(1) == labels.to(probs.device)).float().mean().item()
    if new_floor:
        floor = fid_of_features(real_features[:n], real_features[n:])
    return {**scores, "real_confident_rate": classifier_record(classifier_name)["real_confident_rate"],
            "class_fractions": fractions, "class_min_frac": min(fractions), "class_max_frac": max(fractions),
            "fid": fid_of_features(real_features[:n], fake_features), "fid_floor": floor if with_floor else None,
            "n_samples": n, "label_agreement": agreement}
