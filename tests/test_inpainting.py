"""Chapter 7's library: hole masks, the composite, classical fills, partial convolutions, the inpainting network,
the old-photo degradation and repair, Gram matrices, AdaIN and style transfer."""
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from aigc_course.chapters import ch07_inpainting_and_style as ch7
from aigc_course.data.degrade import old_photo_degradation
from aigc_course.data.masks import DEFAULT_FRACTION, MASK_KINDS, coverage, make_masks
from aigc_course.data.photos import load_photos
from aigc_course.models.inference import predict
from aigc_course.models.inpaint import (
    InpaintNet,
    PartialConv2d,
    composite,
    hole_psnr,
    inpaint_classical,
    masked_l1,
    pack,
)
from aigc_course.models.style import StyleLoss, TransformNet, adain, gram_matrix, stylise

from conftest import crop_is_in, real_data_dir_or_skip


def _images(n=4, side=32, seed=0):
    return torch.rand(n, 3, side, side, generator=torch.Generator().manual_seed(seed))


# ---- masks ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", MASK_KINDS)
def test_every_mask_covers_the_requested_fraction_and_repeats_for_a_seed(kind):
    holes = make_masks(40, 64, kind, seed=3)
    lo, hi = DEFAULT_FRACTION[kind]
    assert holes.shape == (40, 1, 64, 64) and set(holes.unique().tolist()) <= {0.0, 1.0}
    assert ((coverage(holes) >= lo) & (coverage(holes) <= hi)).all(), coverage(holes)
    assert torch.equal(holes, make_masks(40, 64, kind, seed=3))
    assert not torch.equal(holes, make_masks(40, 64, kind, seed=4))
    narrow = make_masks(10, 64, kind, fraction=(0.10, 0.11), seed=0)
    assert ((coverage(narrow) >= 0.10) & (coverage(narrow) <= 0.11)).all()


def test_masks_name_bad_values():
    with pytest.raises(ValueError, match="kind='circle' is not allowed; choose one of 'square', 'freeform'"):
        make_masks(2, 32, "circle")
    with pytest.raises(ValueError, match=r"fraction=\(0.3, 0.2\) is not allowed"):
        make_masks(2, 32, "square", fraction=(0.3, 0.2))


# ---- composite, losses, scores -------------------------------------------------------------------------------------

def test_the_composite_leaves_every_known_pixel_bit_identical():
    image, pred = _images(seed=0), _images(seed=1)
    hole = make_masks(4, 32, "freeform", seed=0)
    out = composite(pred, image, hole)
    known = ~hole.bool().expand_as(image)
    assert torch.equal(out[known], image[known]) and torch.equal(out[~known], pred[~known])


def test_masked_l1_and_hole_psnr_count_the_hole_only():
    image = _images()
    hole = torch.zeros(4, 1, 32, 32)
    hole[..., 8:16, 8:16] = 1
    pred = image + 0.1 * hole  # off by 0.1 inside the hole only
    pred[..., 0, 0] += 5.0  # a large error outside the hole must not count
    assert masked_l1(pred, image, hole) == pytest.approx(0.1, abs=1e-6)
    assert torch.allclose(hole_psnr(pred, image, hole), torch.full((4,), 20.0), atol=1e-3)


def test_classical_fills_composite_and_recover_a_smooth_ramp():
    ramp = torch.linspace(0, 1, 32).view(1, 1, 1, 32).expand(2, 3, 32, 32).contiguous()
    hole = make_masks(2, 32, "square", seed=0)
    black = ramp * (1 - hole)
    for method in ("telea", "ns", "biharmonic"):
        out = inpaint_classical(black, hole, method)
        known = ~hole.bool().expand_as(ramp)
        assert torch.equal(out[known], black[known]), method
        assert (hole_psnr(out, ramp, hole) > hole_psnr(black, ramp, hole) + 10).all(), method
    inner = torch.zeros_like(hole)
    inner[..., 10:20, 8:22] = 1  # a hole with known pixels all round: a linear ramp is biharmonic, filled exactly
    biharmonic = inpaint_classical(ramp * (1 - inner), inner, "biharmonic")
    assert (hole_psnr(biharmonic, ramp, inner) > 40).all()
    with pytest.raises(ValueError, match="method='patchmatch' is not allowed; choose one of 'telea', 'ns'"):
        inpaint_classical(black, hole, "patchmatch")
    with pytest.raises(ValueError, match=r"hole must be \(N, 1, H, W\)"):
        inpaint_classical(black, hole[:, :, :16], "telea")


