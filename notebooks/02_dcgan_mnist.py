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
# # Chapter 2 — DCGAN on MNIST, measured: from the textbook recipe to a better generator
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/aigc-course/aigc-course/blob/main/notebooks/02_dcgan_mnist.ipynb)
#
# **What you will learn**
#
# - the DCGAN architecture (Radford, Metz & Chintala 2015), read from its source with a shape walk-through;
# - how to train it correctly, and what healthy loss and $D(x)$ / $D(G(z))$ curves look like;
# - how to judge samples with numbers instead of eyes: an independent classifier's confident rate and
#   class coverage, FID and KID next to their real-data floors, and a check for memorisation;
# - how to judge the judge: a plainly trained classifier calls noise a digit, and what fixes it;
# - linear vs spherical latent interpolation, and what the truncation trick does to this generator;
# - which changes to the textbook recipe actually buy quality at a fixed budget — an ablation table over three
#   seeds measured by `benchmarks/dcgan_ablation.py`: one more generator stage matters most, then the learning rate;
# - how long the chapter's model needs to reach 80 % confident digits, measured by `benchmarks/dcgan_progress.py`;
# - why an unconditional generator draws digits *between* digits, and how giving it the label
#   (class-conditional GAN, projection discriminator) takes it past 90 % confident digits at the same budget.
#
# The source articles' DCGAN code builds `netG = Discriminator()`, steps both optimizers after one
# mixed backward pass, and saves images from a batch variable that is never defined. Every one of those
# lines is wrong; the engine of chapter 1 does each step right and we only choose models and settings.

# %% tags=["parameters"]
QUICK = "auto"  # "auto": quick on a CPU, full on a GPU; or True / False
SEED = 0  # seeds Python, NumPy and PyTorch
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "mps"
DATA_DIR = None  # folder with torchvision's MNIST files; None: $DATA_DIR, else the bundled file's disjoint splits
STEPS = None  # generator steps of the chapter's model; None: 3000 (quick) or 20000 (full)
N_EVAL = None  # generated samples scored by the metrics; None: 5000 (quick) or 10000 (full)
LIVE_ROWS = None  # ablation rows re-trained live; None: the conditional row (quick) or all rows (full)
LIVE_STEPS = None  # steps of each live row; None: 1000 (quick) or the ablation's 4000 (full)

# %%
# Colab set-up: installs the course package when running inside Google Colab; does nothing elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "aigc-course @ git+https://github.com/aigc-course/aigc-course"], check=True)

# %%
import inspect

import matplotlib.pyplot as plt
import torch
from IPython.display import Image, Markdown, display

import aigc_course
from aigc_course import tables, viz
from aigc_course.chapters import ch02_dcgan_mnist as chapter
from aigc_course.data import load_dataset, to_unit_range
from aigc_course.latent import interpolate, truncated_noise
from aigc_course.metrics import classifier_record, eval_size, kid, load_classifier, predict_probs, score_samples, torn_between_two
from aigc_course.metrics.judge import TRAINED_OUTLIERS, held_out_checks, judge_checks, judge_report
from aigc_course.metrics.memorization import memorization_report
from aigc_course.models import Discriminator, Generator
from aigc_course.train import sample, sample_labels
from aigc_course.train.dcgan import save_generator, train_config

cfg = aigc_course.setup(QUICK=QUICK, SEED=SEED, DEVICE=DEVICE, DATA_DIR=DATA_DIR)
TABLE = chapter.ABLATION
STEPS = cfg.budget("STEPS", STEPS, chapter.BUDGETS)
N_EVAL = cfg.budget("N_EVAL", N_EVAL, chapter.BUDGETS)
LIVE_ROWS = list(LIVE_ROWS) if LIVE_ROWS is not None else cfg.pick(chapter.LIVE_ROWS.quick, chapter.LIVE_ROWS.full)
for row in LIVE_ROWS:
    aigc_course.check_choice("LIVE_ROWS", row, TABLE.rows)
LIVE_STEPS = cfg.budget("LIVE_STEPS", LIVE_STEPS, chapter.BUDGETS)
FIGURES = aigc_course.figures_dir()  # build/figures: beside the repository, or beside this notebook
results: dict = {"quick": cfg.quick, "steps": STEPS}

# %% [markdown]
# ## 1. The DCGAN architecture
#
# Radford et al. turned the unstable GANs of 2014 into a recipe that trains: **strided (transposed)
# convolutions instead of pooling**, **batch norm** in both networks (except the generator's output
# and the discriminator's input), **ReLU** in the generator with a **tanh** output, **LeakyReLU(0.2)** in
# the discriminator, weights drawn from $\mathcal N(0, 0.02)$, Adam with learning rate $2\cdot10^{-4}$ and
# $\beta_1 = 0.5$. Our generator, read top to bottom:

# %%
print(inspect.getsource(Generator.__init__))

# %% [markdown]
# A shape walk-through. The textbook model for 28×28 digits starts from a 7×7 map (28 = 7·2²) and doubles it
# twice; the chapter's model (section 3 says why) pads the digits to 32×32 inside the networks, so 32 = 4·2³ gives
# one more stage, 4→8→16→32, as in the CIFAR-10 model of chapter 3. Its generator draws 32×32 and returns the
# centre 28×28; its discriminator pads what it is given with black (−1) back to 32×32 — so the data, the judge and
# later chapters still see 28×28 digits, and the border pixels are never a way to tell real from fake.

# %%
CONFIG = TABLE.config()
walks = {"textbook (28×28)": chapter.shape_walk(TABLE.config("textbook")),
         f"chapter's model ({TABLE.chapter})": chapter.shape_walk(CONFIG)}
for title, walk in walks.items():
    print(f"{title}:")
    for name, shape in walk:
        print(f"  {name:<26} {shape}")
