"""Chapter 10's library: the noise schedule, q_sample, the DDPM and DDIM steps (checked against diffusers),
classifier-free guidance, the denoisers, the training task, and the ring's closed-form noise predictor."""
import dataclasses
import os

import pytest
import torch

from aigc_course.chapters.ch10_diffusion import ring
from aigc_course.data.loader import TensorLoader
from aigc_course.data.toy import ring_of_gaussians
from aigc_course.models.diffusion import DiffusionUNet, MLPDenoiser, timestep_embedding
from aigc_course.train.diffusion import (
    NoiseSchedule,
    ddim_step,
    ddim_timesteps,
    ddpm_step,
    fit_diffusion,
    guide,
    q_sample,
    sample,
    split_prediction,
    target,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # diffusers' schedulers are built from a config: nothing to fetch
DIFFUSERS_KIND = {"linear": "linear", "cosine": "squaredcos_cap_v2"}


def _x(seed=0, shape=(6, 1, 8, 8)):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _float64(schedule):
    return dataclasses.replace(schedule, betas=schedule.betas.double())


# ---- against diffusers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_schedule_equals_diffusers(kind):
    from diffusers import DDPMScheduler

    ours = NoiseSchedule.make(kind, 1000)
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule=DIFFUSERS_KIND[kind])
    assert torch.allclose(ours.betas, ref.betas, atol=1e-6, rtol=0)
    assert torch.allclose(ours.alphas_cumprod, ref.alphas_cumprod, atol=1e-6, rtol=0)


@pytest.mark.parametrize("prediction", ["epsilon", "sample", "v_prediction"])
@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_ddpm_step_equals_diffusers(kind, prediction):
    from diffusers import DDPMScheduler

    schedule = NoiseSchedule.make(kind, 1000)
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule=DIFFUSERS_KIND[kind], prediction_type=prediction)
    x, out = _x(0), _x(1)
    for t in (999, 640, 37, 1, 0):
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(t))
        theirs = ref.step(out, t, x, generator=torch.Generator().manual_seed(t)).prev_sample  # draws the same noise
        ours = ddpm_step(x, out, t, schedule, noise if t > 0 else None, prediction)
        assert (ours - theirs).abs().max() <= 1e-6, (t, (ours - theirs).abs().max())


@pytest.mark.parametrize("rederive", [True, False])
@pytest.mark.parametrize("eta", [0.0, 1.0])
@pytest.mark.parametrize("prediction", ["epsilon", "v_prediction"])
def test_ddim_timesteps_and_steps_equal_diffusers(prediction, eta, rederive):
    from diffusers import DDIMScheduler

    schedule = NoiseSchedule.make("linear", 1000)
    ref = DDIMScheduler(num_train_timesteps=1000, prediction_type=prediction)
    ref.set_timesteps(50)
    ts = ddim_timesteps(1000, 50)
    assert ts == ref.timesteps.tolist()
    x, out, noise = _x(0), _x(1), _x(2)
    for i in (0, 1, 25, 48, 49):
        t_prev = ts[i + 1] if i + 1 < len(ts) else -1
        theirs = ref.step(out, ts[i], x, eta=eta, variance_noise=noise, use_clipped_model_output=rederive).prev_sample
        ours = ddim_step(x, out, ts[i], t_prev, schedule, eta, noise, prediction, rederive_eps=rederive)
        assert (ours - theirs).abs().max() <= 1e-6, (ts[i], (ours - theirs).abs().max())


# ---- the forward process and the parametrisations ---------------------------------------------------------------

