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
# # Chapter 1 — GAN math you can see: the minimax game, its optimum, why training fails and how WGAN-GP fixes it
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/aigc-course/aigc-course/blob/main/notebooks/01_gan_math.ipynb)
#
# **What you will learn**
#
# - the value function $V(D, G)$ of a GAN, who minimises and who maximises it, and the two losses real code optimises;
# - why the best discriminator is $D^*(x) = p_{\text{data}}(x) / (p_{\text{data}}(x) + p_g(x))$ — checked by training one;
# - how the game measures the Jensen–Shannon divergence, and why that divergence stops giving gradients;
# - why code uses the *non-saturating* generator loss;
# - why simultaneous gradient play can circle or spiral instead of converging, and what mode collapse looks like;
# - how the Wasserstein distance and the gradient penalty (WGAN-GP) help, measured on the ring of 8 Gaussians;
# - five bugs that popular GAN code contains, the symptom each produces, and the fix.
#
# Every claim is backed by a computation on problems whose densities we know exactly.

# %% tags=["parameters"]
QUICK = "auto"  # "auto": quick on a CPU, full on a GPU; or True / False
SEED = 0  # seeds Python, NumPy and PyTorch
DEVICE = "auto"  # "auto" | "cpu" | "cuda" | "mps"
DATA_DIR = None  # unused: this chapter's data are toy distributions with known densities
RING_STEPS = None  # generator steps per ring-of-8 run; None: 1500 (quick) or 5000 (full)
RING_SEEDS = None  # seeds per objective on the ring; None: 2 (quick) or 5 (full)
GAN1D_STEPS = None  # steps of the 1-D GAN; None: 1500 (quick) or 4000 (full)

# %%
# Colab set-up: installs the course package when running inside Google Colab; does nothing elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "aigc-course @ git+https://github.com/aigc-course/aigc-course"], check=True)

# %%
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Image, display

import aigc_course
from aigc_course import fit_gan, tables, viz
from aigc_course.chapters import ch01_gan_math as chapter
from aigc_course.chapters.ch01_gan_math import mistakes, theory
from aigc_course.data import TensorLoader
from aigc_course.data.toy import BIMODAL, ring_of_gaussians
from aigc_course.metrics import wasserstein_1d
from aigc_course.train import d_loss, g_loss

cfg = aigc_course.setup(QUICK=QUICK, SEED=SEED, DEVICE=DEVICE, DATA_DIR=DATA_DIR)
RING_STEPS = cfg.budget("RING_STEPS", RING_STEPS, chapter.BUDGETS)
RING_SEEDS = cfg.budget("RING_SEEDS", RING_SEEDS, chapter.BUDGETS)
GAN1D_STEPS = cfg.budget("GAN1D_STEPS", GAN1D_STEPS, chapter.BUDGETS)
FIGURES = aigc_course.figures_dir()  # build/figures: beside the repository, or beside this notebook
results: dict = {"quick": cfg.quick}

# %% [markdown]
# ## 1. The value function and the two losses code optimises
#
# A generator $G$ maps noise $z \sim p_z$ to samples; a discriminator $D$ outputs the probability that
# its input is real. Goodfellow et al. (2014) define the game
#
# $$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_{\text{data}}}[\log D(x)] + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))] .$$
#
# **D maximises** $V$: it wants $D(x) \to 1$ on real data *and* $D(G(z)) \to 0$ on fakes (it does not
# "minimise the real probability", as one source article says). **G minimises** $V$; only the second
# term depends on it. In code both players *minimise* a loss, and $D$ returns a logit $\ell$ with
# $D = \sigma(\ell)$. Using $\log\sigma(\ell) = -\operatorname{softplus}(-\ell)$ and
# $\log(1-\sigma(\ell)) = -\operatorname{softplus}(\ell)$:
#
# $$\mathcal{L}_D = \mathbb{E}[\operatorname{softplus}(-\ell_{\text{real}})] + \mathbb{E}[\operatorname{softplus}(\ell_{\text{fake}})] = -V, \qquad
# \mathcal{L}_G^{\text{minimax}} = -\mathbb{E}[\operatorname{softplus}(\ell_{\text{fake}})] .$$
#
# This is binary cross-entropy *with logits*, computed stably. Here is the engine's code:

# %%
print(inspect.getsource(d_loss))

# %% [markdown]
# A numerical check that $\mathcal{L}_D = -V$ on random logits, and the two terms of $V$ as functions of
# $D$'s output — the discriminator climbs both curves towards 0:

# %%
logit_real, logit_fake = torch.randn(1000) * 3, torch.randn(1000) * 3
V = (torch.log(torch.sigmoid(logit_real)).mean() + torch.log(1 - torch.sigmoid(logit_fake)).mean()).item()
print(f"V = {V:.5f},  d_loss = {d_loss('minimax', logit_real, logit_fake).item():.5f}  (d_loss = -V)")
assert abs(d_loss("minimax", logit_real, logit_fake).item() + V) < 1e-4

