"""Chapter 6's library: degradations, the papers' PSNR/SSIM protocol, the sub-pixel networks, the L1 training step."""
import copy
import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from aigc_course.chapters import ch06_super_resolution as ch6
from aigc_course.data.degrade import add_gaussian_noise, bicubic_downsample, bicubic_upsample, realistic_degradation
from aigc_course.data.loader import TensorLoader
from aigc_course.data.photos import PhotoSet, load_photos
from aigc_course.metrics.colour import psnr, rgb_to_y, ssim
from aigc_course.models.sr import ESPCN, SRResNet
from aigc_course.train.supervised import fit, l1_loss, mse_loss

from conftest import crop_is_in, real_data_dir_or_skip


def _images(n=4, side=32, seed=0):
    return torch.rand(n, 3, side, side, generator=torch.Generator().manual_seed(seed))


# ---- metrics: known values ---------------------------------------------------------------------------------------

def test_psnr_of_a_known_constant_offset_and_of_identical_images():
    target = 0.2 + 0.6 * _images()
    assert torch.allclose(psnr(target + 0.1, target), torch.full((4,), 20.0), atol=1e-3)  # MSE 0.01 → 20 dB
    assert torch.isinf(psnr(target, target)).all()
    assert torch.allclose(ssim(target, target), torch.ones(4), atol=1e-5)


def test_y_channel_is_matlabs_bt601_and_scales_an_offset_by_219_over_255():
    rgb = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]).view(3, 3, 1, 1)
    y = rgb_to_y(rgb).flatten()
    assert torch.allclose(y, torch.tensor([16.0, 235.0, 16.0 + 65.481]) / 255, atol=1e-6)
    target = 0.2 + 0.6 * _images()
    expected = -20 * math.log10(0.1 * 219 / 255)  # a grey offset of 0.1 moves Y by 0.1 · 219/255
    assert torch.allclose(psnr(target + 0.1, target, y_channel=True), torch.full((4,), expected), atol=1e-3)


def test_the_border_crop_removes_exactly_scale_pixels_per_side():
    target = _images(side=24)
    pred = target.clone()
    pred[..., :4, :] = 0.0  # damage only the top 4 rows
    assert torch.isfinite(psnr(pred, target)).all()
    assert torch.isinf(psnr(pred, target, border=4)).all()
    assert torch.isfinite(psnr(pred, target, border=3)).all()


def test_metrics_name_the_bad_value():
    with pytest.raises(ValueError, match="border=12 leaves nothing"):
        psnr(_images(side=24), _images(side=24), border=12)
    with pytest.raises(ValueError, match="same shape"):
        psnr(_images(side=24), _images(side=16))
    with pytest.raises(ValueError, match="RGB"):
        rgb_to_y(torch.rand(2, 1, 8, 8))


# ---- degradations -------------------------------------------------------------------------------------------------

def test_bicubic_downsampling_antialiases_as_matlab_imresize_does():
    """Stripes of period 3 pixels lie above the ×4 image's Nyquist (period 8): antialiasing removes them (flat
    grey), plain bicubic sampling aliases them into the low-resolution image."""
    x = torch.arange(48).float()
    stripes = (0.5 + 0.4 * torch.cos(2 * math.pi * x / 3)).expand(1, 3, 48, 48).contiguous()
    lr = bicubic_downsample(stripes, 4)
    assert lr.shape == (1, 3, 12, 12) and (lr[..., 2:-2, 2:-2] - 0.5).abs().max() < 0.01
    aliased = F.interpolate(stripes, size=(12, 12), mode="bicubic", align_corners=False, antialias=False)
    assert (aliased - 0.5).abs().max() > 0.2
    assert torch.allclose(bicubic_downsample(torch.full((2, 3, 16, 16), 0.3), 4), torch.full((2, 3, 4, 4), 0.3))


def test_degradations_reject_what_they_cannot_take():
    with pytest.raises(ValueError, match="not a multiple of scale=4"):
        bicubic_downsample(_images(side=30), 4)
    with pytest.raises(ValueError, match="float"):
        bicubic_downsample(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), 4)
    with pytest.raises(ValueError, match="RGB"):
        realistic_degradation(torch.rand(1, 1, 16, 16), 4)
    with pytest.raises(ValueError, match="jpeg="):
        realistic_degradation(_images(side=16), 4, jpeg=(90, 120))
    with pytest.raises(ValueError, match="sigma=-1"):
        add_gaussian_noise(_images(), -1)


