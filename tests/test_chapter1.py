"""Chapter 1's package code: toy densities, theory helpers, mode metrics, the five bugs, the ring bar."""
import math

import numpy as np
import pytest
import torch

from aigc_course.chapters import ch01_gan_math as chapter
from aigc_course.chapters.ch01_gan_math import mistakes, ring, theory
from aigc_course.data.toy import BIMODAL, ring_centers, ring_of_gaussians
from aigc_course.metrics import mode_stats, wasserstein_1d


def test_mixture_density_integrates_to_one_and_matches_samples():
    x = np.linspace(-10, 10, 20001)
    assert np.trapezoid(BIMODAL.pdf(x), x) == pytest.approx(1.0, abs=1e-6)
    s = BIMODAL.sample(20000, seed=1)
    assert s.shape == (20000, 1) and abs(float(s.mean())) < 0.05
    assert float(s.std()) == pytest.approx(math.sqrt(4.25), rel=0.02)


def test_ring_data_sits_on_its_modes():
    pts = ring_of_gaussians(4000, std=0.02, seed=0)
    st = mode_stats(pts, ring_centers(), 0.02)
    assert st["modes_covered"] == 8 and st["hq_fraction"] > 0.98  # 3σ holds 98.9% of a 2-D Gaussian


def test_mode_stats_by_hand():
    centers = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    samples = torch.tensor([[0.0, 0.01]] * 97 + [[10.0, 0.0]] * 1 + [[5.0, 5.0]] * 2)
    st = mode_stats(samples, centers, std=0.02)
    assert st["modes_covered"] == 2 and st["hq_fraction"] == pytest.approx(0.98)
    assert st["per_mode"] == pytest.approx([0.97, 0.01])
    st = mode_stats(samples[:97], centers, std=0.02)
    assert st["modes_covered"] == 1  # a collapsed generator covers one mode however sharp it is


def test_optimal_discriminator_and_jsd_limits():
    x = np.linspace(-30, 30, 60001)
    p, q = theory.gaussian_pdf(x, 0, 1), theory.gaussian_pdf(x, 0.5, 1)
    d = theory.optimal_discriminator(p, q)
    assert d[np.argmin(abs(x + 5))] > 0.9 and d[np.argmin(abs(x - 0.25))] == pytest.approx(0.5, abs=1e-3)
    assert theory.jsd(p, p, x) == pytest.approx(0.0, abs=1e-9)
    far = theory.gaussian_pdf(x, 20, 0.1)
    assert theory.jsd(theory.gaussian_pdf(x, 0, 0.1), far, x) == pytest.approx(math.log(2), abs=1e-6)
    # C(G) = −log 4 + 2 JSD equals V(D*, G) computed directly
    v_star = np.trapezoid(p * np.log(d) + q * np.log(1 - d), x)
    assert v_star == pytest.approx(-math.log(4) + 2 * theory.jsd(p, q, x), abs=1e-6)


def test_bilinear_game_spirals_out_simultaneously_and_orbits_alternating():
    sim = theory.bilinear_game(1.0, 0.0, lr=0.1, steps=100, alternating=False)
    alt = theory.bilinear_game(1.0, 0.0, lr=0.1, steps=2000, alternating=True)
    assert np.hypot(*sim[-1]) == pytest.approx((1 + 0.1 ** 2) ** 50, rel=1e-9)  # |·| grows by sqrt(1 + η²) a step
    radii = np.hypot(alt[:, 0], alt[:, 1])
    assert radii.max() < 1.1 and radii.min() > 0.9  # bounded: it circles, never converging


def test_trained_discriminator_approaches_the_optimum():
    real, fake = BIMODAL.sample(8000, seed=0), 1.5 * torch.randn(8000, 1, generator=torch.Generator().manual_seed(1))
    D = theory.train_discriminator(real, fake, steps=800, seed=0)
    x = np.linspace(-3.5, 3.5, 200)
    with torch.no_grad():
        learned = torch.sigmoid(D(torch.tensor(x, dtype=torch.float32).unsqueeze(1))).numpy()
    expected = theory.optimal_discriminator(BIMODAL.pdf(x), theory.gaussian_pdf(x, 0, 1.5))
    assert np.abs(learned - expected).max() < 0.12


def test_gradient_penalty_lock_in_and_its_escape():
    real = BIMODAL.sample(2000, seed=0)
    fake = 3.0 + 0.5 * torch.randn(2000, 1, generator=torch.Generator().manual_seed(3))
    w1 = wasserstein_1d(real, fake)
    _, locked = theory.train_critic(real, fake, "gp", steps=300, seed=0)
    _, freed = theory.train_critic(real, fake, "gp", steps=300, seed=0, free_steps=10)
    assert locked[-1] < 0 < freed[-1] and abs(freed[-1] - w1) < 0.3 * w1
    with pytest.raises(ValueError, match="method='sgd'"):
        theory.train_critic(real, fake, "sgd")


