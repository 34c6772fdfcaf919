import shutil

import pytest
import torch
import torchvision

from aigc_course.data import (
    DATASETS,
    DatasetNotFoundError,
    TensorLoader,
    available_datasets,
    canonical_name,
    load_dataset,
)
from aigc_course.data import datasets as ds_mod

from conftest import real_data_dir_or_skip


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("AIGC_OFFLINE", "1")


def test_unknown_dataset_lists_allowed():
    with pytest.raises(ValueError, match="unknown dataset 'celeba'; choose one of mnist, fashion-mnist, cifar10"):
        load_dataset("celeba")
    with pytest.raises(ValueError, match="split='val'"):
        load_dataset("mnist", split="val")


def test_canonical_names():
    assert canonical_name("MNIST") == "mnist"
    assert canonical_name("Fashion_MNIST") == "fashion-mnist"
    assert canonical_name("CIFAR-10") == "cifar10"
    assert set(DATASETS) == {"mnist", "fashion-mnist", "cifar10"}


def test_offline_mnist_splits_the_bundled_file_into_disjoint_parts_and_says_so(tmp_path, offline, capsys):
    train = load_dataset("mnist", "train", data_dir=tmp_path)
    test = load_dataset("mnist", "test", data_dir=tmp_path)
    assert train.images.shape == (8_000, 1, 28, 28) and test.images.shape == (2_000, 1, 28, 28)
    assert train.images.dtype == torch.uint8
    assert train.labels[:8].tolist() == [7, 2, 1, 0, 1, 4, 9, 5]  # the official file's labels, every 5th left out
    assert (torch.bincount(train.labels) + torch.bincount(test.labels)).tolist() == \
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # together: the whole official test file
    hashes = [{bytes(x.flatten().tolist()) for x in d.images} for d in (train, test)]
    assert not hashes[0] & hashes[1]  # never evaluate on what was trained on
    out = capsys.readouterr().out
    assert "its train part, 8,000 of its 10,000 digits" in out and "its test part, 2,000" in out


def test_bundled_mnist_md5_is_verified(tmp_path, offline, monkeypatch):
    bad = tmp_path / "raw"
    shutil.copytree(ds_mod.BUNDLED_MNIST, bad)
    path = bad / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    monkeypatch.setattr(ds_mod, "BUNDLED_MNIST", bad)
    with pytest.raises(ValueError, match="corrupt: md5"):
        load_dataset("mnist", data_dir=tmp_path / "empty")


def test_missing_dataset_without_fallback_says_how_to_get_it(tmp_path, offline):
    with pytest.raises(DatasetNotFoundError, match=r"Run `make data`.*FashionMNIST/raw"):
        load_dataset("fashion-mnist", data_dir=tmp_path)
    with pytest.raises(DatasetNotFoundError, match="cifar-10-batches-py"):
        load_dataset("cifar10", data_dir=tmp_path)


class FakeMNIST:
    """Stands in for torchvision.datasets.MNIST: the files appear only once 'downloaded'."""

    calls: list = []

    def __init__(self, root, train, download, transform=None):
        FakeMNIST.calls.append((root, train, download))
        if not download:
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data = torch.full((5, 28, 28), 7, dtype=torch.uint8)
        self.targets = torch.arange(5)


def test_online_path_downloads_with_torchvision(tmp_path, monkeypatch):
    FakeMNIST.calls = []
    monkeypatch.setattr(torchvision.datasets, "MNIST", FakeMNIST)
    d = load_dataset("mnist", "train", data_dir=tmp_path, download=True)
    assert FakeMNIST.calls == [(str(tmp_path), True, False), (str(tmp_path), True, True)]
    assert d.images.shape == (5, 1, 28, 28) and d.source == f"downloaded to {tmp_path}"


def test_auto_download_only_when_online(tmp_path, monkeypatch, capsys):
    FakeMNIST.calls = []
    monkeypatch.setattr(torchvision.datasets, "MNIST", FakeMNIST)
    monkeypatch.setattr(ds_mod, "is_online", lambda name: False)
    d = load_dataset("mnist", "train", data_dir=tmp_path)
    assert [c[2] for c in FakeMNIST.calls] == [False] and len(d) == 8_000  # offline: the bundled file's train part
    monkeypatch.setattr(ds_mod, "is_online", lambda name: True)
    assert len(load_dataset("mnist", "train", data_dir=tmp_path)) == 5
    assert FakeMNIST.calls[-1][2] is True


def test_offline_flag_skips_the_network(monkeypatch):
    monkeypatch.setenv("AIGC_OFFLINE", "1")
    assert ds_mod.is_online("mnist") is False


def test_full_mnist_from_torchvision_layout():
    root = real_data_dir_or_skip("MNIST/raw/train-images-idx3-ubyte")
    d = load_dataset("mnist", "train", data_dir=root)
    assert d.images.shape == (60_000, 1, 28, 28) and d.source.startswith("torchvision files")