G_demo, D_demo = CONFIG.build(1, 28)
for n in (1, 7, 64):  # every batch size gives an image per noise vector and a logit per image
    assert G_demo(torch.randn(n, 100)).shape == (n, 1, 28, 28)
    assert D_demo(G_demo(torch.randn(n, 100))).shape == (n,)
print(f"chapter's model: G {sum(p.numel() for p in G_demo.parameters()):,} parameters, "
      f"D {sum(p.numel() for p in D_demo.parameters()):,} parameters")

# %% [markdown]
# ## 2. The data
#
# MNIST's 60,000 training digits, scaled to $[-1, 1]$ to match the tanh output. The loader keeps the
# whole dataset as one tensor on the training device and draws shuffled batches from it.

# %%
train = load_dataset("mnist", "train", data_dir=cfg.data_dir)
test = load_dataset("mnist", "test", data_dir=cfg.data_dir)
real = to_unit_range(train.images)
N_EVAL = eval_size(N_EVAL, len(real))  # the FID floor needs 2·N_EVAL real images
results["train_images"], results["data_source"], results["n_eval"] = len(train), train.source, N_EVAL
viz.show_grid(real[:64], title=f"real training digits ({len(train):,} in all)", nrow=16, value_range=(-1, 1))
plt.show()

# %% [markdown]
# ## 3. Training the chapter's model
#
# The settings come from the ablation of section 8. The model is the textbook's DCGAN made one stage deeper
# (padded to 32×32, section 1), trained with a five times larger learning rate (Adam 1e-3) and sampled from the
# exponential moving average of the generator's weights (row "pad-32-lr-1e-3-ema"). Over three seeds it has the
# highest confident rate and the lowest FID of every unconditional row, each outside all other rows' ranges;
# sections 8 and 8a say what each of its three changes buys. The live figure redraws a fixed batch of noise and
# the curves every few hundred steps.
#
# Quick mode trains 3,000 steps, a thousand fewer than the ablation: the extra stage more than doubles the
# multiply-adds per step (section 8a). The engine stores image batches and weights channels-last (NHWC), the
# layout the CPU's convolution library prefers as much as a GPU's; `benchmarks/memory_format.py` measured what
# it buys on this CPU, for this chapter's rows and for every other chapter's network:

# %%
layout = tables.load("memory_format")
for name, r in layout["rows"].items():
    print(f"{name}: {r['contiguous_img_per_s']:,.0f} images/s contiguous, {r['channels_last_img_per_s']:,.0f} "
          f"channels-last ({r['speedup']:.2f}×; {layout['torch_threads']} threads, {layout['date']})")

