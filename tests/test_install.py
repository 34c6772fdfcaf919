"""The course outside the repository, as a Colab or ``pip install`` user gets it.

The package is installed *non-editable* from this checkout into a fresh virtual environment (offline:
its dependencies are borrowed from the test environment through a path file, nothing is downloaded),
then chapter 0 runs from an empty folder that holds only the notebook, and every chapter's helpers and
the shipped benchmark tables import there.
"""
import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from aigc_course.runtime import REPO_ROOT

from conftest import real_data_dir_or_skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with aigc_course installed from the checkout, not in editable mode."""
    root = tmp_path_factory.mktemp("plain-install")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # torch, papermill, ... from this environment; a plain path entry, so its editable-install hook is not run
    (Path(purelib) / "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    source = root / "checkout"  # a copy without build/ or .venv/, as pip would see a fresh clone
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(".venv", "build", ".git", "__pycache__",
                                                                     "*.egg-info", "runs"))
    # this environment's pip and setuptools build the wheel and install it into the fresh venv
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                           "--no-build-isolation", "--no-index", str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    shutil.rmtree(source)  # nothing may depend on the checkout it was installed from
    return python


def run(python: Path, code: str, cwd: Path, **env: str) -> str:
    proc = subprocess.run([str(python), "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_the_plain_install_imports_every_chapter_and_ships_the_tables(installed, tmp_path):
    code = ("import importlib, pkgutil, aigc_course, aigc_course.chapters as c, aigc_course.tables as t\n"
            "print(aigc_course.__file__)\n"
            "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('aigc_course.chapters.' + m.name)\n"
            "print(len(t.load('dcgan_ablation_mnist')['rows']), aigc_course.build_dir())")
    out = run(installed, code, cwd=tmp_path)
    where, tables = out.splitlines()
    assert "site-packages" in where and str(REPO_ROOT) not in where
    rows, build = tables.split()
    assert int(rows) > 10 and Path(build) == tmp_path / "build"  # results go beside the notebook


def test_chapter_0_runs_from_an_empty_folder(installed, tmp_path):
    data_dir = real_data_dir_or_skip("MNIST")  # the user's "download": real data in a folder of their own
    shutil.copy(REPO_ROOT / "notebooks" / "00_setup.ipynb", tmp_path)
    code = ("import papermill\n"
            f"papermill.execute_notebook('00_setup.ipynb', 'out.ipynb', parameters={{'QUICK': True, "
            f"'DATA_DIR': {data_dir!r}}}, kernel_name='python3', progress_bar=False)")
    run(installed, code, tmp_path, PATH=f"{installed.parent}:{os.environ['PATH']}",
        MPLBACKEND="module://matplotlib_inline.backend_inline", AIGC_RESULTS_DIR="", AIGC_BUILD_DIR="")
    recorded = json.loads((tmp_path / "build" / "results" / "00_setup.json").read_text())
    assert recorded["results"]["quick"] is True
    executed = json.loads((tmp_path / "out.ipynb").read_text())
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