def test_the_realistic_degradation_is_deterministic_for_a_seed_and_degrades():
    hr = _images(n=3, side=32)
    a, b, c = (realistic_degradation(hr, 4, seed=s) for s in (5, 5, 6))
    assert a.shape == (3, 3, 8, 8) and torch.equal(a, b) and not torch.equal(a, c)
    assert 0 <= a.min() and a.max() <= 1
    assert not torch.allclose(a, bicubic_downsample(hr, 4), atol=1 / 255)  # blur, noise and JPEG did something


def test_gaussian_noise_has_the_stated_sigma_on_the_255_scale():
    x = torch.full((2, 3, 128, 128), 0.5)
    noisy = add_gaussian_noise(x, 25, seed=1)
    assert abs(float((noisy - x).std()) * 255 - 25) < 0.3
    assert torch.equal(noisy, add_gaussian_noise(x, 25, seed=1))
    assert add_gaussian_noise(x + 0.49, 50, seed=1, clip=True).max() <= 1


# ---- networks -----------------------------------------------------------------------------------------------------

def test_pixel_shuffle_is_a_reshape_and_a_permute_and_round_trips():
    x = torch.randn(2, 3 * 16, 5, 7)
    assert torch.equal(nn.PixelShuffle(4)(x), ch6.pixel_shuffle(x, 4))  # the exercise's reference, by hand
    assert torch.equal(nn.PixelUnshuffle(4)(nn.PixelShuffle(4)(x)), x)


@pytest.mark.parametrize("scale", [2, 4])
def test_networks_upscale_by_their_factor(scale):
    lr = torch.rand(2, 3, 12, 10)
    for G in (ESPCN(scale), SRResNet(scale, features=8, blocks=2)):
        assert G.eval()(lr).shape == (2, 3, 12 * scale, 10 * scale)
    assert ESPCN(3).eval()(lr).shape == (2, 3, 36, 30)
    with pytest.raises(ValueError, match="scale=3 is not allowed"):
        SRResNet(3)


def test_an_untrained_srresnet_is_exactly_the_bicubic_baseline():
    torch.manual_seed(0)
    lr = torch.rand(3, 3, 8, 8)
    assert torch.equal(SRResNet(4, features=8, blocks=2).eval()(lr), bicubic_upsample(lr, 4))


# ---- training -----------------------------------------------------------------------------------------------------

def test_one_restoration_step_is_a_plain_adam_step_on_the_l1_loss():
    torch.manual_seed(0)
    hr = _images(n=8, side=16)
    lr = bicubic_downsample(hr, 4)
    G = ESPCN(4, features=(8, 8))
    plain = copy.deepcopy(G)
    fit(G, TensorLoader(fields={"lr": lr, "hr": hr}, batch_size=8, shuffle=False), l1_loss, 1, lr=1e-3,
        progress=False)
    opt = torch.optim.Adam(plain.parameters(), lr=1e-3, betas=(0.9, 0.999))
    loss = (plain(lr) - hr).abs().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    for a, b in zip(G.parameters(), plain.parameters()):
        assert torch.allclose(a, b, atol=1e-7)
    assert float(mse_loss(nn.Identity(), hr + 0.1, hr)[0]) == pytest.approx(0.01, rel=1e-4)


@pytest.mark.parametrize("amp", [False, True])
def test_the_full_mode_network_runs_a_couple_of_steps(amp):
    """The full-mode networks train at their own crop sizes in float32 with channels_last, and through the CUDA
    path (bf16 autocast + channels_last) on 32² crops: bf16 convolutions on this CPU run about 20 times slower than
    float32 (the three at full size: about 50 s against 3.4 s), and the path, not the size, is what that run checks."""
    cfg, dn = ch6.SR["full"], ch6.DENOISE["full"]
    hr_side, patch = (32, 32) if amp else (cfg.hr_size, dn.patch)
    pairs = {"hr": _images(n=4, side=hr_side)}
    pairs["lr"] = bicubic_downsample(pairs["hr"], cfg.scale)
    run = ch6.train_sr(pairs, dataclasses.replace(cfg, batch_size=2), 2, amp=amp, channels_last=True,
                       progress=False)
    assert run.steps == 2 and np.isfinite(run.history["loss"]).all()
    gan = ch6.train_srgan(pairs, dataclasses.replace(cfg, batch_size=2), 2, run.model, amp=amp, channels_last=True,
                          progress=False)
    assert gan.steps == 2 and np.isfinite(gan.history["feature"]).all()
    noisy = {"noisy": add_gaussian_noise(_images(n=4, side=patch), 25), "clean": _images(n=4, side=patch)}
    den = ch6.train_denoiser(noisy, dataclasses.replace(dn, batch_size=2), 2, amp=amp, channels_last=True,
                             progress=False)
    assert den.steps == 2 and np.isfinite(den.history["loss"]).all() and len(den.model.body) == 3 * dn.depth - 3