d = np.linspace(0.001, 0.999, 500)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(d, np.log(d), label=r"$\log D(x)$ on real $x$ (D pushes D(x) → 1)")
ax.plot(d, np.log(1 - d), label=r"$\log(1 - D(G(z)))$ on fakes (D pushes D(G(z)) → 0)")
ax.set(title="the two terms of V(D, G), as functions of D's output", xlabel="D's output (probability 'real')",
       ylabel="contribution to V", ylim=(-5, 0.2))
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## 2. The optimal discriminator
#
# For a fixed $G$, write $V$ as one integral over $x$ (with $p_g$ the density of $G(z)$):
#
# $$V(D, G) = \int p_{\text{data}}(x) \log D(x) + p_g(x) \log(1 - D(x)) \, dx .$$
#
# For each $x$, $a \log y + b \log(1-y)$ is maximised at $y = a / (a + b)$, so
#
# $$D^*(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)} .$$
#
# Check: take a bimodal $p_{\text{data}}$ and a Gaussian $p_g$, train a discriminator on samples of both,
# and overlay its output on the formula.

# %%
P_G = (0.0, 1.5)  # mean and standard deviation of the fixed "generator" density
n = 20_000
real_1d, fake_1d = BIMODAL.sample(n, seed=SEED), P_G[0] + P_G[1] * torch.randn(n, 1, generator=torch.Generator().manual_seed(SEED + 1))
D_trained = theory.train_discriminator(real_1d, fake_1d, steps=cfg.pick(1500, 4000), seed=SEED)

x = np.linspace(-4.5, 4.5, 400)
p_data, p_g = BIMODAL.pdf(x), theory.gaussian_pdf(x, *P_G)
d_star = theory.optimal_discriminator(p_data, p_g)
with torch.no_grad():
    d_learned = torch.sigmoid(D_trained(torch.tensor(x, dtype=torch.float32).unsqueeze(1))).numpy()
where = (p_data + p_g) > 0.05  # where there are samples to learn from
dstar_err = float(np.abs(d_learned - d_star)[where].max())
results["dstar_max_abs_err"] = dstar_err

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(x, p_data, "k", lw=1, label=r"$p_{data}$ (two Gaussians)")
ax.plot(x, p_g, "grey", lw=1, ls="--", label=r"$p_g$ = N(0, 1.5²)")
ax.plot(x, d_star, "C0", lw=3, alpha=0.5, label=r"$D^*(x)$, the formula")
ax.plot(x, d_learned, "C3", lw=1.5, label="trained discriminator σ(D(x))")
ax.set(title=f"the optimal discriminator (max |learned − D*| = {dstar_err:.3f} where p_data + p_g > 0.05)",
       xlabel="x", ylabel="density / probability")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3. What the game measures: the Jensen–Shannon divergence
#
# Put $D^*$ back into $V$. With $m = (p_{\text{data}} + p_g)/2$,
#
# $$C(G) = \max_D V(D, G) = \mathbb{E}_{p_{\text{data}}}\Big[\log \frac{p_{\text{data}}}{2m}\Big] + \mathbb{E}_{p_g}\Big[\log \frac{p_g}{2m}\Big]
# = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}} \,\|\, p_g).$$
#
# So a perfectly trained discriminator turns the generator's problem into minimising the
# Jensen–Shannon divergence, whose minimum 0 is reached only at $p_g = p_{\text{data}}$, where
# $C(G) = -\log 4$. We can estimate JSD in two ways: by numerical integration of the formula, and from a
# trained discriminator as $\widehat{\mathrm{JSD}} = (V(\hat D, G) + \log 4)/2$.

# %%
grid = np.linspace(-30, 30, 60_001)
distances = np.linspace(0, 8, 33)
jsd_wide = [theory.jsd(theory.gaussian_pdf(grid, 0, 1), theory.gaussian_pdf(grid, m, 1), grid) for m in distances]
jsd_narrow = [theory.jsd(theory.gaussian_pdf(grid, 0, 0.1), theory.gaussian_pdf(grid, m, 0.1), grid) for m in distances]
estimated = []
for m in (0.5, 1.0, 2.0, 4.0):
    a = torch.randn(8000, 1, generator=torch.Generator().manual_seed(SEED))
    b = m + torch.randn(8000, 1, generator=torch.Generator().manual_seed(SEED + 1))
    D_m = theory.train_discriminator(a, b, steps=cfg.pick(600, 2000), seed=SEED)
    # V on *fresh* samples: on the samples D was fitted to, a flexible D can overshoot the true maximum C(G)
    a_new = torch.randn(8000, 1, generator=torch.Generator().manual_seed(SEED + 2))
    b_new = m + torch.randn(8000, 1, generator=torch.Generator().manual_seed(SEED + 3))
    v = theory.value_function(D_m, a_new, b_new)
    estimated.append((m, (v + math.log(4)) / 2))
