"""Chapter 8: warping, classical flow, interpolation, occlusion, synthetic video and the refinement network."""
from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from aigc_course.chapters import ch08_video_interpolation as ch8
from aigc_course.data.video import synthetic_video
from aigc_course.metrics.colour import psnr
from aigc_course.models.flow import (
    INTERPOLATORS,
    RefineNet,
    backward_warp,
    blend_packed,
    classical_terms,
    flow_to_colour,
    forward_splat,
    interpolate,
    occlusion,
    optical_flow,
    pack_terms,
    visibility_weight,
)
from aigc_course.models.inference import predict

from conftest import real_data_dir_or_skip


def smooth_image(h: int = 48, w: int = 64, seed: int = 0) -> torch.Tensor:
    """A smooth random colour image (1, 3, H, W): texture that flow can follow, no aliasing."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, h // 8, w // 8, generator=g)
    return torch.nn.functional.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True).clamp(0, 1)


def pan_pair(shift: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Three frames of a camera panning ``shift`` pixels a frame to the right over a smooth image (content moves
    left): I_0, the true I_½ and I_1, each 40x48."""
    big = smooth_image(48, 48 + 2 * shift + 8, seed)
    crop = lambda dx: big[..., 4:44, 4 + dx:4 + dx + 48]
    return crop(0), crop(shift), crop(2 * shift)


def test_warping_with_zero_flow_is_the_identity_and_an_integer_flow_moves_pixels_exactly():
    img = torch.rand(2, 3, 9, 11)
    assert torch.allclose(backward_warp(img, torch.zeros(2, 2, 9, 11)), img, atol=1e-6)
    flow = torch.zeros(2, 2, 9, 11)
    flow[:, 0], flow[:, 1] = 2.0, -1.0  # read two columns to the right and one row up
    out = backward_warp(img, flow)
    assert torch.allclose(out[..., 1:, :-2], img[..., :-1, 2:], atol=1e-6)
    assert torch.allclose(out[..., 0, :-2], img[..., 0, 2:], atol=1e-6)  # above the top: the edge repeats


def test_forward_splatting_is_the_identity_at_zero_flow_and_leaves_holes_where_nothing_lands():
    img = torch.rand(1, 3, 8, 10)
    out, weight = forward_splat(img, torch.zeros(1, 2, 8, 10))
    assert torch.allclose(out, img, atol=1e-6) and torch.allclose(weight, torch.ones_like(weight))
    flow = torch.zeros(1, 2, 8, 10)
    flow[:, 0] = 3.0  # everything moves three columns right
    out, weight = forward_splat(img, flow)
    assert torch.allclose(out[..., 3:], img[..., :-3], atol=1e-6)
    assert (weight[..., :3] == 0).all()  # the first three columns: nothing landed there


def test_bad_arguments_are_refused_naming_the_allowed_values():
    img = torch.rand(1, 3, 8, 8)
    with pytest.raises(ValueError, match="method='warp' is not allowed.*repeat"):
        interpolate(img, img, 0.5, "warp")
    with pytest.raises(ValueError, match="t=1.5 is not allowed"):
        interpolate(img, img, 1.5, "blend")
    with pytest.raises(ValueError, match="does not fit images"):
        backward_warp(img, torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="method='raft' is not allowed.*farneback"):
        optical_flow(img, img, "raft")


@pytest.mark.parametrize("method", ["farneback", "dis"])
def test_opencv_flow_finds_a_known_pan_and_flow_interpolation_beats_blending(method):
    i0, it, i1 = pan_pair(shift=3)
    flow = optical_flow(i0, i1, method)
    interior = flow[..., 8:-8, 8:-8]
    assert abs(float(interior[:, 0].median()) + 6) < 0.5  # content moves 6 px left between I_0 and I_1
    assert abs(float(interior[:, 1].median())) < 0.5
    scores = {m: float(psnr(interpolate(i0, i1, 0.5, m, flow=method)[..., 8:-8], it[..., 8:-8]))
              for m in ("blend", "flow", "flow_occlusion", "splat")}
    assert min(scores["flow"], scores["flow_occlusion"], scores["splat"]) > scores["blend"] + 5, scores


def test_t_zero_and_one_return_the_input_frames():
    i0, _, i1 = pan_pair()
    for m in INTERPOLATORS:
        assert torch.allclose(interpolate(i0, i1, 0.0, m), i0, atol=1e-5), m
        assert torch.allclose(interpolate(i0, i1, 1.0, m), i1, atol=1e-5), m


