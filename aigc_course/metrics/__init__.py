"""Quality measures: each docstring says what it measures and where it stops meaning anything."""
from .classifier import SmallCNN, classifier_record, load_classifier
from .modes import mode_stats
from .scores import classifier_scores, fid, fid_floor, kid, torn_between_two, torn_rate

__all__ = ["SmallCNN", "classifier_record", "classifier_scores", "fid", "fid_floor", "kid", "load_classifier",
           "mode_stats", "torn_between_two", "torn_rate"]
