"""python -m aigc_course: recipes listed, bad input refused clearly, training writes what it says."""
import os
import subprocess
import sys

import pytest

from aigc_course.__main__ import main
from aigc_course.recipes import RECIPES, run_recipe


def cli(*args, **env):
    return subprocess.run([sys.executable, "-m", "aigc_course", *args], capture_output=True, text=True,
                          env={**os.environ, "AIGC_OFFLINE": "1", **env}, timeout=300)


def test_help_lists_recipes():
    proc = cli("--help")
    assert proc.returncode == 0 and "dcgan-mnist" in proc.stdout and "torchrun" in proc.stdout


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


def test_train_writes_checkpoint_and_samples_then_resumes(tmp_path):
    out = tmp_path / "run"
    proc = cli("train", "dcgan-mnist", "--steps", "3", "--device", "cpu", "--out", str(out), "--no-progress",
               "--batch-size", "16", DATA_DIR=str(tmp_path / "no-data"))
    assert proc.returncode == 0, proc.stderr
    assert f"checkpoint: {out / 'checkpoint.pt'}" in proc.stdout and f"samples:    {out / 'samples.png'}" in proc.stdout
    assert "bundled official MNIST test file in data/" in proc.stdout  # says what data it used
    assert (out / "checkpoint.pt").exists() and (out / "samples.png").exists()
    proc = cli("train", "dcgan-mnist", "--steps", "5", "--out", str(out), "--resume", "--no-progress",
               "--batch-size", "16", DATA_DIR=str(tmp_path / "no-data"))
    assert proc.returncode == 0 and "resumed from" in proc.stdout and "at step 3" in proc.stdout


def test_the_recipe_is_the_chapter_model():
    G, D = RECIPES["dcgan-mnist"].build()
    assert type(G).__module__ == "aigc_course.models.dcgan" and type(D).__module__ == "aigc_course.models.dcgan"
    with pytest.raises(ValueError, match="recipe='nope' is not allowed"):
        run_recipe("nope")


def test_the_diffusion_recipe_trains_chapter_10s_model_and_resumes(tmp_path):
    from aigc_course.chapters.ch10_diffusion import mnist

    recipe = RECIPES["ddpm-mnist"]
    assert recipe.config is mnist.MNIST and recipe.steps == mnist.SHIPPED_STEPS
    out = tmp_path / "run"
    proc = cli("train", "ddpm-mnist", "--steps", "2", "--device", "cpu", "--out", str(out), "--no-progress",
               "--batch-size", "8", DATA_DIR=str(tmp_path / "no-data"))
    assert proc.returncode == 0, proc.stderr
    assert (out / "checkpoint.pt").exists() and (out / "samples.png").exists()
    proc = cli("train", "ddpm-mnist", "--steps", "3", "--out", str(out), "--resume", "--no-progress",
               "--batch-size", "8", DATA_DIR=str(tmp_path / "no-data"))
    assert proc.returncode == 0 and "at step 2" in proc.stdout, proc.stderr