# ---- partial convolution and the network ---------------------------------------------------------------------------

def test_partial_convolution_without_holes_is_a_plain_convolution_and_never_reads_a_hole():
    torch.manual_seed(0)
    pconv = PartialConv2d(3, 5, 3, padding=1)
    x = torch.randn(2, 3, 16, 16)
    ones = torch.ones(2, 1, 16, 16)
    interior = (slice(None), slice(None), slice(1, -1), slice(1, -1))  # the zero padding counts as a hole
    y, valid = pconv(x, ones)
    assert torch.allclose(y[interior], F.conv2d(x, pconv.weight, pconv.bias, padding=1)[interior], atol=1e-5)
    assert torch.equal(valid, ones)
    hole = torch.zeros(2, 1, 16, 16)
    hole[..., 4:12, 4:12] = 1
    y1, v1 = pconv(x, 1 - hole)
    y2, _ = pconv(x + 100 * hole, 1 - hole)  # change only the missing pixels
    assert torch.equal(y1, y2)
    # the hole shrinks by one pixel per 3×3 layer
    assert v1[..., 5:11, 5:11].sum() == 0 and bool((v1[..., 4, 4] == 1).all())


@pytest.mark.parametrize("conv", ["plain", "partial"])
def test_the_network_keeps_known_pixels_and_ignores_what_the_hole_held(conv):
    torch.manual_seed(0)
    net = InpaintNet(base=8, conv=conv).eval()
    image, hole = _images(n=2), make_masks(2, 32, "freeform", seed=1)
    out = net(pack(image, hole))
    known = ~hole.bool().expand_as(image)
    assert out.shape == image.shape and torch.equal(out[known], image[known])
    assert torch.equal(out, net(pack(image + 3 * hole, hole)))


def test_the_prior_network_starts_exactly_at_the_classical_fill_and_names_bad_inputs():
    torch.manual_seed(0)
    image, hole = _images(n=2), make_masks(2, 32, "freeform", seed=1)
    fill = inpaint_classical(image, hole, "biharmonic")
    net = InpaintNet(base=8, prior=True).eval()
    assert torch.allclose(net(pack(image, hole, fill)), fill, atol=1e-6)
    with pytest.raises(ValueError, match=r"takes pack\(image, hole, fill\): \(N, 7, H, W\)"):
        net(pack(image, hole))
    with pytest.raises(ValueError, match="prior=True reads a filled image"):
        InpaintNet(prior=True, conv="partial")
    with pytest.raises(ValueError, match="conv='gated' is not allowed; choose one of 'plain', 'partial'"):
        InpaintNet(conv="gated")


def test_a_short_seeded_inpainting_run_lowers_the_hole_error_on_held_out_crops():
    data_dir = real_data_dir_or_skip("photos")
    cfg = ch7.INPAINT["quick"]
    train, test = (load_photos(s, data_dir, max_side=cfg.photo_side, verbose=False) for s in ("train", "test"))
    pairs = ch7.inpaint_pairs(train, 256, 32, seed=0, fill=False)
    held = ch7.inpaint_pairs(test, 64, 32, seed=1, flips=False, fill=False)
    assert all(crop_is_in(train, (255 * c).round().byte()) for c in pairs["image"][:3])  # from training photos
    assert not any(crop_is_in(train, (255 * c).round().byte()) for c in held["image"][:3])
    torch.manual_seed(0)
    before = masked_l1(predict(cfg.build(prior=False), held["x"]), held["image"], held["hole"])
    run = ch7.train_inpainter(pairs, cfg, 60, prior=False, progress=False)
    after = masked_l1(predict(run.model, held["x"]), held["image"], held["hole"])
    assert after < 0.7 * before, (before, after)


