"""Optical flow and video frame interpolation: warping, classical flows, occlusion-aware blending, a refiner.

Conventions (one for the whole chapter): frames are float (N, 3, H, W) in [0, 1]; a flow is (N, 2, H, W) in
pixels, channel 0 the x (column) and channel 1 the y (row) displacement. ``flow_ab`` maps frame ``a`` onto frame
``b``: the content at pixel p of ``a`` is at p + flow_ab(p) in ``b``, so ``backward_warp(b, flow_ab)`` rebuilds
``a`` wherever that content is visible in both.

Interpolating I_t between I_0 and I_1 (0 < t < 1) with flow, after Jiang et al. (Super SloMo, 2018), eq. 4:

1. the flows from time t to the two frames, approximated from the two computed ones (motion assumed smooth):
   F_{t→0} = −(1−t)·t·F_{0→1} + t²·F_{1→0},   F_{t→1} = (1−t)²·F_{0→1} − t·(1−t)·F_{1→0};
2. each frame warped backwards to time t: g_0 = warp(I_0, F_{t→0}), g_1 = warp(I_1, F_{t→1});
3. blended with weights (1−t)·V_0 and t·V_1, where V says whether the pixel is visible in that frame — taken
   here from forward–backward consistency: content of I_0 whose flow does not come back is not in I_1.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import check_choice, check_float, check_int

FlowMethod = Literal["farneback", "dis"]
FLOW_METHODS: tuple[str, ...] = ("farneback", "dis")
Interpolator = Literal["repeat", "blend", "flow", "flow_occlusion", "splat"]
INTERPOLATORS: tuple[str, ...] = ("repeat", "blend", "flow", "flow_occlusion", "splat")


def _check_flow(flow: torch.Tensor, image: torch.Tensor) -> None:
    if flow.dim() != 4 or flow.shape[1] != 2 or flow.shape[-2:] != image.shape[-2:] or len(flow) != len(image):
        raise ValueError(f"flow of shape {tuple(flow.shape)} does not fit images of shape {tuple(image.shape)}; "
                         "allowed: (N, 2, H, W) with the images' N, H and W")


def base_grid(h: int, w: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Pixel coordinates (1, 2, H, W): channel 0 the column x, channel 1 the row y."""
    y, x = torch.meshgrid(torch.arange(h, device=device, dtype=torch.float32),
                          torch.arange(w, device=device, dtype=torch.float32), indexing="ij")
    return torch.stack([x, y])[None]


def backward_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``image`` sampled at p + ``flow``(p) for every pixel p (bilinear, edges repeated): out(p) = image(p + flow(p)).

    ``grid_sample`` wants coordinates in [−1, 1]; with ``align_corners=True`` −1 and 1 are the centres of the first
    and last pixels, so pixel x maps to 2x/(W−1) − 1.
    """
    _check_flow(flow, image)
    n, _, h, w = image.shape
    pos = base_grid(h, w, image.device) + flow.float()  # (N, 2, H, W) where to read, in pixels
    gx = 2 * pos[:, 0] / max(w - 1, 1) - 1
    gy = 2 * pos[:, 1] / max(h - 1, 1) - 1
    grid = torch.stack([gx, gy], dim=-1)  # (N, H, W, 2), x first as grid_sample expects
    return F.grid_sample(image.float(), grid, mode="bilinear", padding_mode="border", align_corners=True)


def forward_splat(image: torch.Tensor, flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``image`` pushed forward along ``flow``: each pixel p lands at p + flow(p), spread bilinearly over the four
    nearest pixels and averaged where several land (Niklaus & Liu 2020's average splatting). Returns the splatted
    image and the weight that landed on each pixel (0: a hole nothing moved into)."""
    _check_flow(flow, image)
    n, c, h, w = image.shape
    pos = base_grid(h, w, image.device) + flow.float()
    x0, y0 = pos[:, 0].floor(), pos[:, 1].floor()
    out = image.new_zeros(n, c + 1, h * w)  # the colours times their weight, then the weight
    src = torch.cat([image.float(), image.new_ones(n, 1, h, w)], 1).flatten(2)
    for dx in (0, 1):
        for dy in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - (pos[:, 0] - xi).abs()) * (1 - (pos[:, 1] - yi).abs())  # bilinear weight, (N, H, W)
            ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h) & (wgt > 0)
            idx = (yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).long().flatten(1)  # (N, HW) target pixel
            contrib = src * (wgt * ok).flatten(1)[:, None]
            out.scatter_add_(2, idx[:, None].expand(-1, c + 1, -1), contrib)
    out = out.view(n, c + 1, h, w)
    weight = out[:, c:]
    return out[:, :c] / weight.clamp_min(1e-6), weight