# %%
print(f"row {TABLE.chapter!r}: {TABLE.description(TABLE.chapter)}\n{CONFIG}")
run = train_config(CONFIG, train, STEPS, seed=SEED, device=cfg.device, sample_every=max(1, STEPS // 12),
                   n_samples=64, live=viz.LiveFigure())
results["train_seconds"] = round(run.train_seconds, 1)
print(f"{STEPS} generator steps in {run.train_seconds:.0f} s "
      f"({STEPS * CONFIG.batch_size / run.train_seconds:,.0f} real images/s)")
save_generator(run.generator, CONFIG, "02_dcgan_mnist")

# %% [markdown]
# ## 4. Reading the curves
#
# $D(x)$ is the discriminator's mean probability that a real batch is real, $D(G(z))$ the same for fakes.
# **Healthy**: both losses stay in a band without trending to 0 or exploding; $D(x)$ settles somewhat above
# $D(G(z))$ (here around 0.6–0.8 vs 0.2–0.4), and the two keep chasing each other. **Unhealthy**: the
# discriminator's loss → 0 with $D(x) \to 1$ and $D(G(z)) \to 0$ (the generator gets no signal — see the
# saturating row of section 8), or wild oscillation after a learning-rate increase. A GAN's losses do
# **not** measure sample quality; the metrics of section 6 do.

# %%
run.history.plot()
plt.show()

# %% [markdown]
# ## 5. Watching it learn: a fixed noise batch across training

# %%
gif = viz.save_animation(run.history.snapshots, FIGURES / "02_dcgan_mnist_training.gif",
                         title="fixed noise", labels=[f"step {s}" for s in run.history.snapshot_steps])
display(Image(filename=str(gif)))
viz.show_grid(run.sample(64, seed=SEED), title=f"samples after {STEPS} steps (untruncated)", nrow=8, value_range=(-1, 1))
plt.show()

# %% [markdown]
# ## 6. Judging the samples with numbers
#
# Eyes are poor judges of a thousand samples. We use an **independent MNIST classifier** shipped with the
# course (99.4 % test accuracy; trained by `python -m aigc_course.metrics.train_classifiers`):
#
# - **confident rate**: the share of samples it classifies with probability ≥ 0.9 — read next to the same
#   rate on real test digits, so an overconfident judge cannot flatter the generator;
# - **class coverage**: the share of each predicted class (uniform real data: ~10 % each) — collapse shows here;
# - **FID** (Heusel et al. 2017) on the classifier's 128-d features, next to the **floor**: the FID between two
#   halves of real data at the same N, the best a perfect generator could score (FID is biased at small N);
# - **KID** (Bińkowski et al. 2018), an unbiased kernel distance that is ~0 for equal distributions.

# %%
fake = run.sample(N_EVAL, seed=SEED + 1)
scores = score_samples(fake, real, "mnist")
clf = load_classifier("mnist")
kid_mean, kid_std = kid(real[:5000], fake[:5000], clf)  # averaged over random subsets of 500, unbiased
results.update({k: scores[k] for k in ("confident_rate", "real_confident_rate", "class_min_frac", "class_max_frac",
                                       "inception_score", "fid", "fid_floor")}, kid=kid_mean, kid_std=kid_std)
print(f"confident rate: {scores['confident_rate']:.1%} of {N_EVAL:,} samples "
      f"(real test digits: {scores['real_confident_rate']:.1%})")
print(f"classes: {scores['class_min_frac']:.1%} to {scores['class_max_frac']:.1%} of samples")
print(f"FID (classifier features): {scores['fid']:.3f}, real-vs-real floor at N = {N_EVAL:,}: {scores['fid_floor']:.3f} "
      f"({scores['fid'] / scores['fid_floor']:.0f}× the floor)")
print(f"KID: {kid_mean:.4f} ± {kid_std:.4f};  Inception-Score analogue: {scores['inception_score']:.2f} (real: ~9.6)")
print(f"the chapter's bar (≥ {chapter.QUICK_BAR['confident_rate']:.0%} confident, every class "
      f"{chapter.QUICK_BAR['class_min_frac']:.0%}–{chapter.QUICK_BAR['class_max_frac']:.0%}): "
      f"{'met' if chapter.meets(scores, chapter.QUICK_BAR) else 'NOT met'} at {STEPS:,} steps; the goal "
      f"(≥ {chapter.GOAL['confident_rate']:.0%}): {'met' if chapter.meets(scores, chapter.GOAL) else 'not yet'}")
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(range(10), scores["class_fractions"])
ax.axhline(0.1, color="grey", ls="--", label="uniform (real data: about 10 % each)")
ax.set(title=f"classes of {N_EVAL:,} generated digits, as the classifier sees them", xlabel="digit",
       ylabel="fraction of samples", xticks=range(10))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Judging the judge.** A confident rate is only as honest as the classifier behind it, and an ordinary
# classifier is a poor judge in two ways. It can be *fooled*: trained the plain way, this very architecture
# calls uniform noise a digit with probability 1.0, because inputs unlike any training image produce extreme
# logits — so a generator of garbage can score 100 %. And it can be *brittle*: a slight blur or a few flipped
# pixels, which no reader notices, drop its confidence, so a generator is punished for texture rather than
# for the shape of its digits.
#
# The shipped judge is trained against both (`aigc_course.metrics.judge`): small random deformations and Gaussian
# pixel noise on the digits (the classic MNIST augmentation), and **outlier exposure** (Hendrycks et al. 2019) — on
# uniform noise, smooth blobs and flat greys its training target is "I don't know", the uniform distribution.
# Below, its confident rates on real test digits, on changes of them that keep every digit readable, and on images
# that are no digit at all. Checks marked *trained on* are kinds of image its training saw (Gaussian noise, and the
# three outlier kinds): they only show that training worked. The others — blur, thicker and thinner strokes,
# salt-and-pepper, checkerboards, stripes, shuffled pixels — it never saw; they test whether it generalises. Next to
# each, the rate of the same classifier trained plainly (`benchmarks/judge_fairness.py`, committed). Quick mode
# shows the shipped judge's rates from its record (a test recomputes them on every CI run); full mode measures them
# here.

# %%
real_test = to_unit_range(test.images[:2000])
report = classifier_record("mnist")["judge_report"] if cfg.quick else judge_report(clf, real_test, seed=SEED)
fairness = tables.load("judge_fairness_mnist")
plain, reverse = fairness["rows"]["plain"], fairness["rows"]["reverse"]
held_out = held_out_checks(TRAINED_OUTLIERS)
results["judge_report"] = report
fig, axes = plt.subplots(3, 4, figsize=(14, 4.6))
for ax, (name, images) in zip(axes.flat, judge_checks(real_test, seed=SEED).items()):
    tag = "" if name == "real" or name in held_out else " [trained on]"
    viz.show_grid(images[:4], nrow=4, value_range=(-1, 1), ax=ax,
                  title=f"{name.replace('garbage_', 'NO DIGIT: ')}{tag}\n"
                        f"plain {plain['judge_report'][name]:.0%} → shipped {report[name]:.0%}")
    ax.title.set_fontsize(8.5)
fig.suptitle("confident rates of the plainly trained judge and of the shipped one (every NO DIGIT: should be low)",
             fontsize=10)
plt.tight_layout()
plt.show()
judged = ("this chapter's model" if fairness["generator_row"] == TABLE.chapter
          else f"the row {fairness['generator_row']!r}, the chapter's model when the benchmark ran")
print(f"the same {fairness['samples']:,} samples of {judged} ({fairness['generator_steps']:,} steps): "
      f"{plain['samples_confident_rate']:.1%} confident for the plain judge, "
      f"{fairness['rows']['fair']['samples_confident_rate']:.1%} for the shipped one")

# %% [markdown]
# Does outlier exposure teach "not a digit" in general, or only the kinds of non-digit it was shown? The held-out
# rows of the figure answer for the shipped judge; the benchmark also trains a **reverse** judge, the same recipe
# exposed to checkerboards and stripes only, which meets uniform noise, blobs and flat greys for the first time.
# The table lists all three judges on every kind of non-digit (`*`: that judge never saw the kind).

# %%
garbage = [name for name in report if name.startswith("garbage_")]
print(f"{'no digit':<26}{'plain':>8}{'shipped':>10}{'reverse':>10}   (* = that judge never saw this kind)")
for name in garbage:
    marks = ["*" if name in held_out else " ", "*" if name in reverse["held_out"] else " "]
    print(f"{name.removeprefix('garbage_'):<26}{plain['judge_report'][name]:>8.0%}{report[name]:>9.0%}{marks[0]}"
          f"{reverse['judge_report'][name]:>9.0%}{marks[1]}")
results["reverse_judge_held_out_max"] = max(reverse["judge_report"][n] for n in reverse["held_out"] if n in garbage)
print(f"\nthe untrained generator's image: plain {plain['untrained_confident_rate']:.0%}, shipped "
      f"{fairness['rows']['fair']['untrained_confident_rate']:.0%}, reverse {reverse['untrained_confident_rate']:.0%}")

# %% [markdown]
# What to see: each trained judge rejects the kinds it was shown and is fooled, often, by kinds it was not — the
# shipped one by checkerboards and stripes, the reverse one by noise, blobs, flats and the untrained generator's
# image. Only shuffled pixels (the same ink, no shape) fool none of them. So outlier exposure does **not** make a
# judge reject garbage in general: it protects the confident rate against the garbage it was trained on, which
# for the shipped judge is what failing generators make at this scale — noise at the start, one blob or a flat
# image after a collapse. A generator of stripes would still score well; that is why the course always shows the
# samples next to the number, and FID and coverage next to the confident rate.

# %% [markdown]
# **Coverage and FID catch what confidence misses.** The *untrained* generator draws one nearly constant
# image. The plain judge called it one digit with high confidence (the benchmark above measured
# its confident rate on it); the shipped judge does not — and in either case the class coverage (one class)
# and the FID give it away at once. Never read the confident rate alone.

# %%
torch.manual_seed(SEED)
untrained = score_samples(sample(CONFIG.build(1, 28)[0], 1000, seed=SEED + 1), real, "mnist", with_floor=False)
results["untrained"] = {k: untrained[k] for k in ("confident_rate", "class_max_frac", "fid")}
print(f"untrained generator: confident {untrained['confident_rate']:.1%} (plain judge: "
      f"{plain['untrained_confident_rate']:.1%}), largest class {untrained['class_max_frac']:.1%} "
      f"of samples, FID {untrained['fid']:.1f}")

# %% [markdown]
# **Memorisation.** A generator that copied training digits would ace every number above. For each sample we
# find its nearest training image in the classifier's feature space and compare the distances with those
# of *held-out* real digits (the test split) to the same training images (a random 10,000 of them in quick
# mode, all of them in full mode).

# %%
train_ref = real[torch.randperm(len(real), generator=torch.Generator().manual_seed(SEED))[:cfg.pick(10_000, len(real))]]
mem = memorization_report(fake[:1000], to_unit_range(test.images[:1000]), train_ref, clf)
results["memorization_ratio"] = mem["ratio"]
print(f"median distance to the nearest training digit: samples {mem['fake_median']:.2f}, "
      f"held-out real digits {mem['held_out_median']:.2f} (ratio {mem['ratio']:.2f}; ≪ 1 would mean copying)")
closest = mem["fake_distance"].argsort()[:8]
pairs = torch.cat([fake[closest], train_ref[mem["fake_index"][closest]]])
viz.show_grid(pairs, title="the 8 samples closest to the training set (top) and their nearest training digits (bottom)",
              nrow=8, value_range=(-1, 1))
plt.show()

# %% [markdown]
# ## 7. Walking the latent space
#
# Noise vectors from $\mathcal N(0, I_{100})$ have norms near $\sqrt{100} = 10$. A straight line between two of
# them dips to a norm near 7 halfway — a region the generator never saw. Spherical interpolation (slerp)
# follows the arc and keeps the norm typical.

# %%
z_ends = torch.randn(2, 100, generator=torch.Generator().manual_seed(SEED + 7))
paths = {m: interpolate(z_ends[0], z_ends[1], 10, m) for m in ("linear", "slerp")}
G_eval = run.generator.eval()
with torch.no_grad():
    rows = {f"{m} (norms {p.norm(dim=1).min():.1f}–{p.norm(dim=1).max():.1f})": G_eval(p.to(cfg.device)).cpu()
            for m, p in paths.items()}
viz.interpolation_strip(rows, "the same two noise vectors, two ways between them")
plt.show()

# %% [markdown]
# ## 8. From the textbook recipe to a better generator, measured
#
# Each row below changes **one thing** from the textbook recipe (for "improved", the batch together with
# the learning rate scaled to it) or, for the four-stage "pad-32" rows, combines the new architecture with changes
# measured alone; every row trains for the same number of generator steps on three seeds and scores 10,000
# untruncated samples per seed. `benchmarks/dcgan_ablation.py --save` wrote this table; the hardware and date are
# in the file. The last two rows (orange in the chart) change the *task*: the generator is told which digit
# to draw — section 8c explains them; their last column says how often the judge saw the digit that was asked for.

# %%
bench = tables.load("dcgan_ablation_mnist")
names = [n for n in TABLE.rows if n in bench["rows"]]  # the chapter's row order
display(Markdown(viz.ablation_table(bench, names, asked="digit")))
results["ablation"] = {name: {k: r[k] for k in ("confident_rate", "class_min_frac", "class_max_frac", "fid", "fid_floor")}
                       for name, r in bench["rows"].items()}

viz.ablation_chart(bench, names, viz.ablation_colors(TABLE, names), real_confident_rate=scores["real_confident_rate"])
plt.show()

# %% [markdown]
# One seed per row cannot rank rows that differ by a point or two. Every row was run on three seeds, and the
# textbook's range over them is the yardstick: a row is called better or worse than the textbook only when its own range (for
# a row of one seed: its value ± half the textbook's range) lies entirely outside the textbook's.

# %%
verdicts = viz.print_verdicts(bench, names, ("fid", "confident_rate"))
results["ablation_verdicts"] = verdicts

# %% [markdown]
# How to read it (the committed measurement; a sentence here ranks two rows only when their ranges over seeds do not
# overlap — the verdicts above for a row against the textbook):
#
# - **The architecture matters most.** The textbook recipe scores 52–55 % confident over three seeds (FID 9.6–10.4).
#   Padding the digits to 32×32 inside the networks, so that each gets a fourth stage ("pad-32", same learning
#   rate), lifts that to 64–67 % (FID 3.8–4.6): more than any unconditional setting of the textbook architecture.
#   Section 8a looks for the reason.
# - **The learning rate matters next.** On the textbook architecture Adam 5e-4 and 1e-3 — often called too high —
#   beat 2e-4 on FID on every seed (7.9–9.0 and 6.8–8.2), and so does batch 128 with the rate doubled ("improved":
#   7.6–8.9); among the three the table cannot choose. On four stages 1e-3 lifts pad-32 to 74–75 % (FID 1.4–1.8).
#   With a short budget faster learning wins as long as training stays stable (it did, with batch norm).
# - **The generator EMA pays off only at the higher rate.** At 2e-4 it is within the spread of the same run
#   without it, on the textbook architecture and on four stages alike. At 1e-3 on four stages it is better on
#   both numbers, ranges disjoint: 75.8–76.2 % against 73.6–75.3 %, FID 1.16–1.34 against 1.43–1.75 (an EMA row
#   and its twin score the same training run, so only the averaging differs). That row, green, is the chapter's
#   model: the best unconditional row on both numbers, outside every other unconditional row's range.
# - **Batch 128 alone, the hinge loss and width are within the textbook's spread.** Width (ngf = ndf = 64) costs
#   about 4× the multiply-adds per step for no measurable gain at equal steps.
# - **The other stabilisers do not pay off on MNIST at this budget.** TTUR and learning-rate decay slow learning
#   down (worse on both numbers, every seed); spectral norm lowers the confident rate (45 %) with FID within the
#   spread — though its rarest class (5.8 %) is the largest of the unconditional textbook-architecture rows. They
#   matter more on harder data and longer runs (chapter 3).
# - **Failures.** Without batch norm in $D$ the confident rate drops by a fifth (39–44 %) and FID rises to 11.8–12.7.
#   The saturating loss collapses on every seed: every sample is the same blob, which the shipped judge calls no
#   digit at all (0 % confident, FID 163 — note the log scale). The course's first, plainly trained judge gave
#   this row 100 %: the fooled judge of section 6.
# - **Telling the generator the digit** (orange): with Adam 1e-3 on the textbook architecture the class-conditional
#   model makes 91–94 % confident digits, 96–97 % of them the digit it was asked for, FID 1.1–1.5. The chapter's
#   unconditional model is below it on the confident rate, level on FID (the ranges overlap), and above the
#   conditional row at 2e-4 (66–72 %, FID 4.7–5.8) on both. Section 8c asks what the remaining gap is made of.

# %% [markdown]
# ## 8a. Why the architecture matters this much
#
# Every row above but the four-stage ones keeps the textbook architecture; changing it did more than any
# setting. What differs? The table below is computed from the networks themselves (`chapter.architecture`),
# beside the benchmark's numbers: the sides the generator draws, the share of its parameters in the first layer
# (the one that turns $z$ into the start map), the patch of the image each of the discriminator's last features
# sees before its final linear layer (its receptive field), and the parameters and multiply-adds per image.

# %%
why = list(dict.fromkeys(["textbook", "wide", "pad-32", "lr-1e-3", "pad-32-lr-1e-3", TABLE.chapter]))
print(f"{'row':<20}{'G draws':<16}{'G 1st layer':>12}{'D field':>9}{'G / D params':>16}{'G / D MACs':>14}"
      f"{'confident':>24}{'FID':>22}")
results["architecture"] = {name: chapter.architecture(TABLE.config(name)) for name in why}
for name, a in results["architecture"].items():
    r = bench["rows"][name]
    print(f"{name:<20}{'→'.join(map(str, a['sides'][1:])):<16}{a['first_layer_share']:>12.0%}"
          f"{a['d_field']:>6} px{a['g_params'] / 1e3:>9.0f}k / {a['d_params'] / 1e3:.0f}k"
          f"{a['g_macs'] / 1e6:>8.1f}M / {a['d_macs'] / 1e6:.1f}M"
          f"{viz.with_spread(r, 'confident_rate', '.1%'):>24}{viz.with_spread(r, 'fid', '.2f'):>22}")

# %% [markdown]
# What to see. **Size is not it**: "wide" has a discriminator almost as large as the four-stage one and more
# multiply-adds in both networks than it, yet over three seeds it is within the textbook's spread. **The schedule
# is**. The textbook generator puts nine tenths of its parameters into one linear map from $z$ to a 7×7 start map,
# and only two upsampling layers are left to shape the strokes; the four-stage generator starts from 4×4 and
# spends nearly half of its parameters in convolutions that work on the image at 8, 16 and 32 pixels. Its
# discriminator gains a stage too: each of its last features sees a 22-pixel patch, most of a digit, where the
# textbook's see 10 pixels, about one stroke. The architecture effect holds at both learning rates (pad-32 against
# textbook, pad-32-lr-1e-3 against lr-1e-3). This table says which properties differ, not which one does the
# work: separating the start map from the discriminator's field needs more rows (exercise 5).

# %% [markdown]
# ## 8b. How long until the bar? Quality against training length
#
# The chapter has two bars, both unconditional, untruncated and on the fair judge, with every class between 5 %
# and 15 % of the samples: in quick mode its model must make at least 70 % confident digits (section 6 checks it);
# the goal is 80 %. `benchmarks/dcgan_progress.py --save` follows one training run of a row for many more steps
# than the quick budget, scores 5,000 samples every 2,000 steps and reports the first that meets the goal; it also
# measures the training throughput.

# %%
progress = tables.load("dcgan_progress_mnist")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for name, r in progress["rows"].items():
    steps_axis = [p["steps"] for p in r["points"]]
    axes[0].plot(steps_axis, [p["confident_rate"] for p in r["points"]], "o-", label=name)
    axes[1].plot(steps_axis, [p["fid"] for p in r["points"]], "o-", label=name)
    reached = (f"reached at {r['bar_step']:,} steps ({r['bar_seconds']:.0f} s)" if r["bar_step"]
               else f"not reached in {steps_axis[-1]:,} steps")
    print(f"{name}: {r['images_per_second']:,} training images/s ({progress['torch_threads']} thread(s)); goal {reached}")
axes[0].axhline(progress["bar"]["confident_rate"], color="C3", ls="--", label="the chapter's goal")
axes[0].axhline(chapter.QUICK_BAR["confident_rate"], color="C3", ls=":", label="the quick-mode bar")
axes[0].axhline(scores["real_confident_rate"], color="grey", ls=":", label="real digits")
axes[0].axvline(STEPS, color="k", lw=0.8, label="this run's budget")
axes[0].set(title="confident rate vs generator steps", xlabel="generator steps", ylim=(0, 1))
axes[1].set(title="FID (classifier features) vs generator steps", xlabel="generator steps", ylim=(0, None))
axes[0].legend(fontsize=8)
axes[1].legend(fontsize=8)
fig.suptitle(f"{progress['date']}, {progress['hardware']['cpu_count']}-core CPU, {progress['samples']:,} samples per point",
             fontsize=9)
plt.tight_layout()
plt.show()
results["progress"] = {name: {"bar_step": r["bar_step"], "images_per_second": r["images_per_second"],
                              "last": r["points"][-1]} for name, r in progress["rows"].items()}

# %% [markdown]
# How to read it (the committed measurement; the printout above gives the exact numbers):
#
# - **The textbook architecture flattens early.** The textbook recipe climbs from 47 % confident digits at 2,000
#   steps to 55 % at 4,000, then gains about a point per 2,000 steps and stalls near 61 % from 12,000 steps on, its
#   rarest class below 5 % throughout. Adam 1e-3 on the same networks is ahead at every point and flattens too,
#   near 63 % (FID 5.2 at 16,000 steps).
# - **The chapter's model starts where they end**: 71 % at 2,000 steps, 76 % at 4,000 (the ablation's budget),
#   79 % from 6,000 to 12,000 steps, and 80.1 % at 16,000 (FID 0.67, every class 9–11 %): the goal, reached at the
#   last point, after about half an hour of training on one core here. That is one seed and a tenth of a point
#   above the line, so read it as "about 16,000 steps", not as a guarantee. Full mode (20,000 steps, meant for a
#   GPU) trains past it.
# - **The conditional model reaches the goal at 2,000 steps** and climbs to 96 % by 8,000 (real digits: 98 %).
#   Labels buy in 2,000 steps what the best unconditional model needs about 16,000 for. Section 8c shows why.

# %% [markdown]
# ## 8c. What the gap is made of: digits between digits
#
# Look at the samples the judge does *not* call confident. Most are not noise: they are shapes between two
# digits — a 4 that could be a 9, a 3 drifting into an 8. That is what an unconditional generator is built to
# produce. It maps one continuous Gaussian $z$ onto ten separate clusters of images, and a continuous map cannot
# jump between clusters: somewhere between the 4s and the 9s in latent space lie shapes that are neither.
# We can count them: a sample is *torn between two digits* when the judge's top class is below 0.9 but the top
# two together reach 0.9.

# %%
with torch.no_grad():
    probs, real_probs = predict_probs(clf, fake), predict_probs(clf, real_test)
torn, real_torn = torn_between_two(probs), torn_between_two(real_probs).float().mean().item()
unconfident = 1 - scores["confident_rate"]
results["ambiguity"] = {"unconfident": unconfident, "torn_between_two": torn.float().mean().item(),
                        "real_torn_between_two": real_torn}
print(f"not confident: {unconfident:.1%} of the chapter model's {len(fake):,} samples; torn between exactly two "
      f"digits: {torn.float().mean():.1%} (that is {torn.float().mean() / unconfident:.0%} of the unconfident ones); "
      f"real test digits torn: {real_torn:.1%}")
top2 = probs.topk(2, dim=1)
fig, axes = plt.subplots(2, 8, figsize=(12, 3.6))
for ax, i in zip(axes.flat, torn.nonzero().flatten()[:16].tolist()):
    (a, b), (pa, pb) = top2.indices[i].tolist(), top2.values[i].tolist()
    ax.imshow(fake[i, 0], cmap="gray", vmin=-1, vmax=1)
    ax.set_title(f"{a}: {pa:.0%} / {b}: {pb:.0%}", fontsize=9)
    ax.set_axis_off()
fig.suptitle("unconditional samples the judge is torn about, with its two best guesses")
plt.show()

# %% [markdown]
# **Telling the generator which digit to draw.** A *class-conditional* GAN (Mirza & Osindero 2014) gives the
# label $y$ to both networks. The generator reads a one-hot $y$ beside $z$, so the choice of digit is a
# discrete input and no longer has to be carved out of a continuous space. The discriminator judges the pair
# $(x, y)$ — "is this a real image *of digit y*?" — through a **projection** (Miyato & Koyama 2018): with
# $\phi(x)$ its last features summed over positions and a learned embedding $e_y$ per class,
#
# $$D(x, y) = \underbrace{w^\top \phi(x)}_{\text{real or fake?}} + \underbrace{e_y^\top \phi(x)}_{\text{does it look like } y\text{?}}$$
#
# which costs one dot product. Sampling draws $y$ uniformly (here stratified: each digit equally often) and
# $z \sim \mathcal N(0, I)$ as before, untruncated. It is the same DCGAN with two small additions:

# %%
print(inspect.getsource(Discriminator.forward))
COND_CONFIG = TABLE.config("conditional-lr-1e-3")
G_demo_c, D_demo_c = COND_CONFIG.build(1, 28)
y_demo = torch.tensor([0, 3, 5, 9])  # the digits asked for
x_demo = G_demo_c(torch.randn(4, COND_CONFIG.nz), y_demo)
assert x_demo.shape == (4, 1, 28, 28) and D_demo_c(x_demo, y_demo).shape == (4,)

# %% [markdown]
# Be clear about what changed: the conditional model solves an easier problem, $p(x \mid y)$ with the label
# given, and it needs labelled data. Its class coverage is set by the sampler, so the number that tests it is
# how often the judge sees the digit that was asked for (the table's last column). The unconditional numbers
# of sections 6 and 8b stay as they are: the printout above says how many of the unconditional model's samples
# the judge calls unconfident in this run, and how many of those are torn between two digits (real test digits:
# about 2 % torn).
# Conditioning returns in later chapters, where the "label" becomes a whole image.

# %% [markdown]
# **Re-running rows live.** Quick mode re-trains the conditional row at a shorter budget (1,000 steps, so the
# numbers are not the table's); full mode re-trains every row at the table's budget. For a conditional row the
# grid shows the digits 0–9 left to right, twice, each column asked for one digit.

# %%
live, live_generators = {}, {}
for row in LIVE_ROWS:
    description, row_config = TABLE.rows[row]
    row_run = train_config(row_config, train, LIVE_STEPS, seed=SEED, device=cfg.device, progress=False)
    live_generators[row] = row_run.generator
    asked = sample_labels(row_run.generator, 2000)  # None for an unconditional row
    live[row] = score_samples(row_run.sample(2000, seed=SEED + 1), real, "mnist", labels=asked)
    agreement = "" if asked is None else f", judge = asked digit {live[row]['label_agreement']:.1%}"
    print(f"{row:>14} ({description}), {LIVE_STEPS} steps: confident {live[row]['confident_rate']:.1%}, "
          f"FID {live[row]['fid']:.2f} (floor {live[row]['fid_floor']:.2f}){agreement}")
    viz.show_grid(row_run.sample(20 if asked is not None else 32, seed=SEED), title=f"{row}: {LIVE_STEPS} steps",
                  nrow=10 if asked is not None else 16, value_range=(-1, 1))
    plt.show()
    live[row]["train_seconds"] = row_run.train_seconds
    if asked is not None:  # chapter 10 sets the conditional GAN beside guided diffusion
        save_generator(row_run.generator, row_config, "02_dcgan_mnist_conditional")
results["live_rows"] = {k: {"steps": LIVE_STEPS, "confident_rate": v["confident_rate"], "fid": v["fid"],
                            "label_agreement": v["label_agreement"], "train_seconds": v["train_seconds"]}
                        for k, v in live.items()}

# %% [markdown]
# **Digit and style.** In the conditional model the label and the noise have separate jobs. Below, each row asks
# for one digit and each column keeps one $z$: along a row the digit stays and the handwriting changes; down a
# column the digit changes and the handwriting — slant, stroke width, size — tends to stay. After quick mode's
# 1,000 steps some rows may still drift into a neighbouring digit; full mode trains the table's 4,000.

# %%
conditional_rows = [r for r in live_generators if TABLE.config(r).n_classes]
if conditional_rows:
    G_c = live_generators[conditional_rows[-1]].eval()
    z_styles = torch.randn(8, G_c.nz, generator=torch.Generator().manual_seed(SEED)).repeat(10, 1)  # 8 z per row
    digits = torch.arange(10).repeat_interleave(8)  # row r asks for digit r
    with torch.no_grad():
        grid = G_c(z_styles.to(cfg.device), digits.to(cfg.device)).cpu()
    assert grid.shape == (80, 1, 28, 28)
    viz.show_grid(grid, title=f"{conditional_rows[-1]}, {LIVE_STEPS} steps: one digit per row, one z per column",
                  nrow=8, value_range=(-1, 1))
    plt.show()
else:
    print("LIVE_ROWS trained no conditional row; add 'conditional-lr-1e-3' to see this figure")

# %% [markdown]
# ## 9. The truncation trick: does it buy fidelity here?
#
# Sampling $z$ from a truncated normal (entries with $|z_i| > \tau$ redrawn; Brock et al. 2019) keeps the
# generator near the centre of its latent space. For BigGAN it trades diversity for fidelity. Whether it does
# for *this* generator is a measurement, reported **separately** from the untruncated numbers above:

# %%
taus = [None, 2.0, 1.0, 0.5, 0.25]
trunc = {}
with torch.no_grad():
    for tau in taus:
        z = truncated_noise(1000, CONFIG.nz, tau, seed=SEED + 3)
        imgs = torch.cat([G_eval(z[i:i + 500].to(cfg.device)).cpu() for i in range(0, 1000, 500)])
        s = score_samples(imgs, real, "mnist", with_floor=False)  # FIDs here compare τ with τ
        trunc["none" if tau is None else str(tau)] = {k: s[k] for k in ("confident_rate", "fid", "class_min_frac")}
results["truncation"] = trunc
for k, v in trunc.items():
    print(f"τ = {k:>4}: confident {v['confident_rate']:.1%}, FID {v['fid']:.2f}, rarest class {v['class_min_frac']:.1%}")
fig, ax1 = plt.subplots(figsize=(6.5, 3.8))
xs = list(trunc)
ax1.plot(xs, [v["confident_rate"] for v in trunc.values()], "o-C0", label="confident rate")
ax1.set(xlabel="truncation τ (none = plain N(0, I))", ylabel="confident rate", title="the truncation trade-off")
ax2 = ax1.twinx()
ax2.plot(xs, [v["fid"] for v in trunc.values()], "s--C3", label="FID (classifier features)")
ax2.set_ylabel("FID")
fig.legend(loc="lower center", fontsize=8, ncol=2)
plt.tight_layout()
plt.show()
fig, axes = plt.subplots(1, 3, figsize=(12, 1.9))
with torch.no_grad():
    for ax, tau in zip(axes, [None, 1.0, 0.5]):
        viz.show_grid(G_eval(truncated_noise(16, CONFIG.nz, tau, seed=SEED + 3).to(cfg.device)).cpu(), nrow=8,
                      title="no truncation" if tau is None else f"τ = {tau}", value_range=(-1, 1), ax=ax)
plt.show()

# %% [markdown]
# Here it does not (look at the samples before the numbers). Mild truncation (τ = 2) changes little; strong
# truncation makes the digits *fainter*, down to nearly empty images at τ = 0.5, so the confident rate falls
# and FID grows many-fold. The cause is batch norm at sampling time: it normalises with the running statistics
# of training, so a $z$ of smaller norm gives weaker activations all the way to the output.
# The course's first, plainly trained judge reported the opposite — about 98 % confident samples at τ = 0.5 —
# because it was confident on near-empty images: the fooled judge of section 6 once more. Whatever a
# truncated number says, report it apart from the generator's, next to the samples it came from.
#
# ## Summary
#
# - DCGAN is a handful of rules: strided convolutions, batch norm, ReLU/LeakyReLU, tanh, $\mathcal N(0, 0.02)$, Adam(2e-4, 0.5).
# - A GAN's losses are not a quality measure; an independent classifier's confident rate and coverage,
#   FID/KID next to their floors, and a memorisation check are.
# - At a fixed CPU budget the measured table, read over three seeds, says which changes matter: one more stage
#   (padding to 32×32, a 4×4 start map and a 22-pixel discriminator field) most, the learning rate (1e-3) next, and
#   the generator EMA only at that rate; batch 128 alone, width and the hinge loss are within the textbook's spread.
#   At 4,000 steps the three together take the confident rate from 52–55 % to 76 % and FID from about 10 to
#   1.2–1.3. The failure rows show what broken training looks like.
# - The chapter's model meets the quick bar (70 %) in quick mode's 3,000 steps (section 6 checks it) and the goal
#   (80 %) at about 16,000 steps on one seed (section 8b); the textbook architecture flattens near 61–63 %.
# - Many unconditional samples are digits *between* digits; a class-conditional generator (label in $G$,
#   projection in $D$) removes most of them and passes 90 % confident digits at the same budget — by solving
#   the easier, labelled problem.
# - Truncation is not free fidelity: measured here, it makes this generator's digits fainter. Report it
#   separately, next to its samples.
#
# ## Exercises
#
# **Exercise 1.** Implement spherical interpolation between the rows of `z0` and `z1` at fraction `t`.

# %%
def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("slerp", slerp);

# %% [markdown]
# **Exercise 2.** Implement the confident rate: the fraction of rows of class probabilities `probs` (N, 10)
# whose largest entry is at least 0.9, as a Python float.

# %%
def confident_rate(probs: torch.Tensor) -> float:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("confident_rate", confident_rate);

# %% [markdown]
# **Exercise 3.** Implement the torn-between-two rate of section 8c: the fraction of rows of `probs` (N, 10)
# whose largest entry is below 0.9 while the two largest together reach at least 0.9, as a Python float.

# %%
def torn_rate(probs: torch.Tensor) -> float:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("torn_rate", torn_rate);

# %% [markdown]
# **Exercise 4 (open).** Set `LIVE_ROWS = ["saturating", "no-batchnorm"]` and re-run the live rows of
# section 8c. Which curve of section 4 tells you, without looking at samples, that the saturating run is failing?
#
# **Exercise 5 (open).** Section 8a could not say whether the four-stage generator or the four-stage discriminator
# does the work. Build the two mixed pairs — `Generator(..., pad_to=32)` against the textbook `Discriminator`, and
# the reverse — predict where each lands between "lr-1e-3" and "pad-32-lr-1e-3", then train both with
# `aigc_course.train.gan.fit_gan` at Adam 1e-3 for 4,000 steps on three seeds and score them with `score_samples`.

# %%
aigc_course.record_results("02_dcgan_mnist", results);

# %% [markdown]
# ## References
#
# - A. Radford, L. Metz, S. Chintala. *Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks*. ICLR 2016.
# - I. Goodfellow et al. *Generative Adversarial Nets*. NeurIPS 2014.
# - M. Heusel et al. *GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium*. NeurIPS 2017 (TTUR, FID).
# - M. Bińkowski et al. *Demystifying MMD GANs*. ICLR 2018 (KID).
# - T. Salimans et al. *Improved Techniques for Training GANs*. NeurIPS 2016 (Inception Score).
# - T. Miyato et al. *Spectral Normalization for Generative Adversarial Networks*. ICLR 2018.
# - J. H. Lim, J. C. Ye. *Geometric GAN*. 2017 (hinge loss).
# - Y. Yazıcı et al. *The Unusual Effectiveness of Averaging in GAN Training*. ICLR 2019 (generator EMA).
# - M. Mirza, S. Osindero. *Conditional Generative Adversarial Nets*. 2014.
# - T. Miyato, M. Koyama. *cGANs with Projection Discriminator*. ICLR 2018.
# - A. Brock, J. Donahue, K. Simonyan. *Large Scale GAN Training for High Fidelity Natural Image Synthesis*. ICLR 2019 (truncation).
# - T. White. *Sampling Generative Networks*. 2016 (slerp).
# - M. J. Chong, D. Forsyth. *Effectively Unbiased FID and Inception Score and Where to Find Them*. CVPR 2020.
