"""Datasets and loaders: real data only, from the best source available (see :mod:`.datasets`)."""
from .datasets import (DATASETS, SPLITS, DatasetNotFoundError, ImageData, available_datasets, canonical_name,
                       is_online, load_dataset, load_torchvision_dataset)
from .loader import TensorLoader

__all__ = ["DATASETS", "SPLITS", "DatasetNotFoundError", "ImageData", "TensorLoader", "available_datasets",
           "canonical_name", "is_online", "load_dataset", "load_torchvision_dataset"]
