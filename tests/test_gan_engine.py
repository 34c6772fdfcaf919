"""fit_gan and fit: the algorithm, bit-exact resume, the divergence guard, checkpoint safety, errors."""
import pytest
import torch
from torch import nn

from aigc_course import fit, fit_gan
from aigc_course.chapters.ch01_gan_math.mistakes import textbook_step
from aigc_course.data import load_dataset
from aigc_course.models import Discriminator, Generator
from aigc_course.train import CheckpointError, DivergenceError, classification_loss, load_checkpoint, save_checkpoint
from aigc_course.train.loop import set_lr


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist", "test", verbose=False)  # the bundled, md5-verified real digits


def small_nets(seed=0, ngf=8, ndf=8):
    torch.manual_seed(seed)
    return Generator(nz=16, ngf=ngf), Discriminator(ndf=ndf)


def state(*modules):
    return [t.clone() for m in modules for t in m.state_dict().values()]


def assert_same(a, b):
    assert len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def test_matches_the_textbook_step(mnist):
    """Three engine steps equal three steps of the correct algorithm written out plainly."""
    loader = mnist.loader(32, seed=0, drop_last=True)
    G, D = small_nets()
    G_ref, D_ref = small_nets()
    run = fit_gan(G, D, loader, 3, progress=False, seed=0)
    opt_g = torch.optim.Adam(G_ref.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D_ref.parameters(), lr=2e-4, betas=(0.5, 0.999))
    z_gen = torch.Generator().manual_seed(0)
    batches = loader.batches()
    for _ in range(3):
        textbook_step(G_ref, D_ref, opt_g, opt_d, next(batches)[0], torch.randn(32, 16, generator=z_gen))
    for a, b in zip(state(run.G, run.D), state(G_ref, D_ref)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [
    {"objective": "nonsaturating", "ema_decay": 0.9},
    {"objective": "wgan-gp", "n_critic": 2, "lr_d": 1e-4},
])
def test_resume_equals_uninterrupted_bit_for_bit(mnist, tmp_path, kwargs):
    loader = mnist.loader(16, seed=1, drop_last=True)
    common = dict(progress=False, seed=3, log_every=2, sample_every=4, n_samples=8, **kwargs)
    straight = fit_gan(*small_nets(), loader, 11, checkpoint_dir=tmp_path / "a", **common)
    fit_gan(*small_nets(), loader, 6, checkpoint_dir=tmp_path / "b", **common)  # "interrupted" after 6
    resumed = fit_gan(*small_nets(seed=99), loader, 11, checkpoint_dir=tmp_path / "b", resume=True, **common)
    assert_same(state(straight.G, straight.D), state(resumed.G, resumed.D))
    if straight.G_ema is not None:
        assert_same(state(straight.G_ema), state(resumed.G_ema))
    assert straight.history.values == resumed.history.values and straight.history.steps == list(range(11))
    assert straight.history.snapshot_steps == resumed.history.snapshot_steps == [4, 8]
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 11


def test_conditional_pair_trains_and_resumes_bit_for_bit(mnist, tmp_path):
    def nets(seed=0):
        torch.manual_seed(seed)
        return Generator(nz=16, ngf=8, n_classes=10), Discriminator(ndf=8, n_classes=10)

    loader = mnist.loader(16, seed=1, drop_last=True)
    common = dict(progress=False, seed=3, log_every=2, sample_every=4, n_samples=10)
    straight = fit_gan(*nets(), loader, 7, checkpoint_dir=tmp_path / "a", **common)
    fit_gan(*nets(), loader, 4, checkpoint_dir=tmp_path / "b", **common)
    resumed = fit_gan(*nets(seed=99), loader, 7, checkpoint_dir=tmp_path / "b", resume=True, **common)
    assert_same(state(straight.G, straight.D), state(resumed.G, resumed.D))
    assert straight.history.values == resumed.history.values
    assert straight.history.snapshots[-1].shape == (10, 1, 28, 28)  # one sample per class
    with pytest.raises(CheckpointError, match="n_classes: checkpoint 10 vs this run 0"):  # nor unconditional
        fit_gan(*small_nets(), loader, 9, checkpoint_dir=tmp_path / "b", resume=True, **common)