def test_occlusion_is_empty_for_consistent_flow_and_marks_inconsistent_pixels():
    flow = torch.zeros(1, 2, 10, 12)
    flow[:, 0] = 2.0
    assert occlusion(flow, -flow).sum() == 0
    back = -flow.clone()
    back[..., 3:6, 3:6] = 5.0  # where the return flow disagrees, the content did not come back
    occ = occlusion(flow, back)
    assert occ[..., 3:6, 1:4].all() and occ.sum() == 9


def test_the_occlusion_aware_weight_trusts_the_frame_that_still_shows_the_content():
    leaves, appears = torch.zeros(1, 1, 2, 3), torch.zeros(1, 1, 2, 3)
    leaves[..., 0, 0] = 1.0  # content seen in I_0 only: take it from I_0
    appears[..., 0, 1] = 1.0  # content seen in I_1 only: take it from I_1
    leaves[..., 1, 0] = appears[..., 1, 0] = 1.0  # both say occluded: blend by time
    w0 = visibility_weight(leaves, appears, 0.25)
    assert torch.allclose(w0, torch.tensor([[[[1.0, 0.0, 0.75], [0.75, 0.75, 0.75]]]]))


def test_flow_colours_are_white_where_still_and_opposite_directions_differ():
    flow = torch.zeros(1, 2, 2, 2)
    flow[0, 0, 0, 1], flow[0, 0, 1, 0] = 1.0, -1.0
    rgb = flow_to_colour(flow)
    assert torch.allclose(rgb[0, :, 0, 0], torch.ones(3))
    assert (rgb[0, :, 0, 1] - rgb[0, :, 1, 0]).abs().max() > 0.5


def test_synthetic_video_is_seeded_moves_and_its_masks_cover_the_disc():
    bg, sprite = smooth_image(160, 200, 1)[0], smooth_image(80, 80, 2)[0]
    times = torch.tensor([0.0, 0.5, 1.0])
    a, ma = synthetic_video(bg, sprite, times, size=64, seed=3)
    b, _ = synthetic_video(bg, sprite, times, size=64, seed=3)
    assert torch.equal(a, b) and a.shape == (3, 3, 64, 64) and ma.shape == (3, 1, 64, 64)
    assert (a[0] - a[2]).abs().mean() > 0.01  # the camera and the disc moved
    disc_area = torch.pi * (64 / 6) ** 2
    assert all(abs(float(m.sum()) - disc_area) < 0.15 * disc_area for m in ma)  # the whole disc stays in view
    with pytest.raises(ValueError, match="too small for size=64"):
        synthetic_video(bg[:, :80], sprite, times, size=64)


def test_the_refiner_starts_exactly_at_the_classical_frame():
    i0, _, i1 = pan_pair()
    flows = (optical_flow(i0, i1), optical_flow(i1, i0))
    for aware in (False, True):
        x = pack_terms(i0, i1, classical_terms(i0, i1, *flows, 0.5, aware))
        torch.manual_seed(0)
        net = RefineNet(width=8, depth=2)
        assert torch.allclose(net(x), blend_packed(x), atol=1e-5)
        method = "flow_occlusion" if aware else "flow"
        assert torch.allclose(blend_packed(x), interpolate(i0, i1, 0.5, method, flows=flows), atol=1e-6)


def test_a_short_seeded_refiner_run_lowers_the_error_on_a_synthetic_pan():
    bg, sprite = smooth_image(160, 200, 1)[0], smooth_image(80, 80, 2)[0]
    frames = [synthetic_video(bg, sprite, torch.tensor([0.0, 0.5, 1.0]), size=48, seed=s)[0] for s in range(12)]
    v = torch.stack(frames)  # (12, 3 frames, 3, 48, 48)
    x = pack_terms(v[:, 0], v[:, 2], classical_terms(v[:, 0], v[:, 2], optical_flow(v[:, 0], v[:, 2]),
                                                     optical_flow(v[:, 2], v[:, 0]), 0.5, False))
    config = replace(ch8.REFINE["quick"], width=16, depth=3, batch_size=6)
    before = (blend_packed(x) - v[:, 1]).abs().mean()
    run = ch8.train_refiner({"x": x, "it": v[:, 1]}, config, 60, seed=0, progress=False)
    after = (predict(run.model, x) - v[:, 1]).abs().mean()
    assert after < 0.97 * before, (float(before), float(after))


