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
# # Chapter 0 — Set-up: your machine, your data, and how this course runs
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/aigc-course/aigc-course/blob/main/notebooks/00_setup.ipynb)
#
# **What you will learn**
#
# - how to check that PyTorch and the course package work, and which device (CPU, CUDA GPU, Apple MPS) you train on;
# - what *quick* and *full* mode mean, and how to switch between them;
# - which real datasets this machine has, and what the course uses when it is offline;
# - why the course keeps small datasets as one tensor on the device instead of using a `DataLoader`, measured.

# %% tags=["parameters"]
QUICK = "auto"  # "auto": quick on a CPU, full on a GPU; or True / False
SEED = 0  # seeds Python, NumPy and PyTorch
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "mps"
DATA_DIR = None  # None: $DATA_DIR if set, else the repository's data/ folder
DATASET = "mnist"  # "mnist" | "fashion-mnist" | "cifar10"
BATCH_SIZE = 64  # images in the batch we look at

# %%
# Colab set-up: installs the course package when running inside Google Colab; does nothing elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "aigc-course @ git+https://github.com/aigc-course/aigc-course"], check=True)

# %% [markdown]
# ## 1. Check the parameters, pick a device, seed everything
#
# Every chapter starts the same way. `aigc_course.setup` checks the parameters above (a typo such as
# `DEVICE="gpu"` stops here with a message listing the allowed values, before any work), picks the
# device — a CUDA GPU if there is one, else Apple's MPS, else the CPU — and seeds every random number
# generator from `SEED`, so that a rerun gives the same numbers.

# %%
import time

import matplotlib.pyplot as plt
import torch

import aigc_course
from aigc_course import tables, viz
from aigc_course.data import DATASETS, available_datasets, load_dataset

aigc_course.check_choice("DATASET", DATASET, DATASETS)
aigc_course.check_int("BATCH_SIZE", BATCH_SIZE)
cfg = aigc_course.setup(QUICK=QUICK, SEED=SEED, DEVICE=DEVICE, DATA_DIR=DATA_DIR)

# %% [markdown]
# The package checks bad values for you. Here is what a learner who typed `DEVICE="gpu"` sees:

# %%
try:
    aigc_course.setup(DEVICE="gpu")
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## 2. The environment
#
# The versions below are the ones this notebook ran with. CI pins PyTorch 2.14.1 and torchvision
# 0.29.1 (`constraints.txt`); any recent PyTorch works for learning.

# %%
for name, version in aigc_course.package_versions().items():
    print(f"{name:>12}  {version}")
hw = aigc_course.hardware()
print(f"\nmachine: {hw['platform']}, {hw['cpu_count']} CPU cores, PyTorch uses {hw['torch_threads']} threads")
print(f"training device: {cfg.device}" + (f" ({hw['gpu']})" if "gpu" in hw else ""))

# %% [markdown]
# ## 3. Quick mode and full mode
#
# Each chapter trains real models. Two budgets are built in, both counted in **training steps**
# (never in seconds, so results reproduce on a busy machine):
#
# | mode | for | budget |
# |---|---|---|
# | quick | a laptop CPU, CI, a first read | each notebook runs top to bottom in a few minutes and still shows a real result: recognisable digits, a real PSNR gain |
# | full | a GPU (Colab's free GPU is enough) | the real configuration of the chapter, for the numbers quoted in the text |
#
# `QUICK="auto"` picks quick mode on a CPU and full mode on a GPU. Chapters choose their budgets
# with `cfg.pick(quick_value, full_value)`:

# %%
steps = cfg.pick(800, 20_000)
print(f"this run is in {'quick' if cfg.quick else 'full'} mode: a chapter asking cfg.pick(800, 20_000) trains {steps:,} steps")