def _grey_u8(frames: torch.Tensor) -> np.ndarray:
    x = frames.float()
    if x.max() > 1.5:  # uint8 values
        x = x / 255
    grey = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    return (grey * 255).round().clamp(0, 255).to(torch.uint8).cpu().numpy()


def optical_flow(a: torch.Tensor, b: torch.Tensor, method: FlowMethod = "farneback") -> torch.Tensor:
    """Dense flow (N, 2, H, W) from frames ``a`` to frames ``b`` (N, 3, H, W; uint8 or [0, 1]) with OpenCV:
    Farnebäck's polynomial expansion (2003) or DIS, dense inverse search (Kroeger et al. 2016)."""
    import cv2

    check_choice("method", method, FLOW_METHODS)
    if a.shape != b.shape or a.dim() != 4:
        raise ValueError(f"frames of shapes {tuple(a.shape)} and {tuple(b.shape)}; "
                         "allowed: two (N, 3, H, W) stacks of one shape")
    ga, gb = _grey_u8(a), _grey_u8(b)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM) if method == "dis" else None
    flows = []
    for fa, fb in zip(ga, gb):
        if dis is not None:
            f = dis.calc(fa, fb, None)
        else:  # OpenCV's tutorial parameters: 3 levels, 15-pixel window, 3 iterations, degree-5 polynomials
            f = cv2.calcOpticalFlowFarneback(fa, fb, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        flows.append(torch.from_numpy(f).permute(2, 0, 1))
    return torch.stack(flows).to(a.device)


def occlusion(flow_ab: torch.Tensor, flow_ba: torch.Tensor, alpha: float = 0.01, beta: float = 0.5) -> torch.Tensor:
    """1 where content of frame a has no match in frame b, by forward–backward consistency (Sundaram et al. 2010):
    following flow_ab and then flow_ba should come back, |F_ab + F_ba(p + F_ab)|² ≤ α(|F_ab|² + |F_ba(·)|²) + β."""
    back = backward_warp(flow_ba, flow_ab)  # F_ba read where p's content went
    err = (flow_ab + back).square().sum(1, keepdim=True)
    bound = alpha * (flow_ab.square().sum(1, keepdim=True) + back.square().sum(1, keepdim=True)) + beta
    return (err > bound).float()


def intermediate_flows(flow_01: torch.Tensor, flow_10: torch.Tensor, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """F_{t→0} and F_{t→1} from the two frame flows (Super SloMo, eq. 4)."""
    f_t0 = -(1 - t) * t * flow_01 + t * t * flow_10
    f_t1 = (1 - t) * (1 - t) * flow_01 - t * (1 - t) * flow_10
    return f_t0, f_t1


def visibility_weight(leaves: torch.Tensor, appears: torch.Tensor, t: float) -> torch.Tensor:
    """Frame 0's weight in the blend at time t, given where (at time t) the content leaves between the frames
    (seen in I_0 only) and where it appears (seen in I_1 only), each in [0, 1]: (1−t)·V_0 / ((1−t)·V_0 + t·V_1)
    with V_0 = 1 − appears and V_1 = 1 − leaves; the blend by time where both say occluded."""
    a, b = (1 - t) * (1 - appears), t * (1 - leaves)
    return torch.where(a + b > 1e-3, a / (a + b).clamp_min(1e-3), torch.full_like(a, 1 - t))


def classical_terms(i0: torch.Tensor, i1: torch.Tensor, flow_01: torch.Tensor, flow_10: torch.Tensor, t: float,
                    occlusion_aware: bool = False) -> dict[str, torch.Tensor]:
    """Everything the flow interpolator computes at time ``t``: the intermediate flows, the two warped frames and
    the weight of frame 0 in the blend (``w0``; frame 1 gets 1 − w0). Without occlusion reasoning w0 = 1 − t;
    with it, content that leaves between the frames (occluded in I_1) comes from I_0 only, and content that
    appears (occluded in I_0) from I_1 only."""
    f_t0, f_t1 = intermediate_flows(flow_01, flow_10, t)
    g0, g1 = backward_warp(i0, f_t0), backward_warp(i1, f_t1)
    if occlusion_aware:
        leaves = backward_warp(occlusion(flow_01, flow_10), f_t0)  # at time t, read from I_0's occlusion map
        appears = backward_warp(occlusion(flow_10, flow_01), f_t1)
        w0 = visibility_weight(leaves, appears, t)
    else:
        w0 = torch.full_like(g0[:, :1], 1 - t)
    return {"f_t0": f_t0, "f_t1": f_t1, "g0": g0, "g1": g1, "w0": w0}


def interpolate(i0: torch.Tensor, i1: torch.Tensor, t: float = 0.5, method: Interpolator = "flow",
                flow: FlowMethod = "farneback", flows: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """The frame at time ``t`` between ``i0`` and ``i1`` (N, 3, H, W in [0, 1]) by a classical ``method``:

    - ``repeat``: the nearer frame (what a player does without interpolation);
    - ``blend``: (1 − t)·I_0 + t·I_1, a cross-fade: ghosts wherever something moves;
    - ``flow``: both frames warped to t with ``flow``'s optical flow and blended by time;
    - ``flow_occlusion``: the same, with forward–backward occlusion reasoning deciding which frame to trust;
    - ``splat``: both frames pushed forward to t (forward splatting), holes filled from the other frame.

    ``flows`` = (F_{0→1}, F_{1→0}) reuses flows already computed.
    """
    check_choice("method", method, INTERPOLATORS)
    t = check_float("t", t, minimum=0.0, inclusive=True)
    if t > 1:
        raise ValueError(f"t={t!r} is not allowed; allowed: 0 <= t <= 1")
    i0, i1 = i0.float(), i1.float()
    if method == "repeat":
        return i0.clone() if t <= 0.5 else i1.clone()
    if method == "blend":
        return (1 - t) * i0 + t * i1
    flow_01, flow_10 = flows if flows is not None else (optical_flow(i0, i1, flow), optical_flow(i1, i0, flow))
    if method == "splat":
        s0, m0 = forward_splat(i0, t * flow_01)
        s1, m1 = forward_splat(i1, (1 - t) * flow_10)
        w0, w1 = (1 - t) * m0.clamp(max=1), t * m1.clamp(max=1)
        fallback = (1 - t) * i0 + t * i1
        total = w0 + w1
        return torch.where(total > 1e-3, (w0 * s0 + w1 * s1) / total.clamp_min(1e-3), fallback)
    terms = classical_terms(i0, i1, flow_01, flow_10, t, occlusion_aware=method == "flow_occlusion")
    return terms["w0"] * terms["g0"] + (1 - terms["w0"]) * terms["g1"]


def scene_cuts(frames: torch.Tensor, threshold: float = 0.2, bins: int = 32) -> torch.Tensor:
    """(T − 1,) bool: whether a cut separates frames i and i+1 of ``frames`` (T, 3, H, W in [0, 1]), by the
    distance between their grey-level histograms (half the L1 distance, 0 to 1). Motion moves pixels but keeps
    the histogram; a cut to another shot changes it. On the course's clips at 256 pixels, consecutive frames of
    one shot differ by at most 0.12 and different clips by at least 0.23 (carphone's two versions, one scene, 0.11),
    hence 0.2."""
    threshold = check_float("threshold", threshold)
    grey = (0.299 * frames[:, 0] + 0.587 * frames[:, 1] + 0.114 * frames[:, 2]).flatten(1)
    hist = torch.stack([torch.histc(g, bins=check_int("bins", bins), min=0, max=1) for g in grey])
    hist = hist / hist.sum(1, keepdim=True)
    return (hist[1:] - hist[:-1]).abs().sum(1) / 2 > threshold


def slow_motion(frames: torch.Tensor, factor: int, method: Interpolator = "flow", flow: FlowMethod = "farneback",
                cut_threshold: float = 0.2) -> torch.Tensor:
    """``frames`` (T, 3, H, W in [0, 1]) with ``factor`` − 1 frames interpolated between each pair, at
    t = k/``factor``: (factor·(T − 1) + 1) frames. Across a scene cut (:func:`scene_cuts`) nothing is interpolated
    (an in-between of two shots is neither); the earlier frame is held instead."""
    factor = check_int("factor", factor, minimum=2)
    check_choice("method", method, INTERPOLATORS)
    cuts = scene_cuts(frames, cut_threshold)
    out = [frames[:1].float()]
    for i in range(len(frames) - 1):
        i0, i1 = frames[i:i + 1].float(), frames[i + 1:i + 2].float()
        flows = None if cuts[i] or method in ("repeat", "blend") else (optical_flow(i0, i1, flow),
                                                                        optical_flow(i1, i0, flow))
        for k in range(1, factor):
            out.append(i0 if cuts[i] else interpolate(i0, i1, k / factor, method, flow=flow, flows=flows).clamp(0, 1))
        out.append(i1)
    return torch.cat(out)


def write_video(frames: torch.Tensor, path: str | Path, fps: float) -> Path:
    """Write ``frames`` (T, 3, H, W in [0, 1]) as an H.264 MP4 (the ffmpeg binary that imageio-ffmpeg ships;
    sides padded to even numbers, as yuv420p requires) or, for a ``.gif`` path, an animated GIF (Pillow)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = [(f.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy() for f in frames]
    if path.suffix.lower() == ".gif":
        from PIL import Image

        images = [Image.fromarray(a) for a in arrays]
        images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
        return path
    check_choice("suffix", path.suffix.lower(), (".mp4", ".gif"))
    import imageio_ffmpeg

    h, w = arrays[0].shape[:2]
    pad = lambda a: np.pad(a, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    writer = imageio_ffmpeg.write_frames(str(path), (w + w % 2, h + h % 2), fps=fps, macro_block_size=1,
                                         quality=8, pix_fmt_out="yuv420p")
    writer.send(None)  # start the encoder
    for a in arrays:
        writer.send(np.ascontiguousarray(pad(a)))
    writer.close()
    return path


def flow_to_colour(flow: torch.Tensor, max_norm: float | None = None) -> torch.Tensor:
    """The flow colour wheel (Baker et al. 2011): hue is the direction, saturation the speed (white: still).
    Returns (N, 3, H, W) in [0, 1]; ``max_norm`` is the speed shown fully saturated (default: the largest)."""
    import matplotlib.colors as mcolors

    u, v = flow[:, 0].float(), flow[:, 1].float()
    speed = torch.sqrt(u * u + v * v)
    top = float(speed.max()) if max_norm is None else check_float("max_norm", max_norm)
    hue = (torch.atan2(-v, -u) / np.pi + 1) / 2  # direction → [0, 1]
    sat = (speed / max(top, 1e-6)).clamp(0, 1)
    hsv = torch.stack([hue, sat, torch.ones_like(hue)], -1).cpu().numpy()
    return torch.from_numpy(mcolors.hsv_to_rgb(hsv)).permute(0, 3, 1, 2).float()


def pack_terms(i0: torch.Tensor, i1: torch.Tensor, terms: dict[str, torch.Tensor]) -> torch.Tensor:
    """One tensor (N, 17, H, W) a :class:`RefineNet` reads: both frames, the two warped frames, the two
    intermediate flows (pixels) and frame 0's blend weight (the outputs of :func:`classical_terms`)."""
    return torch.cat([i0.float(), i1.float(), terms["g0"], terms["g1"], terms["f_t0"], terms["f_t1"], terms["w0"]], 1)


def blend_packed(x: torch.Tensor) -> torch.Tensor:
    """The classical frame of a packed input (:func:`pack_terms`): w0·g0 + (1 − w0)·g1."""
    w0 = x[:, 16:17]
    return w0 * x[:, 6:9] + (1 - w0) * x[:, 9:12]


class RefineNet(nn.Module):
    """A learned correction of classical flow interpolation, computed at 1/``scale`` resolution.

    Input: a packed tensor (:func:`pack_terms`) of both frames, the two warped frames, the two intermediate flows
    (divided by 20 inside, to order one) and the classical blend weight. Output, upsampled to full size:
    corrections to the two flows, to the blend weight's logit, and a residual added to the blend. The last
    convolution starts at zero, so before training the network returns the classical frame exactly (tested) and
    any gain is learned.
    """

    def __init__(self, width: int = 32, depth: int = 4, scale: int = 2) -> None:
        super().__init__()
        self.in_channels = 17  # the packed input's channels (a discriminator reading the input needs it)
        self.scale = check_int("scale", scale)
        width, depth = check_int("width", width), check_int("depth", depth)
        layers: list[nn.Module] = [nn.Conv2d(17, width, 3, padding=1), nn.PReLU(width)]
        for i in range(depth - 1):  # dilations 1, 2, 4, 1, ...: a wide view at little cost
            d = 2 ** (i % 3)
            layers += [nn.Conv2d(width, width, 3, padding=d, dilation=d), nn.PReLU(width)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(width, 2 + 2 + 1 + 3, 3, padding=1)  # Δf_t0, Δf_t1, Δlogit, residual
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The frame at time t (N, 3, H, W) from a packed input (N, 17, H, W)."""
        i0, i1, f_t0, f_t1, w0 = x[:, 0:3], x[:, 3:6], x[:, 12:14], x[:, 14:16], x[:, 16:17]
        h, w = x.shape[-2:]
        feats = torch.cat([x[:, :12], x[:, 12:16] / 20, w0], 1)
        if self.scale > 1:  # (N, 17, H, W) => (N, 17, H/s, W/s)
            feats = F.interpolate(feats, scale_factor=1 / self.scale, mode="bilinear", align_corners=False)
        out = self.head(self.body(feats))  # (N, 8, H/s, W/s)
        if self.scale > 1:  # => (N, 8, H, W)
            out = F.interpolate(out, size=(h, w), mode="bilinear", align_corners=False)
        g0 = backward_warp(i0, f_t0 + 20 * out[:, 0:2])
        g1 = backward_warp(i1, f_t1 + 20 * out[:, 2:4])
        logit = torch.logit(w0.clamp(1e-4, 1 - 1e-4))  # the weight moves on the logit scale, from w0 exactly
        w = (w0 + torch.sigmoid(logit + out[:, 4:5]) - torch.sigmoid(logit)).clamp(0, 1)
        return w * g0 + (1 - w) * g1 + out[:, 5:8]
