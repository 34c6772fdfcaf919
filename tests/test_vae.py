"""Chapter 4: the VAE's KL, ELBO and importance-weighted bound, the toy-model identities, and training."""
import math

import pytest
import torch

from aigc_course import fit
from aigc_course.chapters.ch04_vae import toy as vae_math
from aigc_course.chapters.ch04_vae import train_vae
from aigc_course.data import load_dataset
from aigc_course.metrics.likelihood import iw_nll, log_weights, nelbo
from aigc_course.models.vae import ConvVAE
from aigc_course.train.vae import binarize, gaussian_kl, vae_loss


@pytest.fixture(scope="module")
def digits():
    d = load_dataset("mnist", "test", verbose=False)  # the bundled real digits
    return d, binarize(d.images[8000:].float() / 255, torch.Generator().manual_seed(0))


def test_kl_closed_form_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    mc = vae_math.kl_monte_carlo(mu, logvar, 400_000)
    assert torch.allclose(mc, gaussian_kl(mu, logvar).double(), rtol=0.01, atol=0.01)
    assert torch.allclose(gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)), torch.zeros(3))


def test_toy_elbo_gap_is_the_kl_to_the_posterior():
    x, w, s = 1.3, 2.0, 0.5
    pm, pv = vae_math.toy_posterior(x, w, s)
    m = torch.linspace(-2, 2, 9, dtype=torch.float64)
    v = torch.full_like(m, 0.3)
    gap = vae_math.toy_log_evidence(x, w, s) - vae_math.toy_elbo(x, m, v, w, s)
    assert torch.allclose(gap, vae_math.kl_normal_1d(m, v, pm, pv), atol=1e-10)
    at_posterior = vae_math.toy_elbo(x, torch.tensor(pm), torch.tensor(pv), w, s)
    assert float(at_posterior) == pytest.approx(vae_math.toy_log_evidence(x, w, s), abs=1e-10)
    mc = vae_math.toy_elbo_monte_carlo(x, pm + 0.4, pv * 2, w, s, n=200_000)
    assert mc["elbo"] < mc["log_mean"] == pytest.approx(vae_math.toy_log_evidence(x, w, s), abs=0.01)


def test_gradient_estimators_are_unbiased_and_reparam_has_lower_variance():
    est = {m: vae_math.gradient_estimates(0.5, 1.0, 3.0, 16, 4000, m) for m in ("reparam", "score", "score-baseline")}
    for e in est.values():
        assert float(e.mean()) == pytest.approx(2 * (0.5 - 3.0), abs=4 * float(e.std()) / math.sqrt(len(e)))
    assert est["reparam"].var() * 10 < est["score-baseline"].var() < est["score"].var()
    with pytest.raises(ValueError, match="method='bogus'"):
        vae_math.gradient_estimates(0.0, 1.0, 3.0, 4, 4, "bogus")


def test_shapes_for_several_batch_sizes():
    model = ConvVAE(latent_dim=7)
    for n in (1, 3, 16):
        logits, mu, logvar = model(torch.rand(n, 1, 28, 28))
        assert logits.shape == (n, 1, 28, 28) and mu.shape == logvar.shape == (n, 7)
    assert model.decode(torch.randn(5, 7)).shape == (5, 1, 28, 28)
    assert model.sample(4).shape == (4, 1, 28, 28)
    assert model.reparameterize(torch.zeros(2, 7), torch.zeros(2, 7), k=3).shape == (3, 2, 7)


def test_elbo_never_exceeds_the_importance_weighted_bound(digits):
    _, x = digits
    torch.manual_seed(0)
    model = ConvVAE(latent_dim=4)
    for k in (1, 5, 50):
        torch.manual_seed(1)
        lw = log_weights(model, x[:64], k)  # the same samples for both bounds
        elbo = lw.mean(0)
        iw = lw.logsumexp(0) - math.log(k)
        assert (elbo <= iw + 1e-9).all()
        if k == 1:
            assert torch.allclose(elbo, iw)


def test_a_short_seeded_run_lowers_the_test_negative_elbo(digits):
    data, x_test = digits
    torch.manual_seed(0)
    model = ConvVAE(latent_dim=8, width=16)
    before = nelbo(model, x_test)["nelbo"]
    loader = data.loader(64, seed=0, drop_last=True, value_range=(0.0, 1.0))
    run = fit(model, loader, vae_loss(), 150, lr=2e-3, progress=False)
    after = nelbo(model, x_test)
    assert after["nelbo"] < before - 200  # an untrained decoder costs ~ 543 nats (784 · log 2)
    assert after["nelbo"] == pytest.approx(after["rec"] + after["kl"])
    assert run.history["kl"][-1] > 0
    iw, se = iw_nll(model, x_test[:50], k=20)
    assert iw <= after["nelbo"] + 3 * se + 1.0  # tighter bound, up to sampling noise


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="beta=-1"):
        vae_loss(-1)
    with pytest.raises(ValueError, match="latent_dim=0"):
        ConvVAE(latent_dim=0)
    with pytest.raises(ValueError, match="k=0"):
        iw_nll(ConvVAE(), torch.zeros(1, 1, 28, 28), k=0)


def test_full_mode_configuration_runs_on_cpu_equivalents_of_the_cuda_paths(digits):
    data, x_test = digits  # full mode = the same recipe for more steps, on a GPU: bf16 autocast + channels_last
    run = train_vae(data, 2, seed=0, amp=True, channels_last=True, progress=False)
    assert math.isfinite(nelbo(run.model, x_test[:100])["nelbo"]) and len(run.history["loss"]) == 2


def test_saved_vae_loads_back_identical(tmp_path, monkeypatch):
    from aigc_course.chapters import ch04_vae

    monkeypatch.setenv("AIGC_BUILD_DIR", str(tmp_path))
    vae = ConvVAE(latent_dim=5, width=8)
    ch04_vae.save_vae(vae, "vae-test")
    back = ch04_vae.load_vae("vae-test")
    assert back.latent_dim == 5 and not back.training
    assert all(torch.equal(a, b) for a, b in zip(vae.state_dict().values(), back.state_dict().values()))
    with pytest.raises(FileNotFoundError, match="run notebook missing first"):
        ch04_vae.load_vae("missing")