# %% [markdown]
# To run a notebook in a chosen mode from the command line, pass parameters with
# [papermill](https://papermill.readthedocs.io), exactly as CI does:
#
# ```bash
# papermill notebooks/00_setup.ipynb out.ipynb -p QUICK False -p DEVICE cuda
# ```
#
# On Colab, open a chapter with its badge, choose *Runtime → Change runtime type → GPU*, and run all cells.

# %% [markdown]
# ## 4. Which data this machine has
#
# `aigc_course.data.load_dataset` looks for each dataset in this order: torchvision's files under
# `DATA_DIR`; a torchvision download when the internet is reachable; a real offline source (the
# official MNIST test file bundled in this repository's `data/`, split into 8,000 training and 2,000
# disjoint test digits, or a real CIFAR-10 subset); otherwise
# an error that says how to get the data. It never substitutes random noise. The table below says
# what each dataset would be loaded from here, without downloading anything.

# %%
rows = available_datasets(cfg.data_dir)
for r in rows:
    print(f"{r['dataset']:>14} {r['split']:<5} {r['images']:>7,}  {r['source']}")
assert any(r["images"] > 0 for r in rows if r["dataset"] == "mnist"), "no MNIST found at all"

# %% [markdown]
# ## 5. One batch of real images
#
# Now load the training split of `DATASET` and look at one batch. The loader returns floats in
# $[-1, 1]$, the output range of the $\tanh$ that ends every generator in this course:
#
# $$x_{\text{float}} = \frac{x_{\text{uint8}}}{127.5} - 1 .$$

# %%
data = load_dataset(DATASET, "train", data_dir=cfg.data_dir)
loader = data.loader(BATCH_SIZE, device=cfg.device, seed=SEED)
x, y = next(iter(loader))
assert x.shape == (BATCH_SIZE, *data.images.shape[1:]) and x.dtype == torch.float32
assert -1.0 <= x.min() and x.max() <= 1.0
print(f"batch: {tuple(x.shape)}, values in [{x.min():.1f}, {x.max():.1f}], labels: {y[:16].tolist()} ...")
viz.show_grid(x, title=f"{BATCH_SIZE} real {DATASET} training images ({len(data):,} in all)")
plt.show()

# %% [markdown]
# A generator that learned this dataset well should produce every class about equally often, so it
# is worth knowing how balanced the real data is:

# %%
viz.class_histogram(data.labels, data.classes, title=f"classes in the {DATASET} training data")
plt.show()

# %% [markdown]
# ## 6. Why the data lives on the device as one tensor
#
# The PyTorch tutorials feed models through `DataLoader` with per-image transforms (`ToTensor`,
# `Normalize`): every image is turned into a PIL image, converted and normalised one at a time. The
# course's `TensorLoader` keeps the whole dataset as one `uint8` tensor on the training device and builds
# a batch with one indexing operation. Let us measure one pass over the same images both ways, loading only.

# %%
import dataclasses

from torch.utils.data import DataLoader
from torchvision import transforms

n_images = cfg.pick(5_000, len(data))
subset = dataclasses.replace(data, images=data.images[:n_images], labels=data.labels[:n_images])
channels = subset.images.shape[1]
tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * channels, [0.5] * channels)])


def images_per_second(batches) -> float:
    """Iterate over all batches once, moving them to the device; return images per second."""
    start, seen = time.perf_counter(), 0
    for xb, _ in batches:
        seen += xb.to(cfg.device).shape[0]
    if cfg.device.type == "cuda":
        torch.cuda.synchronize()  # GPU work is asynchronous: wait for it before reading the clock
    return seen / (time.perf_counter() - start)


speeds = {
    "DataLoader + ToTensor/Normalize": images_per_second(DataLoader(subset.as_torch_dataset(tfm), batch_size=BATCH_SIZE, shuffle=True)),
    "TensorLoader (tensor on device)": images_per_second(subset.loader(BATCH_SIZE, device=cfg.device, seed=SEED)),
}
for k, v in speeds.items():
    print(f"{k:>32}: {v:>10,.0f} images/s")
