"""Named fields, real photographs and real video: batches by name, splits that never overlap, clear errors."""
import hashlib
import importlib

import pytest
import torch

from aigc_course.data import (
    DatasetNotFoundError,
    TensorLoader,
    frame_windows,
    load_clips,
    load_dataset,
    load_photos,
    photo_split,
)
from aigc_course.data.video import MARGIN, split_range

from conftest import real_data_dir_or_skip


def _hashes(images: torch.Tensor) -> set[str]:
    return {hashlib.sha1(x.contiguous().numpy().tobytes()).hexdigest() for x in images}


# --- named fields --------------------------------------------------------------------------------

def test_batches_carry_named_fields_with_per_field_scaling():
    n = 12
    image = torch.full((n, 3, 4, 4), 255, dtype=torch.uint8)
    cond = torch.zeros(n, 1, 4, 4, dtype=torch.uint8)
    frames = torch.full((n, 3, 1, 4, 4), 255, dtype=torch.uint8)  # (N, T, C, H, W)
    mask = torch.rand(n, 1, 4, 4) > 0.5
    fields = {"image": image, "condition": cond, "frames": frames, "mask": mask, "id": torch.arange(n)}
    loader = TensorLoader(fields=fields, batch_size=4, value_range={"condition": (0.0, 1.0)}, shuffle=False)
    batch = next(iter(loader))
    assert batch.fields == ("image", "condition", "frames", "mask", "id")
    assert batch.image.max() == 1.0 and batch["condition"].max() == 0.0 and batch.frames.shape == (4, 3, 1, 4, 4)
    assert batch.frames.max() == 1.0 and batch.mask.dtype == torch.bool and batch.id.tolist() == [0, 1, 2, 3]
    image_, cond_, *_ = batch  # still a tuple in field order
    assert torch.equal(image_, batch.image) and torch.equal(cond_, batch.condition)
    with pytest.raises(AttributeError, match="no field 'label'; its fields are image, condition"):
        _ = batch.label
    with pytest.raises(ValueError, match="field='label' is not allowed"):
        batch["label"]


def test_named_fields_keep_the_seeded_resumable_order():
    n = 50
    fields = {"image": torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1), "label": torch.arange(n)}
    it = TensorLoader(fields=fields, batch_size=7, seed=3).batches()
    straight = [next(it).label for _ in range(20)]
    resumed = TensorLoader(fields=fields, batch_size=7, seed=3).batches(start_step=13)
    assert all(torch.equal(next(resumed).label, straight[s]) for s in range(13, 20))
    pair = TensorLoader(fields["image"], fields["label"], batch_size=7, seed=3).batches()
    assert all(torch.equal(next(pair)[1], straight[s]) for s in range(20))  # same order as images/labels


@pytest.mark.parametrize("kw, match", [
    ({"fields": {"image": torch.zeros(4, 1, 2, 2), "label": torch.zeros(3)}},
     "same number of samples; got image 4, label 3"),
    ({"fields": {"image": torch.zeros(4, 2, dtype=torch.uint8)}}, r"uint8 field 'image' must be images of shape"),
    ({"fields": {"image": torch.zeros(4, 1, 2, 2)}, "value_range": {"mask": (0, 1)}}, "value_range field='mask'"),
    ({"images": torch.zeros(4, 1, 2, 2), "fields": {"image": torch.zeros(4, 1, 2, 2)}}, "not both"),
    ({}, "give images and labels, or fields"),
])
def test_named_fields_refuse_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        TensorLoader(batch_size=2, **kw)


# --- train and test never overlap, for every source -----------------------------------------------

@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST"),
                                          ("cifar10", "CIFAR10-subset")])
def test_real_train_and_test_images_are_disjoint(name, folder):
    data_dir = real_data_dir_or_skip(folder)
    train = load_dataset(name, "train", data_dir=data_dir, verbose=False)
    test = load_dataset(name, "test", data_dir=data_dir, verbose=False)
    assert len(train) > len(test) > 0
    assert not _hashes(train.images) & _hashes(test.images)


def test_photos_split_by_name_and_patches_come_from_training_photos_only():
    data_dir = real_data_dir_or_skip("photos")
    train, test = load_photos("train", data_dir, max_side=256), load_photos("test", data_dir, max_side=256)
    assert len(train) >= 20 and len(test) >= 5 and not set(train.names) & set(test.names)
    assert all(photo_split(n) == "train" for n in train.names) and all(photo_split(n) == "test" for n in test.names)
    patches = train.patches(200, 32, seed=1, flips=False)
    assert patches.shape == (200, 3, 32, 32) and patches.dtype == torch.uint8
    # every patch is a real crop of a training photo (found by exhaustive search on a few of them)
    for p in patches[:3]:
        found = any((photo.unfold(1, 32, 1).unfold(2, 32, 1) == p[:, None, None]).all(0).all(-1).all(-1).any()
                    for photo in train.photos)
        assert found
    assert torch.equal(train.patches(8, 32, seed=4), train.patches(8, 32, seed=4))
    batch = next(iter(train.loader(64, 32, batch_size=16)))
    assert batch.image.shape == (16, 3, 32, 32) and -1.0 <= batch.image.min() <= batch.image.max() <= 1.0
    with pytest.raises(ValueError, match="size=5000 is larger than photo"):
        train.patches(1, 5000)