def test_q_sample_matches_running_the_markov_chain():
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε has the distribution of t steps of x_s = √(1 − β_s) x_{s−1} + √β_s ε_s."""
    schedule = _float64(NoiseSchedule.make("linear", 1000))
    x0 = torch.tensor([0.8, -0.5], dtype=torch.float64).repeat(40_000, 1)  # two pixels, many chains
    g = torch.Generator().manual_seed(0)
    chain = x0.clone()
    for t in range(300):
        beta = schedule.betas[t]
        chain = (1 - beta).sqrt() * chain + beta.sqrt() * torch.randn(chain.shape, generator=g, dtype=torch.float64)
    t = 299
    direct = q_sample(x0, t, torch.randn(x0.shape, generator=g, dtype=torch.float64), schedule)
    abar = schedule.alphas_cumprod[t]
    for draws in (chain, direct):
        assert torch.allclose(draws.mean(0), abar.sqrt() * x0[0], atol=0.01)
        assert torch.allclose(draws.var(0), (1 - abar).expand(2), atol=0.01)


@pytest.mark.parametrize("prediction", ["epsilon", "sample", "v_prediction"])
def test_split_prediction_inverts_each_target(prediction):
    schedule = _float64(NoiseSchedule.make("cosine", 1000))
    x0, noise = _x(0).double().clamp(-1, 1), _x(1).double()
    t = torch.tensor([0, 3, 100, 500, 900, 999])
    x_t = q_sample(x0, t, noise, schedule)
    x0_hat, eps_hat = split_prediction(x_t, target(x0, noise, t, schedule, prediction), t, schedule, prediction)
    # at t = 999 of the cosine schedule ᾱ ≈ 0: ε-prediction cannot give x_0 back (x_0 is divided by √ᾱ ≈ 0)
    ok = slice(None, 5) if prediction == "epsilon" else slice(None)
    assert torch.allclose(x0_hat[ok], x0[ok], atol=1e-6)
    assert torch.allclose(eps_hat[:5], noise[:5], atol=1e-6)


def test_ddim_with_the_true_noise_lands_on_the_same_trajectory_and_returns_x0():
    """With ε̂ = ε (the true noise), η = 0: x_t → x_{t'} is q_sample(x_0, t', ε), and the last step gives x_0."""
    schedule = _float64(NoiseSchedule.make("linear", 1000))
    x0, noise = _x(0).double().clamp(-1, 1), _x(1).double()
    x = q_sample(x0, 980, noise, schedule)
    assert torch.allclose(ddim_step(x, noise, 980, 500, schedule), q_sample(x0, 500, noise, schedule), atol=1e-10)
    assert torch.allclose(ddim_step(x, noise, 980, -1, schedule), x0, atol=1e-10)


def test_guidance_scale_zero_is_unconditional_and_one_is_conditional_exactly():
    cond, uncond = _x(0), _x(1)
    assert torch.equal(guide(cond, uncond, 0.0), uncond)
    assert torch.equal(guide(cond, uncond, 1.0), cond)
    assert torch.allclose(guide(cond, uncond, 3.0), uncond + 3.0 * (cond - uncond), atol=1e-5)


def test_bad_values_are_named_with_the_allowed_ones():
    with pytest.raises(ValueError, match="'quadratic'.*linear"):
        NoiseSchedule.make("quadratic")
    schedule = NoiseSchedule.make()
    with pytest.raises(ValueError, match="'x0'.*epsilon"):
        target(_x(0), _x(1), 5, schedule, "x0")
    with pytest.raises(ValueError, match="steps=2000"):
        ddim_timesteps(1000, 2000)
    with pytest.raises(ValueError, match="needs noise"):
        ddpm_step(_x(0), _x(1), 10, schedule, None)
    with pytest.raises(ValueError, match="'euler'.*ddim"):
        sample(MLPDenoiser(), 4, (2,), schedule, sampler="euler")
    with pytest.raises(ValueError, match="guidance=3.0 needs a class-conditional model"):
        sample(MLPDenoiser(), 4, (2,), schedule, guidance=3.0)
    with pytest.raises(ValueError, match="cond_drop=1.5"):
        fit_diffusion(MLPDenoiser(), TensorLoader(torch.zeros(8, 2), torch.zeros(8), batch_size=4), 1, cond_drop=1.5)


# ---- the denoisers ----------------------------------------------------------------------------------------------

def test_timestep_embedding_shape_and_values():
    emb = timestep_embedding(torch.tensor([0, 10]), 8)
    assert emb.shape == (2, 8)
    assert torch.allclose(emb[0], torch.tensor([1.0] * 4 + [0.0] * 4))  # cos 0 = 1, sin 0 = 0
    assert torch.allclose(emb[1, 0], torch.cos(torch.tensor(10.0)))  # the first frequency is 1


def test_unet_shapes_start_at_zero_and_use_the_null_class():
    torch.manual_seed(0)
    net = DiffusionUNet(channels=16, mult=(1, 2, 4), n_classes=10)
    x, t = _x(0, (3, 1, 28, 28)), torch.tensor([0, 500, 999])
    assert torch.equal(net(x, t, torch.tensor([0, 5, 10])), torch.zeros_like(x))  # zero-initialised output conv
    for p in net.parameters():  # as if trained: the label (10 = "no class" included) now changes the output
        p.data.normal_(0, 0.05)
    out = [net(x, t, torch.full((3,), k)) for k in (3, 10)]
    assert out[0].shape == x.shape and not torch.allclose(out[0], out[1])
    with pytest.raises(ValueError, match="n_classes=10"):
        net(x, t)
    assert MLPDenoiser()(torch.zeros(5, 2), torch.arange(5)).shape == (5, 2)


def test_sample_shapes_labels_and_trajectory():
    torch.manual_seed(0)
    net, schedule = DiffusionUNet(channels=8, mult=(1, 2), n_classes=3, attention=False), NoiseSchedule.make()
    out = sample(net, 5, (1, 12, 12), schedule, steps=4, guidance=2.0, seed=1)
    assert out.shape == (5, 1, 12, 12) and out.abs().max() <= 1.0  # a zero net predicts x̂_0 = x_t / √ᾱ, clipped
    traj = sample(net, 5, (1, 12, 12), schedule, steps=4, keep=3, seed=1)
    assert traj.shape == (3, 5, 1, 12, 12) and torch.equal(traj[-1], sample(net, 5, (1, 12, 12), schedule, steps=4,
                                                                             seed=1))


# ---- training ---------------------------------------------------------------------------------------------------

def _ring_loader(seed=0):
    points = ring_of_gaussians(4096, std=ring.RING_STD, seed=seed)
    return TensorLoader(points, torch.zeros(len(points)), batch_size=256, seed=seed, drop_last=True)


def test_a_short_seeded_run_lowers_the_denoising_loss():
    torch.manual_seed(0)
    model = MLPDenoiser()
    before = ring.score_error(model, n=4000)["loss"]
    run = fit_diffusion(model, _ring_loader(), 400, schedule=ring.SCHEDULE, lr=1e-3, progress=False)
    after = ring.score_error(run.model, n=4000)["loss"]
    assert after < 0.5 * before, (before, after)
    assert run.history.values["loss"][-1] < run.history.values["loss"][0]


def test_resume_continues_bit_for_bit(tmp_path):
    def fresh():
        torch.manual_seed(0)
        return DiffusionUNet(channels=8, mult=(1, 2), n_classes=2, attention=False)

    images = torch.rand(32, 1, 8, 8) * 2 - 1
    loader = lambda: TensorLoader(images, torch.arange(32) % 2, batch_size=8, seed=0, drop_last=True)
    straight = fit_diffusion(fresh(), loader(), 6, ema_decay=0.9, progress=False)
    fit_diffusion(fresh(), loader(), 3, ema_decay=0.9, checkpoint_dir=tmp_path, progress=False)
    resumed = fit_diffusion(fresh(), loader(), 6, ema_decay=0.9, checkpoint_dir=tmp_path, resume=True,
                            progress=False)
    for a, b in zip(straight.denoiser.state_dict().values(), resumed.denoiser.state_dict().values()):
        assert torch.equal(a, b)


# ---- the ring's exact noise predictor ---------------------------------------------------------------------------

def test_optimal_eps_is_minus_sqrt_one_minus_abar_times_the_autograd_score():
    schedule = _float64(ring.SCHEDULE)
    centers = ring.CENTERS.double()
    x, t = torch.randn(16, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2, \
        torch.randint(1000, (16,), generator=torch.Generator().manual_seed(1))
    abar = schedule.alphas_cumprod[t][:, None, None]
    var = abar * ring.RING_STD ** 2 + 1 - abar
    x.requires_grad_(True)
    log_p = torch.logsumexp(-((x[:, None] - abar.sqrt() * centers) ** 2).sum(-1, keepdim=True) / (2 * var), 1).sum()
    score, = torch.autograd.grad(log_p, x)
    expected = -(1 - abar[:, 0]).sqrt() * score
    assert torch.allclose(ring.optimal_eps(x.detach(), t, schedule, centers), expected, atol=1e-10)


def test_no_network_beats_the_optimal_predictor_and_the_loss_splits():
    torch.manual_seed(0)
    run = fit_diffusion(MLPDenoiser(), _ring_loader(), 300, schedule=ring.SCHEDULE, lr=1e-3, progress=False)
    split = ring.score_error(run.model)
    assert split["loss"] > split["irreducible"]
    assert split["loss"] == pytest.approx(split["irreducible"] + split["score_error"], abs=0.01)


def test_chapter_exercises_accept_the_answer_and_reject_the_classic_mistakes():
    from aigc_course.chapters.ch10_diffusion import exercises

    def q(x0, t, noise, abar):
        a = abar[t].view(-1, 1, 1, 1)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    assert exercises.check("q_sample", q)
    assert not exercises.check("q_sample", lambda x0, t, n, abar: abar[t].view(-1, 1, 1, 1) * x0
                               + (1 - abar[t].view(-1, 1, 1, 1)) * n)  # ᾱ instead of √ᾱ
    assert not exercises.check("q_sample", lambda x0, t, n, abar: abar[t].view(-1, 1, 1, 1).sqrt() * x0 + n)

    def ddim(x_t, eps, t, t_prev, abar):
        x0 = (x_t - (1 - abar[t]).sqrt() * eps) / abar[t].sqrt()
        return abar[t_prev].sqrt() * x0 + (1 - abar[t_prev]).sqrt() * eps

    assert exercises.check("ddim_step", ddim)
    assert not exercises.check("ddim_step", lambda x_t, eps, t, tp, abar: (x_t - (1 - abar[t]).sqrt() * eps)
                               / abar[t].sqrt())  # jumps straight to x̂_0
    assert not exercises.check("ddim_step", lambda x_t, eps, t, tp, abar: x_t - (1 - abar[t]).sqrt() * eps)

    assert exercises.check("guide", lambda c, u, s: u + s * (c - u))
    assert not exercises.check("guide", lambda c, u, s: c + s * (u - c))  # the difference the wrong way round
    assert not exercises.check("guide", lambda c, u, s: (1 + s) * c - s * u)  # Ho & Salimans' w used as scale


def test_the_quick_bar_fails_when_any_point_is_missed():
    from aigc_course.chapters import ch10_diffusion as ch10

    good = {"ring_modes": 8, "ring_hq": 0.7, "cfg_requested_class_acc": 0.97, "diffusers_max_abs_diff": 1e-6,
            "cfg_scales": {"3.0": {"asked_digit": 0.99}},
            "pitfall_keep_network_eps": {"scale": 3.0, "asked_digit": 0.3}}
    assert ch10.meets(good, ch10.QUICK_BAR)
    for key, bad in (("ring_modes", 7), ("ring_hq", 0.5), ("cfg_requested_class_acc", 0.8),
                     ("diffusers_max_abs_diff", 0.1), ("pitfall_keep_network_eps", {"scale": 3.0, "asked_digit": 1.0})):
        assert not ch10.meets({**good, key: bad}, ch10.QUICK_BAR), key


def test_the_sampler_guides_with_one_batched_pass_equal_to_two_separate_calls():
    from aigc_course.train.diffusion import _predict

    torch.manual_seed(0)
    model = DiffusionUNet(1, 8, (1, 2), n_classes=3).eval()
    for p in model.parameters():  # leave the zero init so the outputs are not all zero
        p.data.normal_(0, 0.1)
    x, labels = _x(0, (4, 1, 8, 8)), torch.tensor([0, 1, 2, 0])
    tt = torch.full((4,), 500)
    with torch.no_grad():
        cond, uncond = model(x, tt, labels), model(x, tt, torch.full_like(labels, 3))
        assert (cond - uncond).abs().max() > 1e-3  # the label matters, so the test can fail
        for scale in (0.0, 1.0, 2.5):
            assert torch.allclose(_predict(model, x, 500, labels, scale), guide(cond, uncond, scale), atol=1e-5)