exact_at = {m: theory.jsd(theory.gaussian_pdf(grid, 0, 1), theory.gaussian_pdf(grid, m, 1), grid) for m, _ in estimated}
for m, est in estimated:
    print(f"distance {m}: JSD by integration {exact_at[m]:.4f} nats, from a trained D {est:.4f} nats")

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(distances, jsd_wide, label="JSD, two N(·, 1²), by integration")
ax.plot(distances, jsd_narrow, label="JSD, two N(·, 0.1²), by integration")
ax.plot(*zip(*estimated), "o", label=r"$(V(\hat D, G) + \log 4)/2$ from a trained D (σ = 1)")
ax.axhline(math.log(2), color="k", ls=":", label="log 2")
ax.set(title="JSD saturates at log 2 once the distributions stop overlapping", xlabel="distance between the means",
       ylabel="JSD (nats)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# For narrow distributions (σ = 0.1) the JSD is already flat at $\log 2$ when the means are 1 apart:
# moving $p_g$ a little closer changes nothing, so **the gradient with respect to the generator is
# zero**. Real images live near thin manifolds in pixel space, where this is the usual situation
# early in training (Arjovsky & Bottou 2017). The estimates use samples D did not see while it was trained:
# for any fixed D, V on fresh samples estimates $V(D, G) \le C(G) = \max_D V(D, G)$ without bias, so they can
# only fall below the integral (up to sampling noise), never overshoot it — on the training samples a
# flexible D could overfit and report more than the maximum.
#
# ## 4. Saturating vs non-saturating generator loss
#
# The minimax generator loss $\log(1 - D(G(z)))$ has derivative $-\sigma(\ell)$ with respect to the logit
# $\ell$: when $D$ confidently rejects the fakes ($D(G(z)) \approx 0$, exactly the situation early in
# training) the gradient vanishes. The *non-saturating* loss $-\log D(G(z))$ has the same fixed
# points but derivative $-(1 - \sigma(\ell))$, which is largest there. Autograd on the engine's losses:

# %%
logits = torch.linspace(-8, 8, 401, requires_grad=True)
grads = {}
for objective in ("minimax", "nonsaturating"):
    (g,) = torch.autograd.grad(g_loss(objective, logits) * len(logits), logits)  # per-sample derivative
    grads[objective] = g.abs()
d_of_fake = torch.sigmoid(logits).detach()
assert torch.allclose(grads["minimax"], d_of_fake, atol=1e-6) and torch.allclose(grads["nonsaturating"], 1 - d_of_fake, atol=1e-6)
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot(d_of_fake, grads["minimax"], label=r"saturating: $\log(1 - D(G(z)))$")
ax.plot(d_of_fake, grads["nonsaturating"], label=r"non-saturating: $-\log D(G(z))$")
ax.set(title="generator gradient with respect to D's logit", xlabel="D(G(z))", ylabel="|∂ loss / ∂ logit|")
ax.axvspan(0, 0.1, color="grey", alpha=0.15)
ax.text(0.01, 0.5, "early training:\nD rejects fakes", fontsize=8)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **The two losses do not minimise the same thing.** Against the optimal discriminator the minimax loss is
# $-\log 4 + 2\,\mathrm{JSD}$. The non-saturating loss is not: Arjovsky & Bottou (2017) show that its gradient
# against $D^*$ is the gradient of
#
# $$\mathrm{KL}(p_g \,\|\, p_{\text{data}}) - 2\,\mathrm{JSD}(p_{\text{data}} \,\|\, p_g).$$
#
# The reverse KL is large where $p_g$ puts mass and the data has none, and almost free where the data has a
# mode that $p_g$ misses. Both claims, computed on the bimodal density of section 5 with Gaussian generators:
# the derivative of the loss with $D^*$ held fixed against the derivative of that expression, and what each
# objective says about a generator that drops a mode against one that covers both.

# %%
x_grid = np.linspace(-30, 30, 120_001)
for mu, sigma in ((1.0, 1.0), (-0.5, 2.0)):
    lhs, rhs = theory.nonsaturating_gradient_check(BIMODAL.pdf, mu, sigma, x_grid)
    print(f"p_g = N({mu}, {sigma}²): d/dμ E[-log D*(x)] = {lhs:.6f}, d/dμ [KL(p_g‖p_data) - 2 JSD] = {rhs:.6f}")
candidates = {"drops a mode: N(2, 0.5²)": (2.0, 0.5), "covers both: N(0, 4.25)": (0.0, math.sqrt(4.25))}
objectives = {name: theory.generator_objectives(BIMODAL.pdf(x_grid), theory.gaussian_pdf(x_grid, m, s), x_grid)
              for name, (m, s) in candidates.items()}
results["generator_objectives"] = objectives
print(f"\n{'generator':>26} | {'minimax: 2 JSD - log 4':>22} | {'non-saturating: KL - 2 JSD':>26}")
for name, o in objectives.items():
    print(f"{name:>26} | {o['minimax']:>22.4f} | {o['nonsaturating']:>26.4f}")
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(x_grid, BIMODAL.pdf(x_grid), "k", label="data")
for name, (m, s) in candidates.items():
    ax.plot(x_grid, theory.gaussian_pdf(x_grid, m, s), label=name)
ax.set(xlim=(-6, 6), title="two candidate generators for the bimodal data", xlabel="x", ylabel="density")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The two derivatives agree to the printed digits. The objectives disagree about the candidates: the minimax
# objective (lower is better) prefers the Gaussian that covers both modes, the non-saturating one prefers, by
# far, the one that drops a mode. Code trains with the non-saturating loss for its gradients (above), and pays
# for them with this pull towards mode dropping — one reason GANs miss modes (section 7).

# %% [markdown]
# ## 5. A 1-D GAN learns a bimodal density
#
# Now a real GAN: a small MLP generator maps 4-D noise to a number, an MLP discriminator judges
# numbers, and the course's engine `fit_gan` trains them (non-saturating loss). Every few steps we keep
# the generator's samples and the discriminator's curve, and animate them. In JupyterLab, the controls
# below the figure re-run the experiment with another loss, learning rates or number of steps.

# %%
x_grid = torch.linspace(-5, 5, 300).unsqueeze(1)


def train_1d_gan(objective: str = "nonsaturating", lr_g: float = 1e-3, lr_d: float = 1e-3,
                 steps: int = GAN1D_STEPS, seed: int = SEED) -> dict:
    """Train the 1-D GAN; return its frames (samples, D curve) and the final Wasserstein-1 distance."""
    torch.manual_seed(seed)
    G, D = mistakes.build_networks()
    data = BIMODAL.sample(50_000, seed=seed)
    loader = TensorLoader(data, torch.zeros(len(data)), batch_size=256, device=cfg.device, seed=seed)
    frames = []

    def keep(step, history, samples):
        with torch.no_grad():
            curve = torch.sigmoid(D(x_grid.to(cfg.device))).cpu() if objective in ("minimax", "nonsaturating") else None
        frames.append((step, samples.flatten(), curve))

    run = fit_gan(G, D, loader, steps, objective=objective, lr_g=lr_g, lr_d=lr_d, betas=(0.5, 0.999),
                  n_critic=5 if objective == "wgan-gp" else 1, sample_every=max(1, steps // 20), n_samples=4000,
                  seed=seed, live=keep, progress=False)
    w1 = wasserstein_1d(run.sample(4000, seed=seed + 1), BIMODAL.sample(4000, seed=seed + 2))
    step, samples, curve = frames[-1]
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    ax.hist(samples.numpy(), bins=80, range=(-5, 5), density=True, alpha=0.5, label="generated samples")
    ax.plot(x_grid.flatten(), BIMODAL.pdf(x_grid.flatten().numpy()), "k", label=r"$p_{data}$")
    if curve is not None:
        ax.plot(x_grid.flatten(), curve.flatten(), "C3", label="D(x)")
    ax.set(title=f"1-D GAN ({objective}) after {step} steps: W1 to data = {w1:.3f}", xlabel="x", ylabel="density")
    ax.legend(fontsize=8)
    plt.show()
    return {"frames": frames, "w1": w1}


gan1d = viz.controls(train_1d_gan, defaults={"objective": "nonsaturating", "lr_g": 1e-3, "lr_d": 1e-3, "steps": GAN1D_STEPS},
                     options={"objective": ["nonsaturating", "minimax", "hinge", "wgan-gp"], "lr_g": (1e-4, 5e-3, 1e-4),
                              "lr_d": (1e-4, 5e-3, 1e-4), "steps": (200, 8000, 100)})
results["gan1d_w1"] = gan1d["w1"]

# %% [markdown]
# The animation of the default run: the generator's histogram (blue) spreads out and splits into two
# bumps; $D(x)$ (red) is high where real data outweigh fakes and low where fakes pile up, and
# flattens towards ½ as $p_g$ approaches $p_{\text{data}}$ — just as $D^*$ predicts.

# %%
def draw_1d(ax, i):
    step, samples, curve = gan1d["frames"][i]
    ax.hist(samples.numpy(), bins=80, range=(-5, 5), density=True, alpha=0.5, color="C0")
    ax.plot(x_grid.flatten(), BIMODAL.pdf(x_grid.flatten().numpy()), "k")
    ax.plot(x_grid.flatten(), curve.flatten(), "C3")
    ax.set(title=f"step {step}: samples (blue), p_data (black), D(x) (red)", xlabel="x", ylim=(0, 1.05))


display(Image(filename=viz.animate(draw_1d, len(gan1d["frames"]), FIGURES / "01_gan1d.gif", figsize=(6, 3.5))))

# %% [markdown]
# ## 6. Why gradient play need not converge
#
# A GAN is a game, not a minimisation, and gradient steps on games can fail to converge even when
# the equilibrium is unique. The simplest case is $\min_x \max_y \, x \cdot y$, whose only equilibrium is
# $(0, 0)$. *Simultaneous* steps ($x \leftarrow x - \eta y$, $y \leftarrow y + \eta x$ with the old
# values) multiply the distance from the equilibrium by $\sqrt{1 + \eta^2} > 1$ every step: they spiral
# out. *Alternating* steps (y reacts to the new x, as GAN code does) stay on a closed orbit: they
# circle forever without getting closer.

# %%
sim = theory.bilinear_game(1.0, 1.0, lr=0.1, steps=300, alternating=False)
alt = theory.bilinear_game(1.0, 1.0, lr=0.1, steps=300, alternating=True)
fig, ax = plt.subplots(figsize=(5, 5))
ax.plot(*sim.T, lw=1, label=f"simultaneous: distance {np.hypot(*sim[0]):.2f} → {np.hypot(*sim[-1]):.2f}")
ax.plot(*alt.T, lw=1, label=f"alternating: distance {np.hypot(*alt[0]):.2f} → {np.hypot(*alt[-1]):.2f}")
ax.plot(0, 0, "k*", ms=12, label="equilibrium (0, 0)")
ax.set(title="gradient play on min_x max_y x·y (η = 0.1, 300 steps)", xlabel="x (minimiser)", ylabel="y (maximiser)")
ax.set_aspect("equal")
ax.legend(fontsize=8, loc="lower left")
plt.show()
assert np.hypot(*sim[-1]) > 2 * np.hypot(*sim[0]) and abs(np.hypot(*alt[-1]) - np.hypot(*alt[0])) < 0.5

# %% [markdown]
# ## 7. Mode collapse on the ring of 8 Gaussians
#
# The classic stress test (Metz et al. 2017): eight Gaussians of standard deviation 0.02 on a circle of
# radius 2. Two numbers per run, following Srivastava et al. (2017): **modes covered** (a mode counts if
# at least 1 % of samples fall within 3σ of its centre) and the **high-quality fraction** (samples
# within 3σ of *some* centre). We train the saturating ("vanilla") GAN, the non-saturating GAN and
# WGAN-GP with the same networks, the same optimiser settings (Adam 5·10⁻⁴, β = (0.5, 0.9), generator
# EMA 0.99), the same number of generator steps and several seeds, and track both numbers during
# training. WGAN-GP takes 5 critic steps per generator step, as in its paper, with penalty weight
# λ = 1 (section 8 shows why not 10 here). The experiment lives in the package, so the tests run
# exactly this code:

# %%
from aigc_course.chapters.ch01_gan_math import ring as ring_exp

print(inspect.getsource(ring_exp.train_ring))
print("shared settings:", ring_exp.SHARED, "\nper objective:", ring_exp.OBJECTIVES)

# %%
# Tiny networks run faster on the CPU than on a GPU, so this experiment always uses the CPU: one
# single-threaded process per core this notebook may use (see `train_all`'s docstring).
ring = ring_exp.train_all(list(ring_exp.OBJECTIVES), [SEED + s for s in range(RING_SEEDS)], RING_STEPS)
print(f"{RING_STEPS} generator steps per run, seeds {SEED}..{SEED + RING_SEEDS - 1}\n")
print(f"{'objective':>14} | {'EMA generator: modes / HQ':>36} | raw last-step generator: modes / HQ")
for name, runs in ring.items():
    modes, hq = [r.final["modes_covered"] for r in runs], [round(r.final["hq_fraction"], 3) for r in runs]
    raw_modes, raw_hq = [r.raw_final["modes_covered"] for r in runs], [round(r.raw_final["hq_fraction"], 3) for r in runs]
    results.update({f"{name}_modes": modes, f"{name}_hq": hq, f"{name}_raw_modes": raw_modes, f"{name}_raw_hq": raw_hq})
    print(f"{name:>14} | {str(modes):>12} {str(hq):>23} | {raw_modes} {raw_hq}")

# %%
fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
real_pts = ring_of_gaussians(5000, std=ring_exp.RING_STD, seed=SEED + 7)
panels = [("real data", real_pts)] + [(name, runs[0].samples) for name, runs in ring.items()]
for ax, (title, pts) in zip(axes, panels):
    ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.3)
    ax.scatter(*ring_exp.CENTERS.T, marker="x", c="k", s=30)
    if title != "real data":
        st = ring[title][0].final
        title = f"{title}: {st['modes_covered']}/8 modes, {st['hq_fraction']:.0%} HQ"
    ax.set(title=title, xlim=(-2.7, 2.7), ylim=(-2.7, 2.7), xlabel="x₁", ylabel="x₂")
    ax.set_aspect("equal")
fig.suptitle(f"samples of the EMA generators after {RING_STEPS} generator steps (seed {SEED})")
fig.tight_layout()
plt.show()

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for name, runs in ring.items():
    for i, r in enumerate(runs):
        steps_ = [s for s, _ in r.raw_track]
        kw = {"color": {"vanilla": "C0", "nonsaturating": "C1", "wgangp": "C2"}[name], "alpha": 0.8,
              "label": name if i == 0 else None, "marker": "o", "ms": 3}
        axes[0].plot(steps_, [st["modes_covered"] for _, st in r.raw_track], **kw)
        axes[1].plot(steps_, [st["hq_fraction"] for _, st in r.raw_track], **kw)
axes[0].set(title="raw generator: modes covered during training (a line per seed)", xlabel="generator step",
            ylabel="modes covered (of 8)")
axes[1].set(title="raw generator: high-quality fraction", xlabel="generator step", ylabel="fraction within 3σ of a mode")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# A few seeds are not enough to rank objectives. `benchmarks/ring_modes.py` runs exactly this code on more seeds at
# the quick and the full budget (committed below). The budgets count *generator* steps, so WGAN-GP's critic gets
# five updates for every one the other discriminators get (`critic_updates`): part of what it buys is that.

# %%
rings = tables.load("ring_modes")
print(f"committed benchmark: seeds {rings['seeds']}, {rings['date']}, {rings['hardware']['processor']} CPU\n")
print(f"{'objective @ budget':>22} | {'critic updates':>14} | {'EMA: modes per seed':>22} {'HQ mean [min, max]':>20} "
      f"| {'raw: modes per seed':>20} {'HQ mean':>8}")
for key, row in rings["rows"].items():
    ema_hq, raw_hq = row["ema_hq"], row["raw_hq"]
    print(f"{key:>22} | {row['critic_updates']:>14,} | {str(row['ema_modes']['values']):>22} "
          f"{ema_hq['mean']:>8.3f} [{ema_hq['min']:.3f}, {ema_hq['max']:.3f}] "
          f"| {str(row['raw_modes']['values']):>20} {raw_hq['mean']:>8.3f}")
results["ring_benchmark_rows"] = list(rings["rows"])

# %% [markdown]
# Read the tables and the figures together; the live numbers are this run's, the ranking comes from the benchmark.
#
# - **Coverage over training.** The raw generators do not grow their coverage steadily: modes appear and
#   disappear between snapshots — *mode hopping*. The generator chases whichever region the
#   discriminator currently rewards, the discriminator follows, and they circle: the bilinear game of
#   section 6, played on a ring. Look for the dips in the left figure.
# - **The end point, over 5 seeds** (the benchmark table; a claim here needs all 5). WGAN-GP's EMA generator
#   covered all 8 modes on every seed at both budgets — with five critic updates per generator step, so its critic
#   was trained five times as much as the others' discriminators. The non-saturating GAN missed modes on 4 of
#   5 seeds at the quick budget and 3 of 5 at the full one (down to 3 modes on one seed). The saturating
#   "vanilla" GAN missed modes on 1 of 5 (5–6 modes on that seed): at these careful settings (Adam β₁ = 0.5,
#   learning rate 5·10⁻⁴, a smooth ring of equal modes) collapse is a risk that depends on the seed and the
#   settings, not a certainty. Five seeds are too few to rank vanilla against non-saturating: their ranges
#   overlap.
# - **Averaging helps.** On every one of the 30 paired runs of the benchmark (3 objectives × 5 seeds × 2
#   budgets) the EMA generator had a higher high-quality fraction than the last raw generator of the same run,
#   and covered at least as many modes: averaging over a hopping generator undoes much of the hopping
#   (Yazıcı et al. 2019). The gap is largest for WGAN-GP, whose raw generator keeps moving (about 0.50 against
#   0.90 at the full budget).
# - **Edge samples.** No run reaches a high-quality fraction of 1: the remaining samples lie on the
#   **edges between neighbouring modes**. A continuous generator fed with connected (Gaussian) noise
#   cannot put zero mass between separated modes; it can only make the bridges thin.
#
# ## 8. The Wasserstein distance and the gradient penalty
#
# The Wasserstein-1 distance is the cost of moving $p_g$'s mass onto $p_{\text{data}}$. Unlike the JSD
# it keeps shrinking smoothly as the distributions approach each other, even when they do not
# overlap. The Kantorovich–Rubinstein duality turns it into a maximisation over 1-Lipschitz critics:
#
# $$W_1(p_{\text{data}}, p_g) = \sup_{\|f\|_L \le 1} \; \mathbb{E}_{p_{\text{data}}}[f(x)] - \mathbb{E}_{p_g}[f(x)] .$$
#
# WGAN (Arjovsky et al. 2017) keeps the critic Lipschitz by **clipping** every weight to $[-c, c]$ and trains it
# with RMSProp: with a momentum method such as Adam they found the critic's training unstable at times, its
# objective moving with the generator. A clipped network is $K$-Lipschitz for some $K$ set by $c$ and the
# architecture, so it estimates (at best) $K \cdot W_1$: $\sup_{\|f\|_L \le K} = K \sup_{\|f\|_L \le 1}$.
# WGAN-GP (Gulrajani et al. 2017) instead adds $\lambda\,\mathbb{E}[(\|\nabla_{\hat x} f(\hat x)\|_2 - 1)^2]$ on
# points $\hat x$ between real and fake samples (with Adam). Train critics on two 1-D distributions whose true
# $W_1$ we can compute from sorted samples: clipping, and the gradient penalty (λ = 10) from three
# seeds — once as is, once after 10 unconstrained steps. For the clipped critic we also measure $K$ (its
# largest slope, `theory.max_slope`) and divide it out.

# %%
real_c = BIMODAL.sample(2000, seed=SEED)
fake_c = 3.0 + 0.5 * torch.randn(2000, 1, generator=torch.Generator().manual_seed(SEED + 3))
true_w1 = wasserstein_1d(real_c, fake_c)
critic_steps = cfg.pick(300, 2000)
clip_f, clip_est = theory.train_critic(real_c, fake_c, method="clip", steps=critic_steps, seed=SEED)
gp_runs = {(s, free): theory.train_critic(real_c, fake_c, method="gp", steps=critic_steps, seed=SEED + s, free_steps=free)
           for s in range(3) for free in (0, 10)}
print(f"true W1 = {true_w1:.3f}")
clip_k = theory.max_slope(clip_f, -4, 5)
print(f"weight clipping (c = 0.01, RMSProp): estimate {clip_est[-1]:.2e}, its slope K = {clip_k:.2e}, "
      f"estimate / K = {clip_est[-1] / clip_k:.3f} (a lower bound on W1)")
for (s, free), (_, est) in gp_runs.items():
    print(f"gradient penalty, seed {SEED + s}, {free:>2} free steps first: estimate {est[-1]:+.3f}")
results["critic_true_w1"] = true_w1
results["critic_clip_estimate"] = clip_est[-1]
results["critic_clip_estimate_over_k"] = clip_est[-1] / clip_k
results["critic_gp_estimates"] = {f"seed{SEED + s}_free{free}": est[-1] for (s, free), (_, est) in gp_runs.items()}

fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
xs = torch.linspace(-4, 5, 400).unsqueeze(1)
with torch.no_grad():
    axes[0].plot(xs.flatten(), (clip_f(xs) - clip_f(xs).mean()) / clip_k, color="k", lw=2,
                 label=f"weight clipping, divided by K = {clip_k:.1e}")
    for (s, free), (f, est) in gp_runs.items():  # colour = seed, dashed = no free steps
        style = {"color": f"C{s}", "lw": 1, "ls": "-" if free else "--"}
        axes[0].plot(xs.flatten(), f(xs) - f(xs).mean(), **style,
                     label=f"GP, seed {SEED + s}" + (", 10 free steps" if free else ""))
        axes[1].plot(est, **style, label=f"GP seed {SEED + s}" + (" +free" if free else ""))
axes[1].plot(np.array(clip_est) / clip_k, color="k", lw=2, label="clipping, ÷ final K")
axes[1].axhline(true_w1, color="grey", ls=":", label=f"true W1 = {true_w1:.2f}")
clipped = torch.cat([p.detach().flatten() for p in clip_f.parameters() if p.ndim > 1])
pinned = float((clipped.abs() > 0.0099).float().mean())
results["critic_clip_pinned"] = pinned
axes[2].hist(clipped.numpy(), bins=41, range=(-0.0105, 0.0105))
axes[0].set(title="critic functions (centred; clipped one ÷ K)", xlabel="x", ylabel="f(x)")
axes[1].set(title="critic's estimate E[f(real)] − E[f(fake)]", xlabel="critic step", ylabel="estimate")
axes[2].set(title=f"clipped critic's weights: {pinned:.0%} sit at ±c = ±0.01", xlabel="weight value", ylabel="count")
axes[0].legend(fontsize=6)
axes[1].legend(fontsize=6, ncol=2)
fig.tight_layout()
plt.show()

# %% [markdown]
# Three lessons, each visible above:
#
# - **Clipping shrinks the scale, not the direction.** The clipped critic's raw estimate is about a thousandth of
#   $W_1$ because its slope $K$ is about a thousandth; divided by $K$ (left, black) it slopes the same way as the
#   penalised critics between the two distributions, so the generator is pushed in the right direction, and an
#   optimizer rescales a small gradient anyway. The cost Gulrajani et al. point to is elsewhere: **capacity** —
#   most weights end pinned at $\pm c$ (right), so the critic is a very simple function and, divided by $K$, its
#   estimate stays well below the true $W_1$ (middle, black: a lower bound that a better $K$-Lipschitz critic
#   would raise) — and, in deep critics, gradients that explode or vanish with the choice of $c$.
# - **The gradient penalty** lets the critic use its capacity: a correctly oriented critic is close to
#   the ideal $f$ (slope −1 between the two distributions) and its estimate lands near the true $W_1$ —
#   somewhat above, because the penalty is soft (slopes a little over 1 are allowed).
# - **The penalty is blind to the sign of the slope.** Starting from a near-flat critic, the penalty
#   (weight λ = 10) pushes $|f'|$ towards 1 in whatever direction the random initialisation leans, faster
#   than the objective can choose the direction; to turn around later, the critic would have to pass
#   through slope 0, where the penalty costs λ. When the seed leans the wrong way, the critic gets stuck
#   with a *negative* estimate (if a dashed line ends below zero above, that is this trap). Ten
#   unconstrained steps first let the objective choose the orientation, and every seed recovers. This
#   barrier, proportional to λ, is why the ring experiment uses λ = 1, where the generator constantly
#   moves and the critic must keep re-orienting.
#
# On the ring, the critic's estimate is a training signal: it falls as the generator improves,
# unlike a cross-entropy GAN's losses, which hover around constants whether or not the samples get better.

# %% [markdown]
# ## 9. Debugging GAN code: five common bugs and their symptoms
#
# Each function below is the correct training step with exactly one mistake, of the kind found in
# popular write-ups (including the articles this course started from). We train the 1-D GAN of
# section 5 with each for a short run and record the symptom. First, the correct step:

# %%
print(inspect.getsource(mistakes.textbook_step))

# %%
BUGS = {
    "G and D built the wrong way round": (mistakes.textbook_step, mistakes.build_swapped),
    "wrong sign in the generator loss": (mistakes.wrong_sign_step, mistakes.build_networks),
    "nn.BCELoss applied to raw logits": (mistakes.bce_on_logits_step, mistakes.build_networks),
    "missing detach() in the D step": (mistakes.missing_detach_step, mistakes.build_networks),
    "optimizers stepped on mixed gradients": (mistakes.mixed_gradients_step, mistakes.build_networks),
}
for name, (step, build) in BUGS.items():
    print(f"--- {name} ---")
    print(inspect.getsource(build if build is mistakes.build_swapped else step))
RUNS = {"correct": (mistakes.textbook_step, mistakes.build_networks), **BUGS}
reports = {name: mistakes.short_run(step, build=build, steps=cfg.pick(400, 1500), seed=SEED)
           for name, (step, build) in RUNS.items()}

# %%
print(f"{'run':>38} | symptom")
for name, r in reports.items():
    symptom = r.error if r.error else f"W1 to data {r.w1:.3f}, mean D(x) {r.d_real:.2f}, mean D(G(z)) {r.d_fake:.2f}"
    print(f"{name:>38} | {symptom}")
finished = {k: r for k, r in reports.items() if r.error is None}
fig, axes = plt.subplots(1, len(finished), figsize=(4.5 * len(finished), 3.2))
for ax, (name, r) in zip(np.atleast_1d(axes), finished.items()):
    ax.hist(r.samples.numpy().flatten(), bins=80, range=(-6, 6), density=True, alpha=0.5)
    ax.plot(x_grid.flatten(), BIMODAL.pdf(x_grid.flatten().numpy()), "k")
    ax.set(title=f"{name}\nW1 = {r.w1:.2f}", xlabel="x", xlim=(-6, 6))
axes[0].set_ylabel("density")
fig.suptitle("samples after a short run: the runs that did not crash")
fig.tight_layout()
plt.show()
assert reports["correct"].w1 < min(reports["wrong sign in the generator loss"].w1, reports["optimizers stepped on mixed gradients"].w1)

# %% [markdown]
# | bug | symptom | fix |
# |---|---|---|
# | `netG = Discriminator()` | shape error at the first D step: the real sample (size 1) is fed to the "discriminator", which is really the generator and expects noise of size 4 (above: `256x1 and 4x64`) — or, when the noise and data sizes happen to match, no error at all: a "discriminator" that outputs images and a "generator" that outputs one logit | build each network from its own class and check `G(z).shape == real.shape` and `D(real).shape == (batch, 1)` |
# | wrong sign in the G loss | D(G(z)) → 0: the generator learns to be rejected and runs away from the data | G minimises $-\log D(G(z))$ (or $\log(1-D(G(z)))$): its loss must *fall* as D(G(z)) rises (our tests check this) |
# | `BCELoss` on logits | crash (inputs outside [0, 1]) — or, after a sigmoid was added "to fix it", slow and unstable training from saturated log terms | `binary_cross_entropy_with_logits` on raw logits |
# | missing `detach()` | `Trying to backward through the graph a second time` at the G step; "fixing" it with `retain_graph=True` makes it run, but the D step then back-propagates through G for nothing (the G step's `zero_grad` discards those gradients; without it they would leak into G's update) | `D(fake.detach())` in the D step |
# | mixed gradients | D(x) → 1 while D(G(z)) stays ≈ ½: D also descends G's loss, so it stops penalising fakes and G never learns the data | zero the grads, backward and step each player's own loss separately |
#
# ## Summary
#
# - D maximises $V$ and G minimises it; code minimises $\mathcal{L}_D = -V$ and, for G, the non-saturating $-\log D(G(z))$.
# - The optimal discriminator is $p_{\text{data}}/(p_{\text{data}} + p_g)$; against it the *minimax* generator loss becomes
#   $-\log 4 + 2\,\mathrm{JSD}$. The non-saturating loss that code uses is a different objective: against $D^*$ its
#   gradient is that of $\mathrm{KL}(p_g\,\|\,p_{\text{data}}) - 2\,\mathrm{JSD}$ (Arjovsky & Bottou 2017), a reverse KL
#   that punishes fakes where there is no data far more than data where there are no fakes.
# - JSD saturates at $\log 2$ for non-overlapping distributions; the saturating loss vanishes exactly when D wins.
# - Gradient play on games circles or spirals; on multimodal data this shows up as mode hopping (and, with worse settings, collapse).
# - WGAN-GP's critic estimates the Wasserstein distance and gives gradients everywhere; on the ring its EMA
#   generator covered all eight modes on all 5 benchmark seeds (with 5× the critic updates); raw generators hop
#   between modes, and weight averaging (EMA) raised the high-quality fraction on every paired run.
# - Weight clipping makes the critic $K$-Lipschitz with a tiny $K$: it estimates about $K \cdot W_1$, the right
#   direction at a small scale; its real cost is capacity (weights pinned at $\pm c$) and, in deep critics,
#   exploding or vanishing gradients.
#
# ## Exercises
#
# Each checker compares your function with the engine's own on random inputs. Until you fill a
# function in, its checker says so; `chapter.exercises.show_solution(name)` prints the reference.
#
# **Exercise 1.** Implement the discriminator loss $-\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1 - D(G(z)))]$ from
# logits, without `BCELoss` (hint: `torch.nn.functional.softplus`).

# %%
def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("discriminator_loss", discriminator_loss);

# %% [markdown]
# **Exercise 2.** Implement the non-saturating generator loss $-\mathbb{E}[\log D(G(z))]$ from logits.

# %%
def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("generator_loss_nonsaturating", generator_loss_nonsaturating);

# %% [markdown]
# **Exercise 3.** Implement the gradient penalty $\mathbb{E}[(\|\nabla_{\hat x} f(\hat x)\|_2 - 1)^2]$ at
# $\hat x = \epsilon\,x_{\text{real}} + (1 - \epsilon)\,x_{\text{fake}}$, for given `eps` of shape (N, 1).
# (Hint: `torch.autograd.grad(..., create_graph=True)`.)

# %%
def gradient_penalty(critic: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("replace this line with your answer")


chapter.exercises.check("gradient_penalty", gradient_penalty);

# %% [markdown]
# **Exercise 4 (open).** In section 5, switch the objective to `minimax` and lower `lr_g`: how many steps
# does the generator need before its histogram moves? Explain the answer with the figure of section 4.

# %%
aigc_course.record_results("01_gan_math", results);

# %% [markdown]
# ## References
#
# - I. Goodfellow et al. *Generative Adversarial Nets*. NeurIPS 2014.
# - M. Arjovsky, L. Bottou. *Towards Principled Methods for Training Generative Adversarial Networks*. ICLR 2017.
# - M. Arjovsky, S. Chintala, L. Bottou. *Wasserstein Generative Adversarial Networks*. ICML 2017.
# - I. Gulrajani et al. *Improved Training of Wasserstein GANs*. NeurIPS 2017.
# - L. Metz, B. Poole, D. Pfau, J. Sohl-Dickstein. *Unrolled Generative Adversarial Networks*. ICLR 2017.
# - A. Srivastava et al. *VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational Learning*. NeurIPS 2017.
# - L. Mescheder, A. Geiger, S. Nowozin. *Which Training Methods for GANs do actually Converge?* ICML 2018.
# - Y. Yazıcı et al. *The Unusual Effectiveness of Averaging in GAN Training*. ICLR 2019.
