"""Chapter 9's style-based generator: each mechanism checked against the plainly written version of it."""
import pytest
import torch
import torch.nn.functional as F

from aigc_course.chapters import ch09_style_based_generators as ch9
from aigc_course.models.stylegan import (
    StyleDiscriminator,
    StyleGenerator,
    adain,
    minibatch_std,
    mix_styles,
    modulated_conv2d,
)
from aigc_course.train.losses import r1_penalty

from conftest import real_data_dir_or_skip


def test_demodulated_convolution_keeps_unit_variance_for_unit_variance_input():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 32, 24, 24, generator=g)
    weight = torch.randn(16, 32, 3, 3, generator=g) * 5  # any scale: demodulation divides it out
    styles = torch.rand(8, 32, generator=g) * 3 + 0.1
    out = modulated_conv2d(x, weight, styles, demodulate=True)  # no padding: every output sees real input
    assert out.var().item() == pytest.approx(1.0, abs=0.05)
    per_image = out.var((1, 2, 3))
    assert per_image.min() > 0.85 and per_image.max() < 1.15
    raw = modulated_conv2d(x, weight, styles, demodulate=False)
    assert raw.var().item() > 10  # without demodulation the style's and the weight's scales pass through


def test_modulation_with_unit_styles_and_no_demodulation_is_a_plain_convolution():
    g = torch.Generator().manual_seed(1)
    x, weight = torch.randn(3, 5, 9, 9, generator=g), torch.randn(4, 5, 3, 3, generator=g)
    out = modulated_conv2d(x, weight, torch.ones(3, 5), demodulate=False, padding=1)
    torch.testing.assert_close(out, F.conv2d(x, weight, padding=1))


def test_modulated_convolution_equals_one_modulated_weight_per_image():
    """The fast path (scale inputs, convolve, scale outputs) against the paper's eqs. 1-3 written out per image."""
    g = torch.Generator().manual_seed(2)
    x, weight, styles = torch.randn(3, 5, 7, 7, generator=g), torch.randn(4, 5, 3, 3, generator=g), \
        torch.rand(3, 5, generator=g) + 0.5
    out = modulated_conv2d(x, weight, styles, demodulate=True, padding=1)
    per_image = ch9.demodulate(weight, styles)  # (N, O, I, k, k): the exercise's reference, eqs. 1 and 3 as written
    for n in range(3):
        torch.testing.assert_close(out[n], F.conv2d(x[n:n + 1], per_image[n], padding=1)[0], rtol=1e-4, atol=1e-5)


def test_adain_sets_each_feature_maps_mean_and_std_to_the_style():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 4, 8, 8, generator=g) * 7 + 3
    scale, bias = torch.rand(2, 4, generator=g) + 0.5, torch.randn(2, 4, generator=g)
    y = adain(x, scale, bias)
    torch.testing.assert_close(y.mean((2, 3)), bias, atol=1e-5, rtol=0)
    torch.testing.assert_close(y.std((2, 3), unbiased=False), scale, atol=1e-4, rtol=0)


def test_truncation_psi_zero_gives_the_mean_w_and_psi_one_is_the_identity():
    torch.manual_seed(0)
    G = StyleGenerator(channels=8, channel_base=64).eval()  # eval: map() leaves the running mean alone
    G.w_avg.copy_(torch.randn(G.w_dim))
    w = G.map(torch.randn(5, G.nz))
    assert torch.equal(G.truncate(w, 1.0), w)
    torch.testing.assert_close(G.truncate(w, 0.0), G.w_avg.expand(5, -1))
    noise = [torch.randn(s) for s in G.noise_shapes(5)]
    same = G.synthesis(G.truncate(w, 0.0)[:, None].expand(-1, G.n_layers, -1), noise)
    torch.testing.assert_close(same, same[:1].expand_as(same))  # psi = 0: every z draws the same image
    with pytest.raises(ValueError, match="psi=-0.5 is not allowed"):
        G.truncate(w, -0.5)


