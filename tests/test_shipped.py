"""Shipped weights: exported with their provenance, refused when changed, loaded into today's model."""
import json

import pytest
import torch

from aigc_course import shipped
from aigc_course.recipes import PROVENANCE, export_recipe, load_trained, run_recipe
from aigc_course.train.checkpoint import CheckpointError


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """Two steps of ddpm-mnist, then one more resumed: a run folder as `train` leaves it."""
    out = tmp_path_factory.mktemp("run")
    kw = dict(device="cpu", out=out, batch_size=8, progress=False, data_dir=out / "no-data")
    run_recipe("ddpm-mnist", steps=2, **kw)
    run_recipe("ddpm-mnist", steps=3, resume=True, **kw)
    return out


def test_provenance_chains_segments_and_totals_their_time(tiny_run):
    record = json.loads((tiny_run / PROVENANCE).read_text())
    assert record["recipe"] == "ddpm-mnist" and record["steps"] == 3
    first, second = record["segments"]
    assert (first["until_step"], second["until_step"]) == (2, 3)
    assert record["train_seconds"] == pytest.approx(first["train_seconds"] + second["train_seconds"], abs=0.11)
    for seg in record["segments"]:
        assert {"command", "commit", "dirty", "seed", "batch_size", "hardware", "date"} <= set(seg)


def test_export_then_load_gives_the_runs_ema_weights(tiny_run, tmp_path):
    pt, rec = export_recipe("ddpm-mnist", tiny_run, folder=tmp_path)
    record = json.loads(rec.read_text())
    assert record["sha256"] == shipped.sha256(pt) and record["config"]["weights"] == "ema"
    assert record["steps"] == 3 and len(record["segments"]) == 2
    model, loaded = load_trained("ddpm-mnist", folder=tmp_path)
    ckpt = torch.load(tiny_run / "checkpoint.pt", weights_only=True)
    for k, v in model.state_dict().items():
        assert torch.equal(v, ckpt["model_ema"][k]), k
    assert not model.training and loaded == record


def test_a_changed_or_missing_file_is_reported_not_loaded(tiny_run, tmp_path):
    pt, _ = export_recipe("ddpm-mnist", tiny_run, folder=tmp_path)
    data = bytearray(pt.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pt.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="the file changed or is corrupt"):
        load_trained("ddpm-mnist", folder=tmp_path)
    pt.unlink()
    with pytest.raises(CheckpointError, match="are missing"):
        load_trained("ddpm-mnist", folder=tmp_path)
    with pytest.raises(FileNotFoundError, match="shipped: none"):
        shipped.read_record("ddpm-mnist", tmp_path / "empty")


def test_export_needs_a_provenance_record_that_matches_the_checkpoint(tiny_run, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.pt").write_bytes((tiny_run / "checkpoint.pt").read_bytes())
    with pytest.raises(CheckpointError, match="has no provenance.json"):
        export_recipe("ddpm-mnist", run, folder=tmp_path)
    record = json.loads((tiny_run / PROVENANCE).read_text())
    (run / PROVENANCE).write_text(json.dumps({**record, "steps": 2}))
    with pytest.raises(CheckpointError, match="the checkpoint is at step 3"):
        export_recipe("ddpm-mnist", run, folder=tmp_path)
    with pytest.raises(ValueError, match="recipe='dcgan-mnist' is not allowed; choose one of 'ddpm-mnist'"):
        export_recipe("dcgan-mnist", tiny_run, folder=tmp_path)


def test_the_shipped_ddpm_mnist_weights_load_into_todays_model_and_draw_the_asked_digits():
    """The committed file matches its record and today's U-Net, and its samples are digits a judge
    recognises as the ones asked for (chapter 10's claim, on fresh noise)."""
    from aigc_course.chapters.ch10_diffusion import mnist
    from aigc_course.metrics import score_samples
    from aigc_course.train.diffusion import sample

    model, record = load_trained("ddpm-mnist")
    assert record["config"]["recipe"] == mnist.MNIST.record() and record["config"]["weights"] == "ema"
    assert record["steps"] == mnist.SHIPPED_STEPS and record["train_seconds"] > 0
    assert record["sha256"] == shipped.sha256(shipped.WEIGHTS_DIR / record["file"])
    labels = torch.arange(100) % 10
    images = sample(model, 100, mnist.SHAPE, mnist.MNIST.noise_schedule(), steps=20, labels=labels, seed=99)
    real = torch.zeros(200, *mnist.SHAPE)  # the FID is not asserted here; score_samples needs a reference set
    scores = score_samples(images, real, "mnist", with_floor=False, labels=labels)
    assert scores["label_agreement"] >= 0.8, scores


def test_provenance_names_the_commit_that_trained_not_the_one_at_the_end(tmp_path, monkeypatch):
    import aigc_course.recipes as recipes

    trained, fit = {"yet": False}, recipes.fit_diffusion

    def fit_then_edit(*args, **kwargs):  # the checkout changes while the run trains
        run = fit(*args, **kwargs)
        trained["yet"] = True
        return run

    monkeypatch.setattr(recipes, "fit_diffusion", fit_then_edit)
    monkeypatch.setattr(recipes, "source_version",
                        lambda: {"commit": ("b" if trained["yet"] else "a") * 40, "dirty": trained["yet"]})
    run_recipe("ddpm-mnist", steps=1, device="cpu", out=tmp_path, batch_size=4, progress=False,
               data_dir=tmp_path / "no-data")
    segment = json.loads((tmp_path / PROVENANCE).read_text())["segments"][0]
    assert segment["commit"] == "a" * 40 and segment["dirty"] is False
