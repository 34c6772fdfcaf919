import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from aigc_course import load_results, record_results


def test_record_results_writes_json_with_hardware():
    path = record_results("notebooks/02_dcgan_mnist.ipynb", {
        "rate": np.float32(0.5), "n": np.int64(3), "t": torch.tensor([1.0, 2.0]), "nested": {"a": (1, 2)},
        "nan": float("nan"),
    })
    assert path == Path(os.environ["AIGC_RESULTS_DIR"]) / "02_dcgan_mnist.json"
    payload = json.loads(path.read_text())
    assert payload["notebook"] == "02_dcgan_mnist" and "cpu_count" in payload["hardware"]
    assert load_results("02_dcgan_mnist") == {"rate": 0.5, "n": 3, "t": [1.0, 2.0], "nested": {"a": [1, 2]},
                                              "nan": "nan"}
    assert not list(path.parent.glob("*.tmp"))


def test_record_results_rejects_unrecordable_values():
    with pytest.raises(TypeError, match="cannot record object"):
        record_results("x", {"bad": object()})
    with pytest.raises(ValueError, match="notebook=''"):
        record_results("", {})


def test_load_results_missing_says_run_first():
    with pytest.raises(FileNotFoundError, match="run the notebook first"):
        load_results("never_ran")


def _record_many(args):
    from aigc_course.course import record_time

    path, worker = args
    for i in range(20):
        record_time(f"{worker}_{i:02d}.ipynb", float(i), times_file=path)


def test_parallel_workers_never_lose_each_others_notebook_times(tmp_path):
    import multiprocessing

    path = tmp_path / "notebook_times.json"
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.map(_record_many, [(path, w) for w in ("a", "b", "c")])
    times = json.loads(path.read_text())
    assert len(times) == 60 and times["b_19.ipynb"] == 19.0
