"""The shared skeleton: a new kind of model trains through ``train`` with a Task of its own, and gets
resume, EMA, schedules, checkpoints and the NaN guard without a new argument anywhere."""
import pytest
import torch
from torch import nn

from aigc_course import fit
from aigc_course.data import TensorLoader
from aigc_course.train import EMA, Context, DivergenceError, Task, load_checkpoint, train


class PairedL1(Task):
    """A pix2pix-shaped task: a conditioning image in, a target image out, an L1 loss, a noise stream of its own."""

    format = "test-paired-v1"
    desc = "paired"

    def __init__(self, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1))
        self.seed = seed

    def setup(self, ctx: Context) -> None:
        self.net = self.net.to(ctx.device, memory_format=ctx.memory_format)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-2)
        self.noise = torch.Generator(device=ctx.device).manual_seed(self.seed)

    def modules(self):
        return {"net": self.net}

    def optimizers(self):
        return {"opt": self.opt}

    def state(self):
        return {"noise": self.noise.get_state()}

    def load_state(self, state, start):
        self.noise.set_state(state["noise"])

    def compile(self, ctx: Context) -> None:
        self.step_net = ctx.wrap(self.net)

    def step(self, step, batches, ctx):
        batch = next(batches)
        condition = batch.condition + 0.01 * torch.randn(batch.condition.shape, generator=self.noise)
        with ctx.autocast():
            loss = (self.step_net(condition) - batch.target).abs().mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss_l1": loss}

    def snapshot(self, n, seed, ctx):
        with torch.no_grad():
            return (ctx.ema.module if ctx.ema else self.net)(torch.zeros(n, 1, 8, 8))


def paired_loader(n: int = 64) -> TensorLoader:
    g = torch.Generator().manual_seed(0)
    target = torch.randint(0, 256, (n, 1, 8, 8), dtype=torch.uint8, generator=g)
    condition = (255 - target)  # learn to invert an image: a real mapping, exactly learnable
    return TensorLoader(fields={"condition": condition, "target": target}, batch_size=16, seed=0, drop_last=True)


def weights(*modules):
    return [t.clone() for m in modules for t in m.state_dict().values()]


def test_a_new_task_trains_and_resumes_bit_for_bit_with_ema_and_schedule(tmp_path):
    loader = paired_loader()
    kw = dict(schedule="cosine", ema_of="net", ema_decay=0.9, checkpoint_every=3, sample_every=4, n_samples=2,
              log_every=2, progress=False)
    learn = PairedL1()
    train(learn, loader, 120, **{**kw, "checkpoint_every": None})
    assert learn.opt.param_groups[0]["lr"] < 1e-4  # cosine reached ~0
    task_a = PairedL1()
    straight = train(task_a, loader, 10, checkpoint_dir=tmp_path / "a", **kw)

    class Crashes(PairedL1):  # a real interruption: mid-run, after the step-6 checkpoint
        def step(self, step, batches, ctx):
            if step == 7:
                raise KeyboardInterrupt("power cut")
            return super().step(step, batches, ctx)

    with pytest.raises(KeyboardInterrupt):
        train(Crashes(), loader, 10, checkpoint_dir=tmp_path / "b", **kw)
    saved = load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert saved["format"] == "test-paired-v1" and saved["step"] == 6 and "net_ema" in saved and "noise" in saved
    task_b = PairedL1(seed=5)  # other initial weights and noise: all of it must come from the checkpoint
    task_b.seed = 0
    resumed = train(task_b, loader, 10, checkpoint_dir=tmp_path / "b", resume=True, **kw)
    assert all(torch.equal(a, b) for a, b in zip(weights(task_a.net, straight.ema), weights(task_b.net, resumed.ema)))
    assert straight.history.values == resumed.history.values and straight.history.snapshot_steps == [4, 8]
    assert not all(torch.equal(a, b) for a, b in zip(weights(task_a.net), weights(straight.ema)))  # EMA lags