def test_a_short_seeded_run_beats_its_initial_output_bicubic_on_held_out_photos():
    """An untrained SRResNet is bicubic (tested above); 600 quick-mode steps gain PSNR on photos it never saw
    (benchmarks/sr_time_to_quality.py: +0.45 to +0.47 dB over three seeds)."""
    data_dir = real_data_dir_or_skip("photos")
    cfg = ch6.SR["quick"]
    train = ch6.sr_pairs(load_photos("train", data_dir, max_side=cfg.photo_side, verbose=False), 1500, cfg.hr_size,
                         cfg.scale, seed=0)
    test = ch6.sr_pairs(load_photos("test", data_dir, max_side=cfg.photo_side, verbose=False), 100, ch6.TEST_CROP,
                        cfg.scale, seed=1, flips=False)
    run = ch6.train_sr(train, cfg, 600, progress=False)
    trained = ch6.evaluate_sr(ch6.upscale(run.model, test["lr"]), test["hr"], cfg.scale)
    assert trained["psnr"] > ch6.bicubic_scores(test["lr"], test["hr"], cfg.scale)["psnr"] + 0.2


# That the blind DnCNN beats OpenCV's NLM at σ = 25 on held-out photos is asserted by notebook 6's quick-mode bar
# (tests/test_notebooks.py: 400 steps, by at least 0.5 dB), not trained a second time here.


def test_training_crops_come_from_training_photos_only():
    data_dir = real_data_dir_or_skip("photos")
    cfg = ch6.SR["quick"]
    train = load_photos("train", data_dir, max_side=cfg.photo_side, verbose=False)
    test = load_photos("test", data_dir, max_side=cfg.photo_side, verbose=False)
    assert not set(train.names) & set(test.names)
    crops = (ch6.sr_pairs(train, 4, cfg.hr_size, cfg.scale, seed=5)["hr"] * 255).round().byte()
    for crop in crops:
        assert crop_is_in(train, crop) and not crop_is_in(test, crop)


# ---- the perceptual feature network and SRGAN's step ----------------------------------------------------------------

def test_the_offline_feature_network_is_a_real_imagenet_classifier():
    from skimage import data as skdata

    from aigc_course.models.features import efficientnet_lite0
    coffee = torch.from_numpy(skdata.coffee()).permute(2, 0, 1)[None].float() / 255
    x = F.interpolate(coffee, size=(224, 224), mode="bilinear", antialias=True, align_corners=False)
    with torch.no_grad():
        probs = efficientnet_lite0().eval()(2 * x - 1).softmax(1)
    assert int(probs.argmax()) == 967 and float(probs.max()) > 0.5  # ImageNet class 967: espresso


def test_feature_net_is_frozen_multi_scale_and_its_loss_reads_only_the_prediction():
    from aigc_course.models.features import FeatureNet, feature_loss
    net = FeatureNet()
    assert not any(p.requires_grad for p in net.parameters())
    assert not net.train().training  # stays in eval mode: batch norm keeps ImageNet's statistics
    feats = net(_images(n=2, side=96))
    assert [tuple(f.shape) for f in feats] == [(2, 24, 24, 24), (2, 40, 12, 12)]
    target = _images(n=2, side=64)
    pred = target.clone().requires_grad_(True)
    assert float(feature_loss(net, pred, target).detach()) == 0.0
    blurred = F.avg_pool2d(target, 3, 1, 1).requires_grad_(True)
    loss = feature_loss(net, blurred, target)
    loss.backward()
    assert float(loss.detach()) > 0 and blurred.grad.abs().sum() > 0
    random = FeatureNet(pretrained=False)
    assert not torch.allclose(random(target)[0], net(target)[0])
    with pytest.raises(ValueError, match="blocks=\\(16,\\) is not allowed"):
        FeatureNet(blocks=(16,))


