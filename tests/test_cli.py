"""python -m aigc_course: recipes listed, bad input refused clearly, training writes what it says."""
import os
import subprocess
import sys

import pytest

from aigc_course.__main__ import main
from aigc_course.recipes import RECIPES, run_recipe


def test_help_lists_recipes():
    """The one run through a new interpreter: ``python -m aigc_course`` itself works."""
    proc = subprocess.run([sys.executable, "-m", "aigc_course", "--help"], capture_output=True, text=True,
                          env={**os.environ, "AIGC_OFFLINE": "1"}, timeout=300)
    assert proc.returncode == 0 and "dcgan-mnist" in proc.stdout and "torchrun" in proc.stdout


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path):
    """``python -m aigc_course <args>`` run through its ``main`` in this process, offline and with an empty data
    folder (so the bundled MNIST file is what it trains on); returns what it printed, failing on a non-zero exit."""
    monkeypatch.setenv("AIGC_OFFLINE", "1")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "no-data"))

    def run(*args: str) -> str:
        code = main(list(args))
        printed = capsys.readouterr()
        assert code == 0, printed.err
        return printed.out
    return run


@pytest.mark.parametrize("args, message", [
    (["train", "stylegan"], "invalid choice: 'stylegan' (choose from 'dcgan-cifar10', 'dcgan-mnist', 'ddpm-mnist', "
                            "'fast-style', 'inpaint-photos', 'stylegan-fashion', 'vfi-refine')"),
    (["train", "dcgan-mnist", "--steps", "-3"], "'-3' is not allowed; give an integer >= 1"),
    (["train", "dcgan-mnist", "--device", "gpu"], "invalid choice: 'gpu' (choose from 'auto', 'cpu', 'cuda', 'mps')"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_bad_arguments_are_refused_with_allowed_values(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_train_writes_checkpoint_and_samples_then_resumes(cli, tmp_path):
    out = tmp_path / "run"
    printed = cli("train", "dcgan-mnist", "--steps", "3", "--device", "cpu", "--out", str(out), "--no-progress",
                  "--batch-size", "16")
    assert f"checkpoint: {out / 'checkpoint.pt'}" in printed and f"samples:    {out / 'samples.png'}" in printed
    assert "bundled official MNIST test file in data/" in printed  # says what data it used
    assert (out / "checkpoint.pt").exists() and (out / "samples.png").exists()
    printed = cli("train", "dcgan-mnist", "--steps", "5", "--out", str(out), "--resume", "--no-progress",
                  "--batch-size", "16")
    assert "resumed from" in printed and "at step 3" in printed


def test_the_recipe_is_the_chapter_model():
    G, D = RECIPES["dcgan-mnist"].build()
    assert type(G).__module__ == "aigc_course.models.dcgan" and type(D).__module__ == "aigc_course.models.dcgan"
    with pytest.raises(ValueError, match="recipe='nope' is not allowed"):
        run_recipe("nope")


def test_the_diffusion_recipe_trains_chapter_10s_model(cli, tmp_path):
    """Its resume is tested where its provenance is (test_shipped.py's run: 2 steps, then resumed to 3)."""
    from aigc_course.chapters.ch10_diffusion import mnist

    recipe = RECIPES["ddpm-mnist"]
    assert recipe.config is mnist.MNIST and recipe.steps == mnist.SHIPPED_STEPS
    out = tmp_path / "run"
    printed = cli("train", "ddpm-mnist", "--steps", "2", "--device", "cpu", "--out", str(out), "--no-progress",
                  "--batch-size", "8")
    assert f"checkpoint: {out / 'checkpoint.pt'}" in printed
    assert (out / "checkpoint.pt").exists() and (out / "samples.png").exists()