def test_conditional_pairs_must_match(mnist):
    loader = mnist.loader(16, drop_last=True)
    with pytest.raises(ValueError, match="G has n_classes=10 but D has n_classes=0"):
        fit_gan(Generator(nz=16, ngf=8, n_classes=10), Discriminator(ndf=8), loader, 2, progress=False)
    with pytest.raises(ValueError, match="objective='wgan-gp' is not allowed with a class-conditional pair"):
        fit_gan(Generator(nz=16, ngf=8, n_classes=10), Discriminator(ndf=8, n_classes=10), loader, 2,
                objective="wgan-gp", progress=False)


def test_lr_schedule_decays_and_a_crashed_run_resumes_exactly(mnist, tmp_path):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    for schedule, step, want in (("linear", 5, 0.5), ("cosine", 5, 0.5), ("cosine", 0, 1.0), ("constant", 9, 1.0)):
        opt.param_groups[0]["lr"] = 1.0
        set_lr([opt], [1.0], schedule, step, 10)
        assert opt.param_groups[0]["lr"] == pytest.approx(want)

    def crash(step, history, samples):
        if step == 8:
            raise KeyboardInterrupt  # a user stopping the run after the step-6 checkpoint

    loader = mnist.loader(16, seed=1, drop_last=True)
    common = dict(progress=False, seed=3, log_every=2, schedule="linear", checkpoint_every=6)
    straight = fit_gan(*small_nets(), loader, 11, checkpoint_dir=tmp_path / "a", **common)
    with pytest.raises(KeyboardInterrupt):
        fit_gan(*small_nets(), loader, 11, checkpoint_dir=tmp_path / "b", sample_every=4, n_samples=4, live=crash,
                **common)
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 6
    resumed = fit_gan(*small_nets(seed=99), loader, 11, checkpoint_dir=tmp_path / "b", resume=True, **common)
    assert_same(state(straight.G, straight.D), state(resumed.G, resumed.D))


class NaNAfter(nn.Module):
    """A discriminator that starts returning NaN after ``calls`` forward passes."""

    def __init__(self, D, calls):
        super().__init__()
        self.D, self.calls, self.seen = D, calls, 0

    def forward(self, x):
        self.seen += 1
        out = self.D(x)
        return out * float("nan") if self.seen > self.calls else out


def test_divergence_stops_with_step_and_keeps_last_good_checkpoint(mnist, tmp_path):
    G, D = small_nets()
    # 3 D forwards per step (real, fake, fake for G): NaN appears in step 8 (1-based).
    expected = r"diverged at step 8: loss_d = nan\. The last good checkpoint is .*step 6"
    with pytest.raises(DivergenceError, match=expected):
        fit_gan(G, NaNAfter(D, calls=21), mnist.loader(16, drop_last=True), 20, progress=False, log_every=4,
                checkpoint_dir=tmp_path, checkpoint_every=3)
    good = load_checkpoint(tmp_path / "checkpoint.pt")
    assert good["step"] == 6 and all(torch.isfinite(t).all() for t in good["G"].values())


def test_checkpoint_write_is_atomic_under_a_crash(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint({"step": 1, "w": torch.ones(3)}, path)

    def crash_mid_write(obj, f):
        f.write(b"PK\x03\x04 half a zip file")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(torch, "save", crash_mid_write)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"step": 2, "w": torch.zeros(3)}, path)
    monkeypatch.undo()
    survived = load_checkpoint(path)
    assert survived["step"] == 1 and torch.equal(survived["w"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temporary file left behind


def test_corrupt_checkpoint_is_reported_and_nothing_is_loaded(mnist, tmp_path):
    loader = mnist.loader(16, drop_last=True)
    fit_gan(*small_nets(), loader, 2, progress=False, checkpoint_dir=tmp_path)
    ckpt = tmp_path / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])  # truncated
    G, D = small_nets(seed=5)
    before = state(G, D)
    with pytest.raises(CheckpointError, match="corrupt or unreadable"):
        fit_gan(G, D, loader, 4, progress=False, checkpoint_dir=tmp_path, resume=True)
    assert_same(before, state(G, D))


