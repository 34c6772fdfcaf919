"""Quality measures: each docstring says what it measures and where it stops meaning anything."""
from .classifier import SmallCNN, accuracy, classifier_record, features, load_classifier, predict_probs
from .modes import mode_stats
from .samples import eval_size, score_samples
from .scores import classifier_scores, fid, fid_floor, kid, torn_between_two, torn_rate, wasserstein_1d
from .sharpness import gradient_energy, high_frequency_ratio

__all__ = ["SmallCNN", "accuracy", "classifier_record", "classifier_scores", "eval_size", "features", "fid",
           "fid_floor", "gradient_energy", "high_frequency_ratio", "kid", "load_classifier", "mode_stats",
           "predict_probs", "score_samples", "torn_between_two", "torn_rate", "wasserstein_1d"]
