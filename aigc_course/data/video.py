"""Real video for frame interpolation: clips decoded with OpenCV, split in time, cut into frame windows.

Offline the clips are the ones in ``<DATA_DIR>/video`` (see ``../shared/DATA.md``); online, any
folder of video files, or of subfolders of frame images, works the same way. Every clip gives both
splits: its first part trains and its last part tests, with a margin of frames between them that no
window touches, so a test frame is never a training frame nor its immediate neighbour
(``tests/test_data_sources.py`` checks it).
:func:`frame_windows` cuts windows of ``length`` frames ``gap`` frames apart — a triplet
(I₀, I½, I₁) is ``length=3``; longer windows give ground truth for ×4 or ×8 interpolation.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from ..runtime import check_choice, check_int, default_data_dir
from .datasets import SPLITS, DatasetNotFoundError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")  # a folder of these, sorted by name, is a clip too
TEST_FRACTION = 0.2  # the last fifth of every clip is held out
MARGIN = 10  # frames between the train and test parts that neither uses


@dataclass
class Clip:
    """Frames of one clip as uint8 (T, 3, H, W) RGB, with where they came from in the file."""

    name: str
    frames: torch.Tensor
    fps: float
    first: int  # index in the file of frames[0]


def _bgr_frames(path: Path, max_frames: int | None):
    """BGR uint8 frames of a video file (OpenCV's decoder) or of a folder of images (sorted by name); the rate."""
    import cv2

    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:max_frames]
        return (cv2.imread(str(p), cv2.IMREAD_COLOR) for p in files), 0.0
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise DatasetNotFoundError(f"cannot open video {path}")
    fps = float(cap.get(cv2.CAP_PROP_FPS)) or 0.0

    def frames():
        count = 0
        while max_frames is None or count < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            count += 1
            yield bgr
        cap.release()

    return frames(), fps