def test_the_srgan_step_equals_the_plainly_written_one():
    """D on y vs G(x).detach() (the output alone) with its loss halved, then G on L1 + feature + non-saturating."""
    from aigc_course.models.features import FeatureNet, feature_loss
    from aigc_course.models.pix2pix import PatchGAN
    from aigc_course.train.pix2pix import fit_pix2pix
    torch.manual_seed(0)
    hr = _images(n=8, side=32)
    lr = bicubic_downsample(hr, 4)
    G, D, net = SRResNet(4, features=8, blocks=1, residual=False), PatchGAN(3, base=8, n_layers=1), FeatureNet((0,))
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    loader = TensorLoader(fields={"lr": lr, "hr": hr}, batch_size=8, shuffle=False)
    fit_pix2pix(G, D, loader, 1, l1_weight=1.0, adv_weight=0.1, lr=1e-3, feature_net=net, feature_weight=2.0,
                d_sees_input=False, betas=(0.9, 0.999), progress=False)
    opt_g = torch.optim.Adam(G2.parameters(), lr=1e-3, betas=(0.9, 0.999))
    opt_d = torch.optim.Adam(D2.parameters(), lr=1e-3, betas=(0.9, 0.999))
    fake = G2(lr)
    ones = torch.ones_like(D2(hr))
    loss_d = 0.5 * (F.binary_cross_entropy_with_logits(D2(hr), ones)
                    + F.binary_cross_entropy_with_logits(D2(fake.detach()), 0 * ones))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = (0.1 * F.binary_cross_entropy_with_logits(D2(fake), ones) + (fake - hr).abs().mean()
              + 2.0 * feature_loss(net, fake, hr))
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    for a, b in zip([*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()]):
        assert torch.allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="feature_weight=1.0 needs a feature_net"):
        fit_pix2pix(G, None, loader, 1, adv_weight=0.0, feature_weight=1.0, progress=False)


# ---- denoising ------------------------------------------------------------------------------------------------------

def test_an_untrained_dncnn_is_the_identity_and_the_noise_map_is_one_more_channel():
    from aigc_course.models.denoise import DnCNN, with_noise_map
    noisy = add_gaussian_noise(_images(n=2, side=16), 25, seed=0)
    assert torch.equal(DnCNN(features=8, depth=4).eval()(noisy), noisy)
    x = with_noise_map(noisy, torch.tensor([15.0, 50.0]))
    assert x.shape == (2, 4, 16, 16) and torch.allclose(x[:, 3].amax((1, 2)), torch.tensor([15.0, 50.0]) / 255)
    assert DnCNN(features=8, depth=4, noise_map=True).eval()(x).shape == (2, 3, 16, 16)
    with pytest.raises(ValueError, match="takes 4"):
        DnCNN(features=8, depth=4, noise_map=True)(noisy)


def test_non_local_means_baselines_remove_noise_from_a_smooth_image():
    from aigc_course.models.denoise import nl_means, nl_means_opencv
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 48), torch.linspace(0, 1, 48), indexing="ij")
    clean = torch.stack([0.2 + 0.6 * xx, 0.2 + 0.6 * yy, 0.5 + 0 * xx])[None]
    noisy = add_gaussian_noise(clean, 25, seed=3)
    before = float(psnr(noisy.clamp(0, 1), clean))
    for denoise in (nl_means, nl_means_opencv):
        assert float(psnr(denoise(noisy, 25), clean)) > before + 5, denoise.__name__
    with pytest.raises(ValueError, match="float RGB"):
        nl_means(torch.rand(1, 1, 8, 8), 25)


def test_denoising_pairs_draw_one_listed_sigma_per_crop_deterministically():
    photos = PhotoSet("train", ("a", "b"), [torch.randint(0, 256, (3, 64, 80), dtype=torch.uint8,
                                                          generator=torch.Generator().manual_seed(k)) for k in (0, 1)],
                      "test")
    a, b = ch6.denoise_pairs(photos, 300, 32, seed=4), ch6.denoise_pairs(photos, 300, 32, seed=4)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert set(a["sigma"].tolist()) == set(map(float, ch6.SIGMAS))
    measured = (a["noisy"] - a["clean"]).flatten(1).std(1) * 255
    assert torch.allclose(measured, a["sigma"], rtol=0.05)  # each crop's noise has its own σ (not clipped)
    with pytest.raises(ValueError, match=r"sigmas=\(0,\) is not allowed"):
        ch6.denoise_pairs(photos, 4, 32, sigmas=(0,))