def test_video_splits_in_time_with_a_margin_and_cuts_windows():
    data_dir = real_data_dir_or_skip("video")
    for n in (60, 795):
        train, test = split_range(n, "train"), split_range(n, "test")
        assert len(train) > len(test) > 0 and test.start - train.stop == MARGIN
    train = load_clips("train", data_dir, max_frames=60, max_side=96, names=("tree.avi", "bikes.mp4"))
    test = load_clips("test", data_dir, max_frames=60, max_side=96, names=("tree.avi", "bikes.mp4"))
    for a, b in zip(train, test):
        assert a.name == b.name and a.first + len(a.frames) + MARGIN == b.first
        assert not _hashes(a.frames) & _hashes(b.frames)
    windows = frame_windows(train[0], length=3, gap=2)
    assert windows.shape[1:3] == (3, 3) and windows.dtype == torch.uint8
    assert torch.equal(windows[0, 1], train[0].frames[2]) and torch.equal(windows[1, 0], train[0].frames[5])
    batch = next(iter(TensorLoader(fields={"frames": windows}, batch_size=2)))
    assert batch.frames.shape == (2, 3, 3, *windows.shape[-2:])
    with pytest.raises(ValueError, match="fewer than one window"):
        frame_windows(train[0], length=40, gap=4)
    with pytest.raises(ValueError, match="clip='nope.mp4' is not allowed"):
        load_clips("train", data_dir, names=("nope.mp4",))


def test_missing_photo_and_video_folders_say_how_to_get_them(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="no photographs in .*set DATA_DIR"):
        load_photos("train", tmp_path)
    with pytest.raises(DatasetNotFoundError, match="no video files in .*set DATA_DIR"):
        load_clips("train", tmp_path)


# --- each chapter's data set-up with only what the repository ships --------------------------------

def _notebook_parameters(stem: str) -> dict:
    """The parameters cell of ``notebooks/<stem>.py``, executed: the defaults a learner runs with."""
    import jupytext

    from aigc_course.runtime import REPO_ROOT

    nb = jupytext.read(REPO_ROOT / "notebooks" / f"{stem}.py")
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    values: dict = {}
    exec(cell.source, {}, values)
    return values


@pytest.mark.parametrize("stem, dataset", [("02_dcgan_mnist", "mnist"), ("04_vae", "mnist")])
def test_mnist_chapters_set_up_their_data_and_metrics_from_the_shipped_split_alone(tmp_path, monkeypatch, stem,
                                                                                  dataset, capsys):
    from aigc_course.data import to_unit_range
    from aigc_course.metrics import eval_size, score_samples

    monkeypatch.setenv("AIGC_OFFLINE", "1")
    params = _notebook_parameters(stem)
    train = load_dataset(dataset, "train", data_dir=tmp_path)  # an empty folder: only data/ is left
    test = load_dataset(dataset, "test", data_dir=tmp_path)
    assert "bundled" in capsys.readouterr().out  # the learner is told what was used
    assert not _hashes(train.images) & _hashes(test.images)
    if "N_EVAL" not in params:
        return
    requested = params["N_EVAL"]
    if requested is None:  # sized by the chapter's budgets: the quick default, what CI runs
        requested = importlib.import_module(f"aigc_course.chapters.ch{stem}").BUDGETS["N_EVAL"].quick
    real = to_unit_range(train.images)
    n = eval_size(requested, len(real))
    assert 2 * n <= len(real) and (n < requested) == ("not" in capsys.readouterr().out)
    scores = score_samples(real[-n:], real, "mnist")  # real digits stand in for the n samples
    assert scores["n_samples"] == n and scores["fid_floor"] > 0 and scores["fid"] > 0


def test_cifar_chapter_without_its_data_stops_and_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("AIGC_OFFLINE", "1")
    assert _notebook_parameters("03_dcgan_cifar10")["N_EVAL"] is None  # sized by the chapter's budgets
    with pytest.raises(DatasetNotFoundError, match="cifar10 .train. was not found.*set DATA_DIR"):
        load_dataset("cifar10", "train", data_dir=tmp_path)


@pytest.mark.parametrize("requested, n_real, expected", [(10_000, 8_000, 4_000), (2_000, 8_000, 2_000),
                                                          (10_000, 20_000, 10_000), (5, 9, 4)])
def test_eval_size_leaves_two_disjoint_halves_for_the_fid_floor(requested, n_real, expected):
    from aigc_course.metrics import eval_size

    assert eval_size(requested, n_real, verbose=False) == expected


@pytest.mark.parametrize("requested, n_real, match", [
    (0, 100, "requested=0 is not allowed; it must be an integer >= 2"),
    (2.5, 100, "requested=2.5 is not allowed"), (10, 3, "n_real=3 is not allowed; it must be an integer >= 4")])
def test_eval_size_names_the_bad_value(requested, n_real, match):
    from aigc_course.metrics import eval_size

    with pytest.raises(ValueError, match=match):
        eval_size(requested, n_real)