def read_frames(path: str | os.PathLike, max_frames: int | None = None, max_side: int | None = None) -> Clip:
    """Decode a video file with OpenCV, or read a folder of frame images (sorted by name; its rate is unknown, 0),
    into RGB uint8 frames (T, 3, H, W), at most ``max_frames`` of them, downscaled (area interpolation) so the
    longer side is at most ``max_side``."""
    import cv2

    path = Path(path)
    source, fps = _bgr_frames(path, max_frames)
    frames = []
    for bgr in source:
        h, w = bgr.shape[:2]
        if max_side is not None and max(h, w) > max_side:
            s = max_side / max(h, w)
            bgr = cv2.resize(bgr, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        frames.append(torch.from_numpy(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).permute(2, 0, 1))
    if not frames:
        raise DatasetNotFoundError(f"{path} has no frames that OpenCV can decode")
    if len({f.shape for f in frames}) > 1:
        raise ValueError(f"the frames of {path} differ in size; allowed: one size for every frame of a clip")
    return Clip(path.name, torch.stack(frames), fps, 0)


def split_range(n_frames: int, split: Literal["train", "test"]) -> range:
    """The frame indices of ``split`` in a clip of ``n_frames`` frames: train first, then a margin, then test."""
    check_choice("split", split, SPLITS)
    cut = n_frames - max(1, round(TEST_FRACTION * n_frames))
    return range(0, max(0, cut - MARGIN)) if split == "train" else range(cut, n_frames)


def video_files(folder: str | os.PathLike) -> list[Path]:
    """The clips in ``folder``, sorted by name: its video files, and its subfolders that hold frame images."""
    entries = []
    for p in sorted(Path(folder).iterdir()):
        if p.suffix.lower() in VIDEO_SUFFIXES or (p.is_dir() and any(q.suffix.lower() in IMAGE_SUFFIXES
                                                                     for q in p.iterdir())):
            entries.append(p)
    return entries


def load_clips(split: Literal["train", "test"] = "train", data_dir: str | os.PathLike | None = None,
               folder: str | os.PathLike | None = None, max_frames: int | None = None,
               max_side: int | None = None, names: tuple[str, ...] | None = None, verbose: bool = True) -> list[Clip]:
    """The ``split`` part of every clip in ``folder`` (default ``<data_dir>/video``), or of the files ``names``.

    ``max_frames`` limits how much of each file is decoded (the split is taken from what was read).
    """
    check_choice("split", split, SPLITS)
    folder = Path(folder) if folder is not None else Path(data_dir or default_data_dir()) / "video"
    files = video_files(folder) if folder.is_dir() else []
    if names is not None:
        for name in names:
            check_choice("clip", name, tuple(p.name for p in files))
        files = [p for p in files if p.name in names]
    if not files:
        raise DatasetNotFoundError(f"no video files in {folder}; set DATA_DIR to a folder with video/ (the course "
                                   f"machines have ../shared/datasets), or pass folder= any folder of clips")
    clips = []
    for path in files:
        clip = read_frames(path, max_frames=max_frames, max_side=max_side)
        part = split_range(len(clip.frames), split)
        if len(part):
            clips.append(Clip(clip.name, clip.frames[part.start:part.stop], clip.fps, part.start))
    if verbose:
        total = sum(len(c.frames) for c in clips)
        print(f"[data] video {split}: {total:,} frames from {len(clips)} real clips in {folder} "
              f"(the {'first' if split == 'train' else 'last'} part of each clip)")
    return clips


def frame_windows(clip: Clip, length: int = 3, gap: int = 1, stride: int | None = None) -> torch.Tensor:
    """Windows of ``length`` frames, ``gap`` frames apart, every ``stride`` frames (default: one window's span).

    Returns uint8 (N, length, 3, H, W). With ``length=3`` a window is a triplet (I₀, I_½, I₁) whose
    middle frame is the ground truth for interpolating between the outer two at this frame gap.
    """
    length, gap = check_int("length", length, minimum=2), check_int("gap", gap)
    span = (length - 1) * gap + 1
    stride = check_int("stride", stride if stride is not None else span)
    starts = range(0, len(clip.frames) - span + 1, stride)
    if not starts:
        raise ValueError(f"clip {clip.name!r} has {len(clip.frames)} frames, fewer than one window "
                         f"(length={length}, gap={gap} spans {span})")
    index = torch.tensor([[s + i * gap for i in range(length)] for s in starts])
    return clip.frames[index]


def synthetic_video(background: torch.Tensor, sprite: torch.Tensor, times: torch.Tensor, size: int = 96,
                    seed: int = 0, max_shift: float = 12.0, max_zoom: float = 0.08, max_turn: float = 4.0,
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames at ``times`` (T,) in [0, 1] of a virtual camera moving over a real photo, with a disc cut from
    another photo sliding across it: video whose ground truth exists at *any* t, occlusions included.

    ``background`` and ``sprite`` are (3, H, W) float in [0, 1]. The camera pans up to ``max_shift`` pixels, zooms by
    up to ``max_zoom`` and turns up to ``max_turn`` degrees between t = 0 and 1, linearly in t; the disc (a third of
    the frame wide) moves linearly by up to twice ``max_shift``, staying in view. Returns the frames
    (T, 3, size, size) and the disc's masks (T, 1, size, size), 1 where it covers the background.
    """
    import math

    import torch.nn.functional as F

    size = check_int("size", size)
    g = torch.Generator().manual_seed(seed)
    u = lambda: float(torch.rand(1, generator=g)) * 2 - 1  # uniform in [-1, 1]
    h, w = background.shape[-2:]
    if min(h, w) < 1.5 * size:
        raise ValueError(f"background of {h}x{w} is too small for size={size}; allowed: both sides >= 1.5 * size")
    margin = 0.75 * size + max_shift  # keeps the camera's view inside the photo
    cx = w / 2 + u() * max(0.0, w / 2 - margin)  # the camera's centre at t = 0, in photo pixels
    cy = h / 2 + u() * max(0.0, h / 2 - margin)
    pan, zoom, turn = (u() * max_shift, u() * max_shift), u() * max_zoom, math.radians(u() * max_turn)
    r = size / 6  # the disc's radius; it starts near the centre and stays in view
    reach = min(2 * max_shift, size / 2 - r - size / 8 - 1)
    start, move = (u() * size / 8, u() * size / 8), (u() * reach, u() * reach)
    sy, sx = (int(torch.randint(0, d - 2 * int(r) - 1, (1,), generator=g)) for d in sprite.shape[-2:])
    patch = sprite[:, sy:sy + 2 * int(r) + 1, sx:sx + 2 * int(r) + 1]
    frames, masks = [], []
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32) - (size - 1) / 2,
                            torch.arange(size, dtype=torch.float32) - (size - 1) / 2, indexing="ij")
    for t in times.tolist():
        scale, angle = 1 + zoom * t, turn * t
        cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
        px = cx + pan[0] * t + cos * xs - sin * ys  # where each output pixel reads the photo, in photo pixels
        py = cy + pan[1] * t + sin * xs + cos * ys
        grid = torch.stack([2 * px / (w - 1) - 1, 2 * py / (h - 1) - 1], -1)[None]
        frame = F.grid_sample(background[None].float(), grid, mode="bilinear", padding_mode="border",
                              align_corners=True)[0]
        ox, oy = start[0] + move[0] * t, start[1] + move[1] * t  # the disc's centre, relative to the frame's
        dx, dy = xs - ox, ys - oy
        mask = ((dx.square() + dy.square()).sqrt() <= r).float()[None]
        grid = torch.stack([dx / r, dy / r], -1)[None]  # the patch spans [-r, r] around the disc's centre
        disc = F.grid_sample(patch[None].float(), grid, mode="bilinear", padding_mode="border", align_corners=True)[0]
        frames.append(mask * disc + (1 - mask) * frame)
        masks.append(mask)
    return torch.stack(frames).clamp(0, 1), torch.stack(masks)
