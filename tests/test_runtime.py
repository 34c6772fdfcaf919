from pathlib import Path

import numpy as np
import pytest
import torch

import aigc_course
from aigc_course import check_choice, check_float, check_int


def test_check_choice_names_value_and_allowed():
    with pytest.raises(ValueError, match=r"DEVICE='gpu'.*'auto', 'cpu', 'cuda', 'mps'"):
        aigc_course.device("gpu")
    assert check_choice("X", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError):  # True == 1 in Python; booleans must not pass as ints
        check_choice("QUICK", 1, ("auto", True, False))


@pytest.mark.parametrize("bad", [-1, 0, 1.5, "3", True, None])
def test_check_int_rejects(bad):
    with pytest.raises(ValueError, match="integer >= 1"):
        check_int("STEPS", bad)


@pytest.mark.parametrize("bad", [0.0, -1e-3, float("nan"), float("inf"), "0.1"])
def test_check_float_rejects(bad):
    with pytest.raises(ValueError, match="finite number > 0"):
        check_float("LR", bad)


def test_cpu_device_and_seeding_repeat(capsys):
    dev = aigc_course.device("cpu", seed=3)
    a = (torch.rand(3), np.random.rand(3))
    aigc_course.device("cpu", seed=3)
    b = (torch.rand(3), np.random.rand(3))
    assert dev.type == "cpu"
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    out = capsys.readouterr().out
    assert "using cpu: requested" in out and "SEED=3" in out


def test_auto_device_says_why(capsys):
    dev = aigc_course.device("auto")
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert dev.type == expected
    assert f"using {expected}:" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_missing_cuda_is_an_error_not_a_fallback():
    with pytest.raises(ValueError, match="not available here"):
        aigc_course.device("cuda")


def test_setup_resolves_quick_and_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    cfg = aigc_course.setup(QUICK="auto", SEED=1, DEVICE="cpu", verbose=False)
    assert cfg.quick is True and cfg.data_dir == tmp_path and cfg.seed == 1
    assert cfg.pick(1, 2) == 1
    full = aigc_course.setup(QUICK=False, DEVICE="cpu", DATA_DIR="/x", verbose=False)
    assert full.quick is False and full.pick(1, 2) == 2 and str(full.data_dir) == "/x"


@pytest.mark.parametrize("kwargs, match", [
    ({"QUICK": "yes"}, "QUICK='yes'"),
    ({"SEED": -1}, "SEED=-1"),
    ({"DEVICE": "tpu"}, "DEVICE='tpu'"),
    ({"DATA_DIR": 3}, "DATA_DIR=3"),
])
def test_setup_rejects_bad_parameters_before_work(kwargs, match, capsys):
    with pytest.raises(ValueError, match=match):
        aigc_course.setup(**kwargs)
    assert "[device]" not in capsys.readouterr().out  # nothing started


def test_package_versions_lists_requirements():
    v = aigc_course.package_versions()
    assert v["torch"] == torch.__version__.split("+")[0] or v["torch"].startswith(torch.__version__.split("+")[0])
    assert set(v) >= {"python", "torchvision", "torchmetrics", "numpy", "matplotlib"}


def test_write_json_is_atomic(tmp_path, monkeypatch):
    from pathlib import Path

    from aigc_course.runtime import write_json

    target = write_json(tmp_path / "table.json", {"rows": [1, 2]})
    assert target.read_text() == '{\n  "rows": [\n    1,\n    2\n  ]\n}\n'

    def crash_half_way(self, text):  # a write that dies after half the bytes
        with open(self, "w") as f:
            f.write(text[: len(text) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        write_json(target, {"rows": [3, 4, 5]})
    monkeypatch.undo()
    assert target.read_text() == '{\n  "rows": [\n    1,\n    2\n  ]\n}\n'  # the old table, whole


def test_budget_takes_the_learners_value_or_the_modes_default_and_checks_it():
    from aigc_course.runtime import Budget, RunConfig

    budgets = {"STEPS": Budget(40, 4000)}
    quick = RunConfig(quick=True, seed=0, device=torch.device("cpu"), data_dir=Path("."))
    full = RunConfig(quick=False, seed=0, device=torch.device("cpu"), data_dir=Path("."))
    assert quick.budget("STEPS", None, budgets) == 40 and full.budget("STEPS", None, budgets) == 4000
    assert quick.budget("STEPS", 7, budgets) == 7
    with pytest.raises(ValueError, match="STEPS=0 is not allowed; it must be an integer >= 1"):
        quick.budget("STEPS", 0, budgets)
    with pytest.raises(ValueError, match="budget='N_EVAL' is not allowed; choose one of 'STEPS'"):
        quick.budget("N_EVAL", None, budgets)
