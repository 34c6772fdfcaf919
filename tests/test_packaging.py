"""The conda environment, pyproject and constraints agree."""
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else pytest.importorskip("tomli")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_matches_pyproject():
    project = _pyproject()["project"]
    wanted = set(project["dependencies"])
    for extra in ("lab", "test"):
        wanted |= set(project["optional-dependencies"][extra])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip) - {"-e ."} == wanted
    assert "python=3.11" in env["dependencies"] and "-e ." in pip


def test_torch_pinned_only_in_constraints():
    pins = (ROOT / "constraints.txt").read_text()
    assert re.search(r"^torch==2\.14\.1$", pins, re.M) and re.search(r"^torchvision==0\.29\.1$", pins, re.M)
    for dep in _pyproject()["project"]["dependencies"]:
        assert "==" not in dep, f"{dep}: runtime requirements stay loose"


def test_required_top_level_files_exist():
    for name in ("notebooks", "aigc_course", "data", "tests", "benchmarks", "environment.yml", "pyproject.toml",
                 "Makefile", "README.md", ".ci/run", "LICENSE", "data/README.md"):
        assert (ROOT / name).exists(), name
