"""Chapter 5: U-Net and PatchGAN shapes and receptive field, the pix2pix and CycleGAN steps against plainly
written ones, the colour measures, the tasks' data (held-out photos, unpaired domains), and a short run that learns."""
import copy

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from aigc_course.chapters import ch05_image_to_image as ch5
from aigc_course.data import load_dataset
from aigc_course.data.colour import lab_to_rgb, rgb_to_lab
from aigc_course.data.datasets import ImageData
from aigc_course.data.loader import TensorLoader
from aigc_course.data.photos import load_photos
from aigc_course.metrics.colour import colourfulness, psnr, ssim
from aigc_course.models.pix2pix import PatchGAN, UNet, receptive_field
from aigc_course.train.pix2pix import fit_cyclegan, fit_pix2pix

from conftest import crop_is_in, real_data_dir_or_skip


@pytest.mark.parametrize("depth,side", [(3, 32), (4, 64), (4, 48), (5, 64)])
@pytest.mark.parametrize("skips", [True, False])
@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_unet_keeps_the_size(depth, side, skips, upsample):
    G = UNet(1, 2, base=8, depth=depth, skips=skips, upsample=upsample)
    out = G(torch.randn(2, 1, side, side))
    assert out.shape == (2, 2, side, side) and out.abs().max() <= 1


def test_unet_rejects_sizes_and_options_it_cannot_take():
    with pytest.raises(ValueError, match="divisible by 16"):
        UNet(depth=4)(torch.randn(1, 1, 40, 40))
    with pytest.raises(ValueError, match="upsample='bilinear'.*'transpose', 'resize'"):
        UNet(upsample="bilinear")
    with pytest.raises(ValueError, match="dropout"):
        UNet(dropout=1.5)