def test_style_mixing_feeds_w1_below_the_crossover_and_w2_above():
    torch.manual_seed(0)
    G = StyleGenerator(channels=8, channel_base=64).eval()
    w1, w2 = G.map(torch.randn(3, G.nz)), G.map(torch.randn(3, G.nz))
    seen: list[torch.Tensor] = []
    affines = [c.affine for c in G.convs] + [t.affine for t in G.to_images]
    hooks = [a.register_forward_hook(lambda m, inp, out: seen.append((m, inp[0]))) for a in affines]
    G.synthesis(mix_styles(w1, w2, 3, G.n_layers), [torch.zeros(s) for s in G.noise_shapes(3)])
    for h in hooks:
        h.remove()
    layer_of = {id(c.affine): i for i, c in enumerate(G.convs)}  # conv i reads style i; resolution r's image, 2r+1
    layer_of |= {id(t.affine): 2 * r + 1 for r, t in enumerate(G.to_images)}
    assert len(seen) == len(affines)
    for module, w in seen:
        expected = w1 if layer_of[id(module)] < 3 else w2
        assert torch.equal(w, expected), layer_of[id(module)]
    assert G.n_layers == 8 and mix_styles(w1, w2, 0, 8).equal(w2[:, None].expand(-1, 8, -1))
    with pytest.raises(ValueError, match=r"crossover must be in \[0, 8\]"):
        mix_styles(w1, w2, 9, 8)


def test_generator_and_discriminator_shapes_and_the_ablation_switches():
    torch.manual_seed(0)
    for kwargs in ({}, {"style": "adain"}, {"noise": False}, {"mapping": False}, {"mixing_prob": 0.0}):
        G = StyleGenerator(channels=8, channel_base=64, **kwargs)
        assert G(torch.randn(4, G.nz)).shape == (4, 1, 28, 28), kwargs
    D = StyleDiscriminator(channels=8, channel_base=64)
    assert D(torch.randn(4, 1, 28, 28)).shape == (4,)
    with pytest.raises(ValueError, match="style='bogus' is not allowed"):
        StyleGenerator(style="bogus")
    with pytest.raises(ValueError, match="w_dim must equal nz"):
        StyleGenerator(nz=32, w_dim=64, mapping=False)


def test_noise_inputs_change_only_what_their_strength_lets_through():
    torch.manual_seed(0)
    G = StyleGenerator(channels=8, channel_base=64).eval()
    w = G.map(torch.randn(2, G.nz))[:, None].expand(-1, G.n_layers, -1)
    a = G.synthesis(w, [torch.randn(s) for s in G.noise_shapes(2)])
    b = G.synthesis(w, [torch.randn(s) for s in G.noise_shapes(2)])
    torch.testing.assert_close(a, b)  # strengths start at 0: noise has no effect before training
    for conv in G.convs:
        conv.noise_strength.data.fill_(0.5)
    assert not torch.allclose(G.synthesis(w, [torch.randn(s) for s in G.noise_shapes(2)]),
                              G.synthesis(w, [torch.randn(s) for s in G.noise_shapes(2)]))


def test_minibatch_std_appends_the_group_spread():
    x = torch.randn(8, 3, 4, 4)
    out = minibatch_std(x, 4)
    assert out.shape == (8, 4, 4, 4) and torch.equal(out[:, :3], x)
    group = x[[0, 2, 4, 6]]  # image k sits in group k mod 2
    expected = (group.var(0, unbiased=False) + 1e-8).sqrt().mean()
    torch.testing.assert_close(out[0, 3], expected.expand(4, 4))
    assert minibatch_std(torch.ones(8, 3, 4, 4), 4)[:, 3].max() < 1e-3  # identical images: no spread
    with pytest.raises(ValueError, match="divisible"):
        minibatch_std(torch.randn(6, 3, 4, 4), 4)