# ---- old photos ----------------------------------------------------------------------------------------------------

def test_the_old_photo_degradation_is_seeded_and_reports_its_defects():
    clean = 0.2 + 0.6 * _images(n=3, side=48)
    old, defects = old_photo_degradation(clean, seed=5)
    again, _ = old_photo_degradation(clean, seed=5)
    assert torch.equal(old, again) and old.shape == clean.shape and defects.shape == (3, 1, 48, 48)
    assert 0.005 < float(defects.mean()) < 0.1
    light = old.mean(1, keepdim=True)[defects.bool()]
    assert float(light.mean()) > float(old.mean()) + 0.1  # most scratches and dust print light
    with pytest.raises(ValueError, match=r"fade=\(0.9, 0.5\) is not allowed"):
        old_photo_degradation(clean, fade=(0.9, 0.5))


def test_the_classical_pipeline_keeps_each_stage():
    clean = 0.2 + 0.6 * _images(n=2, side=32)
    old, defects = old_photo_degradation(clean, seed=0)
    stages = ch7.classical_restoration(old, defects)
    assert list(stages) == ["inpaint", "+ nl-means", "+ auto levels"]
    known = ~defects.bool().expand_as(old)
    assert torch.allclose(stages["inpaint"][known], old[known], atol=1 / 255)


# ---- style ---------------------------------------------------------------------------------------------------------

def test_the_gram_matrix_is_symmetric_with_the_right_shape_and_scale():
    f = torch.randn(2, 5, 6, 7)
    g = gram_matrix(f)
    assert g.shape == (2, 5, 5) and torch.allclose(g, g.transpose(1, 2))
    assert torch.allclose(gram_matrix(torch.ones(1, 3, 4, 4)), torch.ones(1, 3, 3))  # a mean over positions
    assert torch.allclose(gram_matrix(3 * f), 9 * g, atol=1e-5)
    assert torch.allclose(gram_matrix(f.repeat(1, 1, 2, 3)), g, atol=1e-5)  # tiling the image changes nothing
    assert torch.allclose(g[0, 1, 2], (f[0, 1] * f[0, 2]).mean(), atol=1e-6)


def test_adain_gives_the_style_s_per_channel_mean_and_std():
    c, s = torch.randn(2, 4, 8, 8) * 3 + 1, torch.randn(2, 4, 5, 6) * 0.5 - 2
    out = adain(c, s)
    assert torch.allclose(out.mean((2, 3)), s.mean((2, 3)), atol=1e-5)
    assert torch.allclose(out.std((2, 3), unbiased=False), s.std((2, 3), unbiased=False), atol=1e-3)
    with pytest.raises(ValueError, match="same N and C"):
        adain(c, s[:, :3])


@pytest.fixture(scope="module")
def starry_loss():
    photo = 0.5 + 0.3 * torch.sin(torch.linspace(0, 20, 64)).view(1, 1, 1, 64).expand(1, 3, 64, 64)
    return StyleLoss(photo.contiguous()), photo


def test_style_loss_of_the_style_image_is_zero_and_the_optimisation_lowers_it(starry_loss):
    loss, style = starry_loss
    c, s = loss.losses(style, loss.content_features(style))
    assert float(s) < 1e-8 and float(c) == 0.0
    content = _images(n=1, side=64)
    run = stylise(content, loss, steps=30, style_weight=10.0, lr=0.05, progress=False)
    assert run.style_loss[-1] < 0.5 * run.style_loss[0] and run.content_loss[0] == 0.0
    assert run.image.min() >= 0 and run.image.max() <= 1 and len(run.style_loss) == 31