def test_real_cifar10_subset():
    root = real_data_dir_or_skip("CIFAR10-subset/cifar10_subset.npz")
    d = load_dataset("cifar10", "train", data_dir=root)
    assert d.images.shape == (5085, 3, 32, 32) and d.images.dtype == torch.uint8
    assert len(d.classes) == 10 and d.classes[0] == "airplane"
    assert "real CIFAR-10 subset" in d.source and 0 < d.images.float().std() < 255


def test_available_datasets_reports_every_dataset(tmp_path, offline):
    rows = available_datasets(tmp_path)
    assert [(r["dataset"], r["split"]) for r in rows] == [(n, s) for n in DATASETS for s in ("train", "test")]
    fashion = [r for r in rows if r["dataset"] == "fashion-mnist"]
    assert all(r["images"] == 0 and "missing" in r["source"] for r in fashion)


def test_as_torch_dataset_matches_tensor_loader(tmp_path, offline):
    from torchvision import transforms

    d = load_dataset("mnist", "test", data_dir=tmp_path, verbose=False)
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])
    x, y = d.as_torch_dataset(tfm)[3]
    loader = d.loader(4, shuffle=False)
    xb, yb = next(iter(loader))
    assert y == yb[3].item() and torch.allclose(x, xb[3], atol=1e-6)


# --- the tensor loader ---------------------------------------------------------------------------

def _loader(n=103, **kw):
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous()
    return TensorLoader(images, torch.arange(n), **kw)


def test_every_sample_exactly_once_per_epoch():
    loader = _loader(batch_size=10, seed=1)
    labels = torch.cat([y for _, y in loader.epoch(0)])
    assert len(loader) == 11 and sorted(labels.tolist()) == list(range(103))
    dropped = _loader(batch_size=10, drop_last=True)
    assert len(dropped) == 10 and sum(len(y) for _, y in dropped) == 100


def test_seeded_order_is_reproducible_and_changes_with_seed_and_epoch():
    a = torch.cat([y for _, y in _loader(batch_size=8, seed=5).epoch(2)])
    b = torch.cat([y for _, y in _loader(batch_size=8, seed=5).epoch(2)])
    c = torch.cat([y for _, y in _loader(batch_size=8, seed=6).epoch(2)])
    d = torch.cat([y for _, y in _loader(batch_size=8, seed=5).epoch(3)])
    assert torch.equal(a, b) and not torch.equal(a, c) and not torch.equal(a, d)


def test_batches_resume_where_uninterrupted_run_would_be():
    loader = _loader(batch_size=8)
    it = loader.batches()
    straight = [next(it)[1] for _ in range(40)]
    resumed = loader.batches(start_step=27)
    assert all(torch.equal(next(resumed)[1], straight[s]) for s in range(27, 40))


def test_values_scaled_to_range_and_channels_last():
    n = 256
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 3, 2, 2).contiguous()
    loader = TensorLoader(images, torch.arange(n), batch_size=n, shuffle=False, channels_last=True)
    x, _ = next(iter(loader))
    assert x.min() == -1.0 and x.max() == 1.0 and x.is_contiguous(memory_format=torch.channels_last)
    x01, _ = next(iter(TensorLoader(images, torch.arange(n), batch_size=n, shuffle=False, value_range=(0, 1))))
    assert x01.min() == 0.0 and x01.max() == 1.0


def test_distributed_ranks_are_disjoint_and_equal():
    parts = [torch.cat([y for _, y in _loader(batch_size=7, seed=2, rank=r, world_size=2).epoch(0)])
             for r in range(2)]
    assert len(parts[0]) == len(parts[1]) == 51
    assert not set(parts[0].tolist()) & set(parts[1].tolist())


@pytest.mark.parametrize("kw, match", [
    ({"batch_size": 0}, "batch_size=0"),
    ({"batch_size": 500, "drop_last": True}, "larger than the 103 images"),
    ({"batch_size": 4, "rank": 2, "world_size": 2}, "rank=2"),
])
def test_loader_rejects_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        _loader(**kw)


def test_loader_passes_float_data_through_and_rejects_other_types():
    points = torch.randn(10, 2)
    x, y = next(iter(TensorLoader(points, torch.zeros(10), batch_size=10, shuffle=False)))
    assert torch.equal(x, points)
    with pytest.raises(ValueError, match="uint8 images or floating point"):
        TensorLoader(torch.zeros(4, 2, dtype=torch.int64), torch.zeros(4), batch_size=2)
    with pytest.raises(ValueError, match=r"shape \(N, C, H, W\)"):
        TensorLoader(torch.zeros(4, 2, dtype=torch.uint8), torch.zeros(4), batch_size=2)