def test_r1_penalty_is_the_mean_squared_gradient_norm_on_reals():
    D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 1))
    x = torch.randn(5, 3, 2, 2)
    expected = D[1].weight.pow(2).sum()  # a linear critic: the same gradient w for every input
    torch.testing.assert_close(r1_penalty(lambda v: D(v).flatten(), x), expected)


def test_the_running_mean_of_w_moves_in_training_only_and_can_be_measured():
    torch.manual_seed(0)
    G = StyleGenerator(channels=8, channel_base=64)
    G.eval()(torch.randn(4, G.nz))
    assert torch.equal(G.w_avg, torch.zeros(G.w_dim))
    G.train()(torch.randn(4, G.nz))
    assert G.w_avg.abs().sum() > 0
    g = torch.Generator().manual_seed(5)
    expected = G.mapping(torch.nn.functional.normalize(torch.randn(100, G.nz, generator=g), dim=1) * G.nz ** 0.5)
    torch.testing.assert_close(G.estimate_w_avg(100, seed=5), expected.mean(0), rtol=1e-4, atol=1e-5)


def test_the_cuda_paths_run_on_the_cpu_for_two_steps():
    """The chapter's configuration (full mode trains it longer) with bf16 autocast and channels_last, on the CPU."""
    from aigc_course.data import TensorLoader
    from aigc_course.train import fit_gan

    torch.manual_seed(0)
    G, D = ch9.CHAPTER.build()
    loader = TensorLoader(torch.randint(0, 256, (16, 1, 28, 28), dtype=torch.uint8), torch.zeros(16, dtype=torch.long),
                          batch_size=8)
    run = fit_gan(G, D, loader, 2, amp=True, channels_last=True, progress=False, **ch9.CHAPTER.fit_kwargs())
    assert run.steps == 2 and all(torch.isfinite(torch.tensor(run.history["loss_d"])))


def test_the_recipe_trains_exports_and_ships_the_ema_generator(tmp_path):
    from aigc_course.recipes import export_recipe, load_trained, run_recipe

    data_dir = real_data_dir_or_skip("FashionMNIST")
    run_recipe("stylegan-fashion", steps=2, device="cpu", out=tmp_path / "run", batch_size=8, progress=False,
               data_dir=data_dir)
    export_recipe("stylegan-fashion", tmp_path / "run", folder=tmp_path)
    G, record = load_trained("stylegan-fashion", folder=tmp_path)
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert record["config"]["weights"] == "ema" and record["steps"] == 2
    for k, v in G.state_dict().items():
        assert torch.equal(v, ckpt["G_ema"][k]), k


def test_the_exercise_checkers_pass_the_references_and_reject_the_classic_mistakes(capsys):
    ex = ch9.exercises
    for name in ("adain", "demodulate", "truncate"):
        assert ex.check(name, ex[name].reference)

    def batch_norm_instead(x, scale, bias):  # statistics over the batch too: batch norm, not instance norm
        mean, var = x.mean((0, 2, 3), keepdim=True), x.var((0, 2, 3), keepdim=True, unbiased=False)
        return scale[:, :, None, None] * (x - mean) / (var + 1e-5).sqrt() + bias[:, :, None, None]

    def unbiased(x, scale, bias):  # torch's default var: n − 1 in the denominator
        return scale[:, :, None, None] * (x - x.mean((2, 3), keepdim=True)) / (
            x.var((2, 3), keepdim=True) + 1e-5).sqrt() + bias[:, :, None, None]

    def demod_over_everything(weight, styles):  # one factor per image, not per output channel
        w = weight[None] * styles[:, None, :, None, None]
        return w * torch.rsqrt(w.pow(2).sum((1, 2, 3, 4), keepdim=True) + 1e-8)

    def modulate_only(weight, styles):  # StyleGAN2 without the demodulation
        return weight[None] * styles[:, None, :, None, None]

    for wrong in (batch_norm_instead, unbiased):
        assert not ex.check("adain", wrong)
    for wrong in (demod_over_everything, modulate_only):
        assert not ex.check("demodulate", wrong)
    assert not ex.check("truncate", lambda w, w_avg, psi: w + psi * (w_avg - w))  # ψ measured from w, not from w̄
    assert not ex.check("truncate", lambda w, w_avg, psi: psi * w)  # shrinks towards 0, not towards the mean w
    assert "hint" in capsys.readouterr().out


