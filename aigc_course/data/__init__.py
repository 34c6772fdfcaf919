"""Datasets and loaders: real data only, from the best source available.

- :mod:`.datasets`: labelled image sets (MNIST, Fashion-MNIST, CIFAR-10) as :class:`ImageData`;
- :mod:`.photos`: real photographs split by file name, and random patches cut from them;
- :mod:`.video`: real clips split in time, and frame windows (triplets and longer) cut from them;
- :mod:`.degrade`: the documented degradations restoration models invert (bicubic ×s with antialiasing, a
  camera-like blur/noise/JPEG chain, Gaussian noise at σ/255);
- :mod:`.loader`: :class:`TensorLoader`, seeded and resumable batches of named fields on the device.
"""
from .datasets import (
    DATASETS,
    SPLITS,
    DatasetNotFoundError,
    ImageData,
    available_datasets,
    canonical_name,
    is_online,
    load_dataset,
    load_torchvision_dataset,
    official_mnist_test,
    to_unit_range,
)
from .loader import Batch, TensorLoader, batches_per_epoch
from .photos import PhotoSet, load_photos, photo_split
from .video import Clip, frame_windows, load_clips, read_frames

__all__ = ["DATASETS", "SPLITS", "Batch", "Clip", "DatasetNotFoundError", "ImageData", "PhotoSet", "TensorLoader",
           "available_datasets", "batches_per_epoch", "canonical_name", "frame_windows", "is_online", "load_clips",
           "load_dataset", "load_photos", "load_torchvision_dataset", "official_mnist_test", "photo_split",
           "read_frames", "to_unit_range"]