def test_bm3d_is_opt_in_and_says_why_when_missing(monkeypatch):
    import sys

    from aigc_course.models import denoise
    monkeypatch.setitem(sys.modules, "bm3d", None)  # import bm3d now raises ImportError
    assert "non-commercial" in denoise.bm3d_available()
    with pytest.raises(ImportError, match="pip install bm3d"):
        denoise.bm3d_denoise(_images(n=1, side=16), 25)


def test_real_esrgan_runs_offline_as_a_4x_reference():
    """The black-box reference of section 6: made by `make install`; skipped only outside CI where it is missing."""
    import os

    from aigc_course.models.reference import RealESRGAN, realesrgan_available
    reason = realesrgan_available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"Real-ESRGAN must run in CI: {reason}")
        pytest.skip(reason)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 64), indexing="ij")
    hr = torch.stack([0.2 + 0.6 * xx, 0.2 + 0.6 * yy, 0.5 + 0.3 * (xx > 0.5).float()])[None]  # smooth, one edge
    out = RealESRGAN()(bicubic_downsample(hr, 4))
    assert out.shape == (1, 3, 64, 64) and 0 <= out.min() and out.max() <= 1
    assert float(ch6.sr_psnr(out, hr, 4)) > 25
    with pytest.raises(ValueError, match="float RGB"):
        RealESRGAN()(torch.rand(1, 1, 8, 8))


# ---- exercises and the quick-mode bar -------------------------------------------------------------------------------

def test_exercise_references_pass_and_the_classic_mistakes_fail():
    ex = ch6.exercises
    assert ex.check("sr_psnr", lambda p, t, s: psnr(p, t, y_channel=True, border=s))
    assert not ex.check("sr_psnr", lambda p, t, s: psnr(p, t, border=s))  # RGB instead of Y
    assert not ex.check("sr_psnr", lambda p, t, s: psnr(p, t, y_channel=True))  # no border crop

    def full_range_y(p, t, s):
        w = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        y = lambda x: (x * w).sum(1, keepdim=True)[..., s:-s, s:-s]
        return 10 * torch.log10(1 / (y(p) - y(t)).pow(2).mean((1, 2, 3)))

    assert not ex.check("sr_psnr", full_range_y)  # JPEG's full-range Y, not BT.601's studio range
    assert ex.check("pixel_shuffle", lambda x, r: F.pixel_shuffle(x, r))
    assert not ex.check("pixel_shuffle", lambda x, r: x.reshape(x.shape[0], -1, x.shape[2] * r, x.shape[3] * r))
    assert not ex.check("pixel_shuffle", lambda x, r: x.reshape(x.shape[0], -1, r, r, *x.shape[2:])
                        .permute(0, 1, 2, 4, 3, 5).reshape(x.shape[0], -1, x.shape[2] * r, x.shape[3] * r))
    assert ex.check("residual_over_bicubic",
                    lambda res, lr, s: res + F.interpolate(lr, scale_factor=s, mode="bicubic", align_corners=False))
    for mode, corners in (("bilinear", False), ("nearest", None), ("bicubic", True)):
        assert not ex.check("residual_over_bicubic", lambda res, lr, s, m=mode, c=corners: res + F.interpolate(
            lr, scale_factor=s, mode=m, align_corners=c)), mode


def test_the_quick_bar_fails_when_any_point_is_missed():
    ok = {"sr_x4_psnr_bicubic": 28.0, "sr_x4_psnr_l1": 28.7, "sr_x4_psnr_gan": 28.4, "sr_x4_sharpness_l1": 0.3,
          "sr_x4_sharpness_gan": 0.4, "denoise25_psnr_nlm": 25.0, "denoise25_psnr_net": 27.0}
    assert ch6.meets(ok, ch6.QUICK_BAR)
    for key, bad in [("sr_x4_psnr_l1", 28.4), ("sr_x4_sharpness_gan", 0.3), ("sr_x4_psnr_gan", 28.8),
                     ("denoise25_psnr_net", 25.4)]:
        assert not ch6.meets({**ok, key: bad}, ch6.QUICK_BAR), key