def test_the_fast_network_keeps_the_shape_and_a_short_run_lowers_its_objective(starry_loss):
    loss, style = starry_loss
    net = TransformNet(base=8, blocks=1)
    out = net(_images(n=2, side=32)).detach()
    assert out.shape == (2, 3, 32, 32) and 0 <= float(out.min()) and float(out.max()) <= 1
    crops = (255 * _images(n=32, side=32)).byte()
    run = ch7.train_fast_style(crops, style, ch7.FastStyleConfig(base=8, blocks=1), 40, loss=loss, progress=False,
                               log_every=10)
    total = run.history["loss"]
    assert total[-1] < 0.8 * total[0], total


# ---- the shipped weights -------------------------------------------------------------------------------------------

def test_the_shipped_inpainting_weights_load_into_todays_network_and_beat_the_fill_they_start_from():
    from aigc_course.recipes import load_trained

    data_dir = real_data_dir_or_skip("photos")
    net, record = load_trained("inpaint-photos")
    assert record["recipe"] == "inpaint-photos" and record["steps"] == ch7.SHIPPED_INPAINT_STEPS
    cfg = ch7.INPAINT["quick"]
    held = ch7.inpaint_pairs(load_photos("test", data_dir, max_side=cfg.photo_side, verbose=False), 100, cfg.size,
                             seed=1, flips=False)
    assert torch.equal(net(held["x_prior"][:4]) * (1 - held["hole"][:4]), held["image"][:4] * (1 - held["hole"][:4]))
    ours = ch7.evaluate_inpainting(predict(net, held["x_prior"]), held["image"], held["hole"])["psnr"]
    biharmonic = ch7.evaluate_inpainting(held["fill"], held["image"], held["hole"])["psnr"]
    assert ours > biharmonic, (ours, biharmonic)


def test_the_shipped_style_network_loads_into_todays_network_and_moves_a_held_out_photo_towards_the_style():
    from aigc_course.recipes import load_trained

    data_dir = real_data_dir_or_skip("art/starry_night.jpg")
    net, record = load_trained("fast-style")
    assert record["recipe"] == "fast-style" and record["steps"] == ch7.SHIPPED_FAST_STEPS
    loss = StyleLoss(ch7.load_image(ch7.style_path(data_dir), ch7.FAST_STYLE.style_side))
    photos = load_photos("test", data_dir, max_side=256, verbose=False)
    photo = photos.patches(2, 128, seed=3, flips=False).float() / 255
    out, _ = ch7.stylise_fast(net, photo, repeats=1)
    _, before = loss.losses(photo, loss.content_features(photo))
    _, after = loss.losses(out, loss.content_features(photo))
    assert (after < before / 3).all(), (before, after)


def test_the_quick_bar_fails_when_any_point_is_missed():
    good = {"inpaint_psnr_telea": 23.8, "inpaint_psnr_ns": 24.3, "inpaint_psnr_biharmonic": 25.9,
            "inpaint_psnr_net": 26.4, "inpaint_gain_interval": [0.39, 0.64], "restore_psnr_net": 25.0,
            "restore_psnr_classical": 22.0, "style_loss_ratio": 25.0, "fast_style_ms_per_image": 60.0}
    assert ch7.meets(good, ch7.QUICK_BAR)
    for key, bad in [("inpaint_psnr_net", 26.3), ("inpaint_psnr_ns", 26.0), ("inpaint_gain_interval", [-0.01, 0.3]),
                     ("restore_psnr_net", 21.0), ("style_loss_ratio", 9.0), ("fast_style_ms_per_image", 1500.0)]:
        assert not ch7.meets({**good, key: bad}, ch7.QUICK_BAR), key