def test_incompatible_checkpoint_is_rejected_before_loading(mnist, tmp_path):
    loader = mnist.loader(16, drop_last=True)
    fit_gan(*small_nets(), loader, 2, progress=False, checkpoint_dir=tmp_path)
    G, D = small_nets(seed=5, ndf=16)  # a wider D than the one saved
    before = state(G, D)
    with pytest.raises(CheckpointError, match="does not fit this D"):
        fit_gan(G, D, loader, 4, progress=False, checkpoint_dir=tmp_path, resume=True)
    assert_same(before, state(G, D))
    with pytest.raises(CheckpointError, match="different settings.*objective: checkpoint 'nonsaturating'"):
        fit_gan(*small_nets(), loader, 4, objective="hinge", progress=False, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(CheckpointError, match="different settings.*schedule: checkpoint 'constant'"):
        fit_gan(*small_nets(), loader, 4, schedule="cosine", progress=False, checkpoint_dir=tmp_path, resume=True)


def test_checkpoints_load_with_weights_only(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))

    torch.save({"step": 1, "payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="corrupt or unreadable"):
        load_checkpoint(tmp_path / "evil.pt")


@pytest.mark.parametrize("kwargs, match", [
    ({"objective": "wgan"}, "objective='wgan'"),
    ({"steps": 0}, "steps=0"),
    ({"ema_decay": 1.5}, "ema_decay=1.5"),
    ({"lr_g": -1.0}, "lr_g=-1.0"),
    ({"resume": True}, "resume=True needs checkpoint_dir"),
    ({"amp": "bf16"}, "amp='bf16'"),
    ({"schedule": "step"}, "schedule='step'"),
])
def test_bad_arguments_fail_before_training(mnist, kwargs, match):
    G, D = small_nets()
    before = state(G, D)
    args = {"steps": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        fit_gan(G, D, mnist.loader(16), progress=False, **args)
    assert_same(before, state(G, D))


def test_loader_for_another_rank_is_refused(mnist):
    with pytest.raises(ValueError, match="rank 1 of 2 but this process is rank 0 of 1"):
        fit_gan(*small_nets(), mnist.loader(16, rank=1, world_size=2), 2, progress=False)


def test_cuda_code_paths_on_cpu_equivalents(mnist):
    """bf16 autocast and channels_last (the CUDA defaults) run on the CPU and give finite losses."""
    loader = mnist.loader(16, drop_last=True, channels_last=True)
    run = fit_gan(*small_nets(), loader, 4, amp=True, channels_last=True, progress=False, log_every=1,
                  objective="hinge", ema_decay=0.99)
    assert len(run.history["loss_d"]) == 4 and all(map(torch.isfinite, torch.tensor(run.history["loss_g"])))
    assert run.G.net[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_torch_compile_on_cpu(mnist):
    G, D = small_nets()
    run = fit_gan(G, D, mnist.loader(16, drop_last=True), 2, compile=True, progress=False, log_every=1)
    assert run.G is G and len(run.history["loss_g"]) == 2


def test_torch_compile_on_cpu_with_a_conditional_pair(mnist):
    G, D = Generator(nz=16, ngf=8, n_classes=10), Discriminator(ndf=8, n_classes=10)
    run = fit_gan(G, D, mnist.loader(16, drop_last=True), 2, compile=True, amp=True, progress=False, log_every=1)
    assert len(run.history["loss_g"]) == 2 and torch.isfinite(run.sample(10)).all()


def test_history_plot_has_labelled_panels(mnist):
    run = fit_gan(*small_nets(), mnist.loader(16, drop_last=True), 6, progress=False, log_every=2)
    fig = run.history.plot(smooth=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["losses (mean over 2 steps)", "discriminator outputs (mean over 2 steps)"]
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["D(x)", "D(G(z))"]
    assert run.sample(10).shape == (10, 1, 28, 28)


def test_fit_lowers_a_classifier_loss_and_resumes_exactly(mnist, tmp_path):
    def model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

    loader = mnist.loader(64, seed=0, drop_last=True, value_range=(0.0, 1.0))
    run = fit(model(), loader, classification_loss, 60, lr=1e-2, log_every=10, progress=False)
    loss, acc = run.history["loss"], run.history["accuracy"]
    assert sum(loss[-10:]) / 10 < 0.6 * sum(loss[:10]) / 10 and sum(acc[-10:]) / 10 > 0.8
    kw = dict(progress=False, schedule="cosine", checkpoint_every=2)
    straight = fit(model(), loader, classification_loss, 9, checkpoint_dir=tmp_path / "a", **kw)
    calls = []

    def crashes_at_step_6(m, x, y):  # a real interruption: mid-run, after the step-4 checkpoint
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt("power cut")
        return classification_loss(m, x, y)

    with pytest.raises(KeyboardInterrupt):
        fit(model(), loader, crashes_at_step_6, 9, checkpoint_dir=tmp_path / "b", **kw)
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 4
    resumed = fit(model(), loader, classification_loss, 9, checkpoint_dir=tmp_path / "b", resume=True, **kw)
    assert_same(state(straight.model), state(resumed.model))
    assert straight.history.values == resumed.history.values