def test_skips_let_the_unet_copy_detail_the_bottleneck_cannot_hold():
    """Learning the identity on noise images: 16×16 noise does not fit through a 2×2 bottleneck, so only the
    network with skips can reproduce it after a short training."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 16, 16, generator=g) * 2 - 1
    errors = {}
    for skips in (True, False):
        torch.manual_seed(0)
        G = UNet(1, 1, base=8, depth=3, skips=skips, dropout=0.0)
        loader = TensorLoader(fields={"x": x, "y": x}, batch_size=16, seed=0)
        G = fit_pix2pix(G, None, loader, 150, l1_weight=1.0, adv_weight=0.0, lr=3e-3, progress=False).G.eval()
        with torch.no_grad():
            errors[skips] = float((G(x) - x).abs().mean())
    assert errors[True] < 0.5 * errors[False], errors


@pytest.mark.parametrize("n_layers,expected", [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field_is_the_computed_one(n_layers, expected):
    """The formula's answer equals what the network really sees: the input pixels with a non-zero gradient
    from one output unit (batch norm in eval mode, so pixels do not interact through the batch statistics)."""
    D = PatchGAN(3, base=8, n_layers=n_layers).eval()
    assert receptive_field(D) == expected
    x = torch.randn(1, 3, 160, 160, requires_grad=True)
    out = D(x)
    i, j = out.shape[-2] // 2, out.shape[-1] // 2
    out[0, 0, i, j].backward()
    rows, cols = (x.grad[0].abs().sum(0) > 0).nonzero(as_tuple=True)
    assert int(rows.max() - rows.min() + 1) == expected == int(cols.max() - cols.min() + 1)


def _pairs(n=32, side=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, side, side, generator=g) * 2 - 1
    y = torch.cat([x.flip(-1), -x], 1).tanh()  # a fixed, learnable map from one channel to two
    return x, y


def test_pix2pix_without_the_adversarial_term_is_an_l1_regression_step():
    x, y = _pairs()
    torch.manual_seed(0)
    G = UNet(1, 2, base=8, depth=3, dropout=0.0)
    plain = copy.deepcopy(G)
    loader = TensorLoader(fields={"x": x, "y": y}, batch_size=8, shuffle=False)
    fit_pix2pix(G, None, loader, 1, l1_weight=3.0, adv_weight=0.0, progress=False)
    opt = torch.optim.Adam(plain.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss = 3.0 * (plain(x[:8]) - y[:8]).abs().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    for a, b in zip(G.parameters(), plain.parameters()):
        assert torch.allclose(a, b, atol=1e-7)


def test_pix2pix_step_equals_the_plainly_written_one():
    """D on (x, y) vs (x, G(x).detach()) with its loss halved, then G on λ·L1 + non-saturating through D."""
    x, y = _pairs()
    torch.manual_seed(0)
    G, D = UNet(1, 2, base=8, depth=3, dropout=0.0), PatchGAN(3, base=8, n_layers=1)
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    loader = TensorLoader(fields={"x": x, "y": y}, batch_size=8, shuffle=False)
    fit_pix2pix(G, D, loader, 1, l1_weight=10.0, adv_weight=1.0, progress=False)
    opt_g = torch.optim.Adam(G2.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D2.parameters(), lr=2e-4, betas=(0.5, 0.999))
    xb, yb = x[:8], y[:8]
    fake = G2(xb)
    real_t = torch.ones_like(D2(torch.cat([xb, yb], 1)))
    loss_d = 0.5 * (F.binary_cross_entropy_with_logits(D2(torch.cat([xb, yb], 1)), real_t)
                    + F.binary_cross_entropy_with_logits(D2(torch.cat([xb, fake.detach()], 1)), 0 * real_t))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = F.binary_cross_entropy_with_logits(D2(torch.cat([xb, fake], 1)), real_t) + 10.0 * (fake - yb).abs().mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    for a, b in zip([*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()]):
        assert torch.allclose(a, b, atol=1e-6)


def test_pix2pix_rejects_settings_that_train_nothing():
    x, y = _pairs()
    loader = TensorLoader(fields={"x": x, "y": y}, batch_size=8)
    with pytest.raises(ValueError, match="leave nothing to train"):
        fit_pix2pix(UNet(1, 2, 8, 3), None, loader, 1, l1_weight=0.0, adv_weight=0.0, progress=False)
    with pytest.raises(ValueError, match="needs a discriminator"):
        fit_pix2pix(UNet(1, 2, 8, 3), None, loader, 1, adv_weight=1.0, progress=False)
    with pytest.raises(ValueError, match="l1_weight=-1"):
        fit_pix2pix(UNet(1, 2, 8, 3), None, loader, 1, l1_weight=-1, adv_weight=0.0, progress=False)


def test_pix2pix_resumes_bit_for_bit(tmp_path):
    x, y = _pairs()
    loader = TensorLoader(fields={"x": x, "y": y}, batch_size=8, seed=3)

    def run(steps, resume):
        torch.manual_seed(0)
        G, D = UNet(1, 2, base=8, depth=3, dropout=0.0), PatchGAN(3, base=8, n_layers=1)
        return fit_pix2pix(G, D, loader, steps, checkpoint_dir=tmp_path / ("r" if resume else "s"),
                           checkpoint_every=2, resume=resume, progress=False).G

    straight = run(4, False)
    run(2, True)
    resumed = run(4, True)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("amp", [False, True])
def test_full_mode_colouriser_runs_a_couple_of_steps(amp):
    """The full-mode colouriser trains at its own size in float32 with channels_last, and through the CUDA path
    (bf16 autocast + channels_last) at the smallest size its U-Net takes (2^depth): bf16 convolutions on this CPU
    run about 20 times slower than float32 (at 128²: 30-50 s against 1.7 s); that run checks the path, not the size."""
    cfg = ch5.COLOUR["full"]
    size = 2 ** cfg.depth if amp else cfg.size
    torch.manual_seed(0)
    G, D = cfg.build()
    L = torch.rand(4, 1, size, size) * 2 - 1
    loader = TensorLoader(fields={"L": L, "ab": torch.zeros(4, 2, size, size)}, batch_size=2)
    run = fit_pix2pix(G, D, loader, 2, amp=amp, channels_last=True, progress=False)
    assert run.steps == 2 and np.isfinite(run.history["loss_g"]).all()


def test_cyclegan_trains_and_the_cycle_term_is_the_measured_one():
    torch.manual_seed(0)
    a = torch.rand(16, 1, 16, 16) * 2 - 1
    loader = TensorLoader(fields={"a": a, "b": ch5.thicken(a.flip(0))}, batch_size=8)
    nets = [UNet(1, 1, 8, 2, dropout=0.0), UNet(1, 1, 8, 2, dropout=0.0), PatchGAN(1, 8, 1), PatchGAN(1, 8, 1)]
    run = fit_cyclegan(*nets, loader, 3, progress=False)
    assert run.steps == 3 and np.isfinite(run.history["cycle"]).all() and min(run.history["cycle"]) > 0


def test_colour_conversions_round_trip_and_colourfulness_reads_colour():
    g = torch.Generator().manual_seed(0)
    rgb = torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8, generator=g)
    L, ab = rgb_to_lab(rgb)
    assert L.shape == (3, 1, 8, 8) and ab.shape == (3, 2, 8, 8) and L.min() >= -1 and L.max() <= 1
    assert (lab_to_rgb(L, ab) * 255 - rgb.float()).abs().max() < 1
    grey = rgb.float().mean(1, keepdim=True).expand(-1, 3, -1, -1) / 255
    assert torch.allclose(colourfulness(grey), torch.zeros(3, dtype=torch.float64))
    # pure red: rg = 255, yb = 127.5, no spread: M = 0.3·√(255² + 127.5²)
    red = torch.zeros(1, 3, 4, 4)
    red[:, 0] = 1
    assert colourfulness(red).item() == pytest.approx(0.3 * (255**2 + 127.5**2) ** 0.5)
    half = 0.5 * rgb.float() / 255 + 0.25  # the same images with half the contrast: less colourful
    assert (colourfulness(half) < colourfulness(rgb.float() / 255)).all()
    with pytest.raises(ValueError, match="uint8 RGB"):
        rgb_to_lab(rgb.float())


def test_psnr_and_ssim_are_the_textbook_ones_per_image():
    from skimage.metrics import structural_similarity

    g = torch.Generator().manual_seed(3)
    a = torch.rand(3, 3, 24, 24, generator=g)
    b = (a + 0.05 * torch.randn(a.shape, generator=g)).clamp(0, 1)
    mse = ((a - b) ** 2).mean((1, 2, 3))
    assert torch.allclose(psnr(b, a), 10 * torch.log10(1 / mse), atol=1e-4)
    sk = [structural_similarity(a[i].permute(1, 2, 0).numpy(), b[i].permute(1, 2, 0).numpy(), channel_axis=2,
                                data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
          for i in range(3)]
    assert torch.allclose(ssim(b, a), torch.tensor(sk, dtype=torch.float32), atol=2e-2)
    with pytest.raises(ValueError, match="same shape"):
        psnr(a, b[:2])


def test_the_grey_baseline_keeps_the_lightness_and_loses_the_colour():
    rgb = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    L, _ = rgb_to_lab(rgb)
    grey = ch5.grey_baseline(L, torch.zeros(2))
    assert torch.allclose(rgb_to_lab((grey * 255).round().to(torch.uint8))[0], L, atol=0.02)
    assert colourfulness(grey).max() < 1


def test_colour_training_crops_come_from_training_photos_only():
    data_dir = real_data_dir_or_skip("photos")
    train, test = load_photos("train", data_dir, max_side=256, verbose=False), \
        load_photos("test", data_dir, max_side=256, verbose=False)
    assert not set(train.names) & set(test.names)
    crops = ch5.colour_pairs(train, 4, size=32, seed=5)["rgb"]
    for crop in crops:
        assert crop_is_in(train, crop) and not crop_is_in(test, crop)


def test_a_short_seeded_run_lowers_the_colour_error_on_held_out_photos():
    data_dir = real_data_dir_or_skip("photos")
    train = ch5.colour_pairs(load_photos("train", data_dir, max_side=128, verbose=False), 400, size=32, seed=0)
    test = ch5.colour_pairs(load_photos("test", data_dir, max_side=128, verbose=False), 100, size=32, seed=1)
    torch.manual_seed(0)
    G = UNet(1, 2, base=8, depth=3)

    def held_out_l1():
        with torch.no_grad():
            return float((G.eval()(test["L"]) - test["ab"]).abs().mean())

    before = held_out_l1()
    loader = TensorLoader(fields={"L": train["L"], "ab": train["ab"]}, batch_size=16, seed=0)
    G = fit_pix2pix(G.train(), None, loader, 80, adv_weight=0.0, lr=1e-3, progress=False).G
    after = held_out_l1()
    # Colour is hard to predict from lightness: the untrained net's ab error is about the colours' own size
    # (0.21) and 80 steps take off about 0.013; 0.01 is far above run-to-run noise of a seeded run.
    assert after < before - 0.01, (before, after)


def test_edge_pairs_are_footwear_with_canny_edges():
    data_dir = real_data_dir_or_skip("FashionMNIST/raw")
    data = load_dataset("fashion-mnist", "test", data_dir=data_dir, verbose=False)
    pairs = ch5.edge_pairs(data)
    assert set(pairs["label"].unique().tolist()) == set(ch5.FOOTWEAR)
    assert pairs["edges"].shape == pairs["item"].shape == (len(pairs["label"]), 1, 32, 32)
    edges = ch5.canny_edges(data.images[:5])
    assert torch.equal(edges[0, 0], torch.from_numpy(cv2.Canny(data.images[0, 0].numpy(), 50, 150)))
    assert set(edges.unique().tolist()) <= {0, 255}


def test_unpaired_domains_come_from_disjoint_digits_and_b_is_dilated():
    images = torch.randint(0, 256, (10, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    d = ch5.unpaired_digits(ImageData("mnist", "train", images, torch.zeros(10, dtype=torch.long), (), "test"))
    x = F.pad(images.float() / 127.5 - 1, (2,) * 4, value=-1)
    assert torch.equal(d["a"], x[0::2])
    dilated = np.stack([cv2.dilate(img[0].numpy(), np.ones((3, 3), np.uint8)) for img in x[1::2]])
    assert torch.allclose(d["b"][:, 0], torch.from_numpy(dilated))


def test_exercise_checkers_reject_the_classic_mistakes(capsys):
    ex = ch5.exercises
    assert not ex.check("receptive_field", lambda layers: sum(k for k, _ in layers))
    assert not ex.check("receptive_field", lambda layers: 1 + sum((k - 1) * s for k, s in layers))
    bce_sigmoid = lambda lg, f, t, lam, adv: adv * -torch.log(torch.sigmoid(lg)).mean() + lam * (f - t).abs().mean()
    assert ex.check("pix2pix_generator_loss", bce_sigmoid)  # the same loss, written less safely, is right
    assert not ex.check("pix2pix_generator_loss",
                        lambda lg, f, t, lam, adv: adv * F.softplus(lg).mean() + lam * (f - t).abs().mean())
    assert not ex.check("pix2pix_generator_loss",
                        lambda lg, f, t, lam, adv: adv * F.softplus(-lg).mean() + lam * ((f - t) ** 2).mean())
    assert not ex.check("pix2pix_generator_loss",
                        lambda lg, f, t, lam, adv: lam * F.softplus(-lg).mean() + adv * (f - t).abs().mean())
    assert not ex.check("cycle_consistency", lambda a, ab, b, bb: ((ab - a) ** 2).mean() + ((bb - b) ** 2).mean())
    assert not ex.check("cycle_consistency", lambda a, ab, b, bb: (ab - a).abs().mean())
    assert "hint" in capsys.readouterr().out


def test_a_concat_discriminator_reads_the_label_as_one_hot_input_channels():
    from aigc_course.models.dcgan import Discriminator

    torch.manual_seed(0)
    D = Discriminator(ndf=8, nc=1, image_size=28, n_classes=10, pad_to=32, condition="concat").eval()
    assert D.net[0].in_channels == 11 and D.embed is None
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([0, 3, 3, 9])
    maps = F.one_hot(y, 10).float()[:, :, None, None].expand(-1, -1, 32, 32)
    plain = D.net(torch.cat([F.pad(x, (2,) * 4, value=-1.0), maps], 1)).flatten()
    assert torch.allclose(D(x, y), plain)
    assert not torch.allclose(D(x, y), D(x, (y + 1) % 10))  # the label changes the verdict
    default = Discriminator(ndf=8, nc=1, image_size=28, n_classes=10)
    assert default.condition == "projection" and default.net[0].in_channels == 1 and default.embed is not None
    with pytest.raises(ValueError, match="condition='film' is not allowed; choose one of 'projection', 'concat'"):
        Discriminator(n_classes=10, condition="film")
    assert set(ch5.CONDITIONING.rows) == {"projection", "concat"}
    assert {c.d_condition for _, c in ch5.CONDITIONING.rows.values()} == {"projection", "concat"}


def test_the_quick_bar_fails_when_any_point_of_the_contract_is_missed():
    good = {"edges2shoes_class_acc": 0.83, "colourfulness_real": 49.0, "colourfulness_l1": 9.0,
            "colourfulness_gan": 14.0, "colour_psnr_grey": 18.2, "colour_psnr_l1": 18.4, "colour_psnr_gan": 18.3,
            "cycle_error": 0.06, "cycle_error_no_cycle": 0.14}
    assert ch5.meets(good, ch5.QUICK_BAR)
    for key, bad in {"edges2shoes_class_acc": 0.79, "colourfulness_gan": 4.0, "colour_psnr_l1": 18.1,
                     "colour_psnr_gan": 18.2, "cycle_error": 0.15}.items():
        assert not ch5.meets({**good, key: bad}, ch5.QUICK_BAR), key


def test_the_committed_front_backs_the_chapters_lambda():
    """The chapter's λ is the committed benchmark's: above the grey baseline's PSNR and more colourful than L1
    on every seed; pix2pix's λ = 100 is not above the grey baseline on every seed (why the chapter moved)."""
    from aigc_course import tables
    bench = tables.load("pix2pix_colour")
    rows = {row["l1_weight"]: row for row in bench["rows"].values() if row["adv_weight"] > 0}
    chosen, l1 = rows[ch5.COLOUR_L1_WEIGHT], bench["rows"]["L1"]
    assert min(chosen["spread"]["psnr"]) > bench["grey"]["psnr"]
    assert min(chosen["spread"]["colourfulness"]) > max(l1["spread"]["colourfulness"])
    assert min(rows[100.0]["spread"]["psnr"]) <= bench["grey"]["psnr"]