def test_training_triplets_come_from_the_train_part_of_each_clip_only(monkeypatch):
    from aigc_course.data.video import Clip, split_range

    frames = torch.arange(60, dtype=torch.uint8).view(60, 1, 1, 1).expand(60, 3, 4, 4).contiguous()
    part = split_range(60, "train")
    clip = Clip("counter.mp4", frames[part.start:part.stop], 25.0, part.start)
    data = ch8.triplets([clip], gap=2)
    seen = torch.cat([data[k][0][:, 0, 0, 0] for k in ("i0", "it", "i1")]) * 255
    test_frames = set(split_range(60, "test"))
    assert not {round(float(v)) for v in seen} & test_frames
    assert torch.allclose(data["it"][0] * 255 - data["i0"][0] * 255, torch.full_like(data["it"][0], 2.0))


def test_the_exercise_checkers_pass_the_references_and_reject_the_classic_mistakes(capsys):
    ex = ch8.exercises
    for name in ("backward_warp", "blend", "occlusion"):
        assert ex.check(name, ex[name].reference)
    import torch.nn.functional as F

    def warp_minus(image, flow):  # subtracting the flow: the classic sign error
        return backward_warp(image, -flow)

    def warp_yx(image, flow):  # x and y swapped
        return backward_warp(image, flow.flip(1))

    def warp_corners(image, flow):  # align_corners=False with the align_corners=True normalisation
        n, _, h, w = image.shape
        ys, xs = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(), indexing="ij")
        grid = torch.stack([2 * (xs + flow[:, 0]) / (w - 1) - 1, 2 * (ys + flow[:, 1]) / (h - 1) - 1], -1)
        return F.grid_sample(image, grid, padding_mode="border", align_corners=False)

    for wrong in (warp_minus, warp_yx, warp_corners):
        assert not ex.check("backward_warp", wrong)
    assert not ex.check("blend", lambda i0, i1, t: t * i0 + (1 - t) * i1)
    assert not ex.check("occlusion", lambda fab, fba: ((fab + fba).square().sum(1, keepdim=True) > 0.5).float())
    assert "hint" in capsys.readouterr().out


def test_packed_triplets_refuse_a_crop_larger_than_the_frames():
    from aigc_course.data.video import Clip

    clip = Clip("small.mp4", torch.zeros(12, 3, 40, 50, dtype=torch.uint8), 25.0, 0)
    with pytest.raises(ValueError, match="crop size=96 is larger than frames of 40x50"):
        ch8.packed_triplets([clip], ch8.REFINE["quick"])


def test_the_shipped_refiner_loads_into_todays_network_and_beats_the_flow_it_starts_from():
    from aigc_course.data.video import load_clips
    from aigc_course.recipes import load_trained

    data_dir = real_data_dir_or_skip("video")
    net, record = load_trained("vfi-refine")
    assert record["recipe"] == "vfi-refine" and record["steps"] == ch8.SHIPPED_REFINE_STEPS
    assert record["config"]["recipe"] == ch8.REFINE["quick"].record()
    cfg = ch8.REFINE["quick"]
    clips = load_clips("test", data_dir, max_side=cfg.side, names=("vtest.avi",), verbose=False)
    scores = ch8.evaluate(ch8.triplets(clips, cfg.gap, stride=4), cfg.flow, refiner=net)
    gain = scores["refine"]["psnr"] - scores["flow"]["psnr"]
    assert gain.mean() > 0.2 and (gain > 0).float().mean() > 0.6, (float(gain.mean()), gain.tolist())


def test_the_quick_bar_fails_on_each_missed_point():
    good = {"psnr_refine": 30.2, "psnr_farneback": 28.7, "psnr_dis": 29.8, "psnr_blend": 27.8,
            "refine_gain_interval": [0.2, 0.6], "psnr_synthetic_x8": {"blend": 21.0, "flow": 24.0}}
    assert ch8.meets(good, ch8.QUICK_BAR)
    for change in ({"psnr_refine": 30.0}, {"psnr_dis": 30.0}, {"refine_gain_interval": [-0.1, 1.1]},
                   {"psnr_blend": 30.5}, {"psnr_synthetic_x8": {"blend": 23.5, "flow": 24.0}}):
        assert not ch8.meets({**good, **change}, ch8.QUICK_BAR), change


def test_the_full_mode_configuration_trains_for_two_steps_on_real_frames():
    from aigc_course.data.video import load_clips

    data_dir = real_data_dir_or_skip("video")
    cfg = ch8.REFINE["full"]
    clips = load_clips("train", data_dir, max_frames=30, max_side=cfg.side, names=("vtest.avi",), verbose=False)
    data = ch8.packed_triplets(clips, cfg)
    assert data["x"].shape[1:] == (17, cfg.size, cfg.size) and len(data["x"]) >= cfg.batch_size
    run = ch8.train_refiner(data, cfg, 2, progress=False)
    assert run.steps == 2 and torch.isfinite(run.model(data["x"][:2])).all()