def test_a_short_seeded_run_improves_on_the_untrained_generator():
    """200 steps of the chapter's model on Fashion-MNIST. The untrained generator draws near-identical blobs that
    the judge calls "bag" (81 % of them, half with confidence): its confident rate is high and meaningless, so the
    test reads FID and coverage. Measured here: FID 52.8 → 26.5, largest class 81 % → 53 %, 3 → 6 classes."""
    from aigc_course.data import load_dataset, to_unit_range
    from aigc_course.metrics import score_samples

    data_dir = real_data_dir_or_skip("FashionMNIST")
    train = load_dataset("fashion-mnist", "train", data_dir=data_dir, verbose=False)
    real = to_unit_range(load_dataset("fashion-mnist", "test", data_dir=data_dir, verbose=False).images)
    torch.manual_seed(0)
    untrained = score_samples(ch9.samples(ch9.CHAPTER.build()[0], 1000, seed=1), real, "fashion-mnist",
                              with_floor=False)
    run = ch9.train_style(ch9.CHAPTER, train, 200, seed=0, progress=False)
    trained = score_samples(ch9.samples(run.generator, 1000, seed=1), real, "fashion-mnist", with_floor=False)
    assert untrained["class_max_frac"] > 0.6 and trained["fid"] < untrained["fid"] / 1.5
    assert trained["class_max_frac"] < untrained["class_max_frac"] - 0.15
    assert sum(f >= 0.02 for f in trained["class_fractions"]) > sum(f >= 0.02 for f in untrained["class_fractions"])


def test_the_quick_bar_fails_each_way_it_should():
    good = {"fid_style_live": 20.0, "fid_untrained": 50.0, "class_min_frac_style": 0.05,
            "coarse_swap_class_change": 0.9, "fine_swap_class_change": 0.3,
            "fid_by_psi": {"0.0": 50.0, "0.25": 30.0, "0.5": 20.0, "0.75": 15.0, "1.0": 15.5}}
    assert ch9.meets(good, ch9.QUICK_BAR)
    for change in ({"fid_style_live": 40.0}, {"class_min_frac_style": 0.0}, {"fine_swap_class_change": 0.5},
                   {"fid_by_psi": {**good["fid_by_psi"], "1.0": 17.0}}):
        assert not ch9.meets({**good, **change}, ch9.QUICK_BAR), change


def test_the_shipped_generator_loads_into_todays_model_and_draws_every_class():
    """The committed weights match their record and today's generator; their samples cover every garment class and
    coarse style swaps change the class far more often than fine ones (the chapter's claims, on fresh latents)."""
    from aigc_course.data import load_dataset, to_unit_range
    from aigc_course.metrics import load_classifier, score_samples
    from aigc_course.recipes import load_trained

    data_dir = real_data_dir_or_skip("FashionMNIST")
    G, record = load_trained("stylegan-fashion")
    assert record["recipe"] == "stylegan-fashion" and record["steps"] == ch9.SHIPPED_STEPS
    assert record["config"]["recipe"] == {**ch9.CHAPTER.record(), "betas": list(ch9.CHAPTER.betas)}
    real = to_unit_range(load_dataset("fashion-mnist", "test", data_dir=data_dir, verbose=False).images)
    scores = score_samples(ch9.samples(G, 1000, seed=123), real, "fashion-mnist", with_floor=False)
    assert scores["class_min_frac"] >= 0.02 and scores["confident_rate"] > 0.3
    swaps = ch9.swap_class_change(G, load_classifier("fashion-mnist"), 500, seed=123)
    assert swaps["coarse"] >= 2 * swaps["fine"], swaps