fig, ax = plt.subplots(figsize=(7, 2.5))
bars = ax.barh(list(speeds), list(speeds.values()))
ax.bar_label(bars, labels=[f"{v:,.0f}" for v in speeds.values()], padding=3)
ax.set_xscale("log")
ax.set(title=f"one pass over {n_images:,} {DATASET} images on {cfg.device.type}",
       xlabel="images per second (log scale)", xlim=(1e3, 1e8))
plt.show()

# %% [markdown]
# Both loaders give the same kind of batch, floats in $[-1, 1]$; the tensor loader is much faster at
# *loading* because it does one conversion per batch, not one per image. In a whole training step the gap
# shrinks: with two worker processes the `DataLoader` prepares batches while the model trains, so what is
# left is the share of the CPU those workers take. The committed benchmark measures exactly that for
# chapter 2's DCGAN:

# %%
step_bench = tables.load("gan_step")
r = step_bench["result"]
print(f"DCGAN training on {r['device']}, batch {r['batch_size']}: the course's engine {r['engine_img_per_s']:,.0f} images/s, "
      f"a tutorial-style loop (DataLoader, {r['reference_workers']} workers) {r['reference_img_per_s']:,.0f} images/s: "
      f"{r['ratio']:.2f}x ({step_bench['date']}, {step_bench['hardware']['cpu_count']}-core CPU)")

# %% [markdown]
# A faster whole step (the ratio above), and no worker processes that can hang a notebook: the chapters
# all use the tensor loader.
#
# ## 7. Record the results
#
# Every chapter records its key numbers in `build/results/<notebook>.json` with one call. Tests,
# benchmarks and the README read these files, so a number quoted anywhere comes from a run.

# %%
aigc_course.record_results("00_setup", {
    "device": cfg.device.type,
    "quick": cfg.quick,
    "dataset": DATASET,
    "train_images": len(data),
    "data_source": data.source,
    "dataloader_img_per_s": speeds["DataLoader + ToTensor/Normalize"],
    "tensorloader_img_per_s": speeds["TensorLoader (tensor on device)"],
})

# %% [markdown]
# ## Summary
#
# - `aigc_course.setup(...)` checks a chapter's parameters, picks and reports the device, seeds
#   everything and decides quick or full mode.
# - `load_dataset` always uses real data and tells you which source it used.
# - Small datasets are held as one tensor on the device; batches are one indexing operation away.
#
# ## Exercises
#
# Each exercise has a checker that tries your function on random inputs and tells you what went wrong
# (until you fill in the function, it reports that it is not done yet).
# `chapter.exercises.show_solution(name)` prints the reference answer when you are stuck.
#
# **Exercise 1.** Write `to_tanh_range(images)` that maps a `uint8` tensor with values 0…255 to
# `float32` values in $[-1, 1]$ (0 → −1, 255 → +1).

# %%
from aigc_course.chapters import ch00_setup as chapter


def to_tanh_range(images: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("to_tanh_range", to_tanh_range);

# %% [markdown]
# **Exercise 2.** Write `batches_per_epoch(n_images, batch_size, drop_last)`: how many batches does one
# epoch give? (With `drop_last=False` a last, smaller batch is kept.) Once it passes, compare
# `batches_per_epoch(len(data), BATCH_SIZE, False)` with `len(loader)` from section 5.

# %%
def batches_per_epoch(n_images: int, batch_size: int, drop_last: bool) -> int:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("batches_per_epoch", batches_per_epoch);

# %% [markdown]
# ## References
#
# - Y. LeCun, C. Cortes, C. J. C. Burges. *The MNIST database of handwritten digits*, 1998.
# - H. Xiao, K. Rasul, R. Vollgraf. *Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms*, arXiv:1708.07747, 2017.
# - A. Krizhevsky. *Learning Multiple Layers of Features from Tiny Images*, 2009 (CIFAR-10).
# - A. Paszke et al. *PyTorch: An Imperative Style, High-Performance Deep Learning Library*, NeurIPS 2019.
