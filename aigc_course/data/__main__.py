"""``python -m aigc_course.data`` (what ``make data`` runs): fetch every dataset, or say what is used offline."""
from __future__ import annotations

from ..runtime import default_data_dir
from .datasets import DATASETS, SPLITS, DatasetNotFoundError, load_dataset


def main() -> None:
    root = default_data_dir()
    print(f"[data] preparing datasets in {root}")
    for name in DATASETS:
        for split in SPLITS:
            try:
                load_dataset(name, split, data_dir=root)
            except DatasetNotFoundError as err:
                print(f"[data] {name} {split}: not available: {err}")
    print("[data] done: the chapters will use the sources listed above.")


if __name__ == "__main__":
    main()