def test_the_exercise_checkers_pass_the_references_and_reject_the_classic_mistakes(capsys):
    ex = ch7.exercises
    assert ex.check("gram_matrix", gram_matrix)
    assert not ex.check("gram_matrix", lambda f: f.flatten(2) @ f.flatten(2).transpose(1, 2))  # no division
    assert not ex.check("gram_matrix", lambda f: f.flatten(2) @ f.flatten(2).transpose(1, 2) / f[0].numel())  # C·H·W
    assert not ex.check("gram_matrix", lambda f: f.flatten(2).transpose(1, 2) @ f.flatten(2) / f[0, 0].numel())
    assert ex.check("composite", composite)
    assert not ex.check("composite", lambda pred, image, hole: pred)  # no composite
    assert not ex.check("composite", lambda pred, image, hole: torch.where(hole.bool(), image, pred))  # swapped
    assert ex.check("masked_l1", masked_l1)
    assert not ex.check("masked_l1", lambda pred, image, hole: ((pred - image).abs() * hole).mean())  # diluted
    assert not ex.check("masked_l1", lambda pred, image, hole: ((pred - image).abs() * hole).sum() / hole.sum())
    assert ex.check("adain", adain)

    def batch_statistics(c, s, eps=1e-5):  # statistics over the batch too: instance norm is per sample
        mu_c, mu_s = c.mean((0, 2, 3), keepdim=True), s.mean((0, 2, 3), keepdim=True)
        sd_c = (c.var((0, 2, 3), keepdim=True, unbiased=False) + eps).sqrt()
        sd_s = (s.var((0, 2, 3), keepdim=True, unbiased=False) + eps).sqrt()
        return sd_s * (c - mu_c) / sd_c + mu_s

    assert not ex.check("adain", batch_statistics)
    assert not ex.check("adain", lambda c, s: s.std((2, 3), keepdim=True) * (c - c.mean((2, 3), keepdim=True))
                        / c.std((2, 3), keepdim=True) + s.mean((2, 3), keepdim=True))  # unbiased, no eps
    assert "hint:" in capsys.readouterr().out


def test_the_full_mode_configurations_train_for_two_steps():
    """The full-mode networks and crop sizes, on batches of 2 so the test stays quick on a CPU."""
    full = dataclasses.replace(ch7.INPAINT["full"], batch_size=2)
    image, hole = _images(n=2, side=full.size), make_masks(2, full.size, seed=0)
    pairs = {"image": image, "hole": hole, "x": pack(image, hole), "x_prior": pack(image, hole, image)}
    for prior in (True, False):
        run = ch7.train_inpainter(pairs, full, 2, prior=prior, progress=False)
        assert run.steps == 2 and run.model.prior is prior
    assert ch7.train_inpainter_gan(pairs, full, 2, run.model, progress=False).steps == 2
    restore = dataclasses.replace(ch7.RESTORE["full"], batch_size=2)
    clean = _images(n=2, side=restore.size)
    run = ch7.train_restorer({"old": clean.flip(-1), "clean": clean}, restore, 2, progress=False)
    assert run.steps == 2 and len(run.model.body) == 3 * restore.depth - 3  # conv-ReLU, (conv-BN-ReLU)×(d−2), conv


def test_a_photo_recipe_trains_exports_and_loads_into_todays_network(tmp_path):
    from aigc_course.recipes import PROVENANCE, export_recipe, load_trained, run_recipe

    data_dir = real_data_dir_or_skip("art/starry_night.jpg")
    run_recipe("fast-style", steps=2, device="cpu", out=tmp_path / "run", batch_size=2, data_dir=data_dir,
               progress=False)
    assert (tmp_path / "run" / PROVENANCE).exists() and (tmp_path / "run" / "samples.png").exists()
    export_recipe("fast-style", tmp_path / "run", folder=tmp_path / "weights")
    net, record = load_trained("fast-style", folder=tmp_path / "weights")
    assert record["steps"] == 2 and record["segments"][0]["batch_size"] == 2
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert all(torch.equal(v, ckpt["model"][k]) for k, v in net.state_dict().items())