def test_a_clipped_critic_estimates_k_times_a_lower_bound_on_w1_with_the_right_orientation():
    """Clipping makes the critic K-Lipschitz with a tiny K, not flat: divided by K, its estimate is a real
    lower bound on W1 and its slope between the two distributions points the way G must move."""
    real = BIMODAL.sample(2000, seed=0)
    fake = 3.0 + 0.5 * torch.randn(2000, 1, generator=torch.Generator().manual_seed(3))
    w1 = wasserstein_1d(real, fake)
    f, clipped = theory.train_critic(real, fake, "clip", steps=300, seed=0)
    k = theory.max_slope(f, -4, 5)
    assert all(p.abs().max() <= 0.01 + 1e-7 for p in f.parameters())  # clipped after every step
    assert 0 < clipped[-1] < 0.01 * w1 and k < 0.01  # a tiny scale ...
    assert 0.4 * w1 < clipped[-1] / k <= w1 * 1.02  # ... but a lower bound on W1 once divided by K
    with torch.no_grad():
        assert f(torch.tensor([[3.0]])) < f(torch.tensor([[0.0]]))  # fakes at 3, data near 0: f falls towards the fakes
    line = torch.nn.Linear(1, 1)
    with torch.no_grad():
        line.weight.fill_(-2.0)
    assert theory.max_slope(line, -1, 1) == pytest.approx(2.0)


def test_each_bug_shows_its_symptom():
    correct = mistakes.short_run(mistakes.textbook_step, steps=400)
    assert correct.error is None and correct.w1 < 0.5
    swapped = mistakes.short_run(mistakes.textbook_step, build=mistakes.build_swapped)
    assert "mat1 and mat2 shapes cannot be multiplied" in swapped.error
    assert "between 0 and 1" in mistakes.short_run(mistakes.bce_on_logits_step).error
    assert "backward through the graph a second time" in mistakes.short_run(mistakes.missing_detach_step).error
    wrong_sign = mistakes.short_run(mistakes.wrong_sign_step, steps=400)
    assert wrong_sign.d_fake < 0.05 and wrong_sign.w1 > 4 * correct.w1
    mixed = mistakes.short_run(mistakes.mixed_gradients_step, steps=400)
    assert mixed.d_fake > 0.3 and mixed.w1 > 4 * correct.w1


def test_textbook_step_is_the_engines_step():
    """The reference step the chapter shows is exactly what fit_gan computes (see test_gan_engine)."""
    import inspect

    src = inspect.getsource(mistakes.textbook_step)
    assert "fake.detach()" in src and src.count("zero_grad()") == 2


def test_the_quick_bar_needs_every_seed():
    """The notebook test checks the bar on the notebook's own ring runs (WGAN-GP at the chapter's budget)."""
    good = {"wgangp_modes": [8, 8], "wgangp_hq": [0.6, 0.55]}
    assert chapter.meets(good, chapter.QUICK_BAR)
    assert not chapter.meets({**good, "wgangp_modes": [8, 6]}, chapter.QUICK_BAR)
    assert not chapter.meets({**good, "wgangp_hq": [0.6, 0.39]}, chapter.QUICK_BAR)


def test_unknown_ring_objective():
    with pytest.raises(ValueError, match="objective='wgan'.*'vanilla', 'nonsaturating', 'wgangp'"):
        ring.train_ring("wgan", 0, 10)


def test_train_all_groups_runs_by_objective():
    runs = ring.train_all(["vanilla", "wgangp"], [0, 1], steps=10, workers=2)
    assert list(runs) == ["vanilla", "wgangp"] and [len(v) for v in runs.values()] == [2, 2]
    assert all(r.raw_track and r.track and r.history.steps == list(range(10)) for v in runs.values() for r in v)


def test_nonsaturating_loss_follows_reverse_kl_minus_2jsd_and_prefers_dropping_a_mode():
    x = np.linspace(-30, 30, 60_001)
    for mu, sigma in ((1.0, 1.0), (-0.5, 2.0), (2.5, 0.4)):
        lhs, rhs = theory.nonsaturating_gradient_check(BIMODAL.pdf, mu, sigma, x)
        assert lhs == pytest.approx(rhs, rel=1e-5, abs=1e-7)
    drop = theory.generator_objectives(BIMODAL.pdf(x), theory.gaussian_pdf(x, 2.0, 0.5), x)
    cover = theory.generator_objectives(BIMODAL.pdf(x), theory.gaussian_pdf(x, 0.0, math.sqrt(4.25)), x)
    assert cover["minimax"] < drop["minimax"] and drop["nonsaturating"] < cover["nonsaturating"]
    same = theory.generator_objectives(BIMODAL.pdf(x), BIMODAL.pdf(x), x)
    assert same["minimax"] == pytest.approx(-math.log(4), abs=1e-9) and abs(same["nonsaturating"]) < 1e-9