def test_ema_is_the_average_it_claims_with_a_warm_up():
    net = nn.Linear(2, 1)
    ema = EMA(net, 0.75)
    ema.updates = 100  # past the warm-up: d_t = min(0.75, 101 / 110) = 0.75
    with torch.no_grad():
        before = ema.module.weight.clone()
        net.weight.add_(1.0)
    ema.update()
    assert torch.allclose(ema.module.weight, 0.75 * before + 0.25 * net.weight) and ema.updates == 101
    fresh = EMA(net, 0.999)
    assert fresh.current_decay() == pytest.approx(0.1)  # (1 + 0) / (10 + 0): the first average is mostly the network
    with pytest.raises(ValueError, match="ema_decay=1.5 is not allowed"):
        EMA(net, 1.5)


def test_ema_forgets_the_initialisation_and_averages_batch_norm_statistics():
    """Without the warm-up, 0.999 ** 2000 = 13.5 % of the average would still be the untrained network."""
    net = nn.Sequential(nn.Linear(1, 1, bias=False), nn.BatchNorm1d(1))
    with torch.no_grad():
        net[0].weight.fill_(1.0)  # the "initialisation"
    ema = EMA(net, 0.999)
    with torch.no_grad():
        net[0].weight.zero_()  # training moved every weight away from it at once
        net[1].running_mean.fill_(4.0)
        net[1].num_batches_tracked.fill_(7)
    for _ in range(2000):
        ema.update()
    assert ema.module[0].weight.item() < 1e-3  # the initialisation's share of the average
    assert ema.module[1].running_mean.item() == pytest.approx(4.0, abs=1e-2)  # averaged towards the network's ...
    assert ema.module[1].num_batches_tracked.item() == 7  # ... counters copied
    single = EMA(net, 0.999)
    with torch.no_grad():
        net[1].running_mean.fill_(0.0)
    single.update()  # one update: the statistics move by 1 - d_0 = 0.9 of the way, they are not replaced
    assert single.module[1].running_mean.item() == pytest.approx(0.4)


def test_the_skeleton_refuses_bad_settings_before_any_work():
    loader = paired_loader()
    with pytest.raises(ValueError, match="ema_of='net' and ema_decay=None"):
        train(PairedL1(), loader, 2, ema_of="net", progress=False)
    with pytest.raises(ValueError, match="ema_of='model' is not allowed; choose one of 'net'"):
        train(PairedL1(), loader, 2, ema_of="model", ema_decay=0.9, progress=False)
    with pytest.raises(ValueError, match="schedule='step' is not allowed"):
        train(PairedL1(), loader, 2, schedule="step", progress=False)


def test_nan_guard_and_fit_with_ema():
    class Explodes(PairedL1):
        def step(self, step, batches, ctx):
            out = super().step(step, batches, ctx)
            return {"loss_l1": out["loss_l1"] * (float("nan") if step == 4 else 1.0)}

    with pytest.raises(DivergenceError, match="diverged at step 5: loss_l1 = nan"):
        train(Explodes(), paired_loader(), 8, progress=False, log_every=2)
    loader = TensorLoader(torch.randn(64, 3), torch.randn(64), batch_size=16, drop_last=True)
    torch.manual_seed(0)
    run = fit(nn.Linear(3, 1), loader, lambda m, x, y: (((m(x).squeeze(1) - y) ** 2).mean(), {}), 6, ema_decay=0.5,
              progress=False)
    assert run.ema is not None and run.averaged is run.ema
    assert not torch.equal(run.ema.weight, run.model.weight)


def test_auto_layout_stores_image_batches_and_weights_channels_last_and_leaves_other_tensors_alone():
    """``channels_last="auto"`` is NHWC on the CPU too (benchmarks/memory_format.py); a 2-D batch (the fit above,
    chapter 1's point clouds) passes through unchanged, where ``contiguous(memory_format=channels_last)`` fails."""
    from aigc_course.train.loop import in_layout

    seen = []

    class Watch(PairedL1):
        def setup(self, ctx):
            super().setup(ctx)
            seen.append(ctx.memory_format)

    task = Watch()
    train(task, paired_loader(), 2, progress=False)
    assert seen == [torch.channels_last] and task.net[0].weight.is_contiguous(memory_format=torch.channels_last)
    flat = torch.randn(4, 3)
    assert in_layout(flat, torch.channels_last) is flat
    assert in_layout(torch.randn(2, 3, 4, 4), torch.channels_last).is_contiguous(memory_format=torch.channels_last)
