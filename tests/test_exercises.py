import pytest
import torch

from aigc_course.chapters import ch00_setup, ch01_gan_math, ch02_dcgan_mnist, ch03_dcgan_cifar10

CH1, CH2, CH3 = ch01_gan_math.exercises, ch02_dcgan_mnist.exercises, ch03_dcgan_cifar10.exercises


def test_reference_answers_pass(capsys):
    assert ch00_setup.exercises.check("to_tanh_range", lambda x: x.float() / 127.5 - 1)
    assert ch00_setup.exercises.check("batches_per_epoch", lambda n, b, drop: n // b if drop else -(-n // b))
    assert "✓" in capsys.readouterr().out


def test_wrong_answers_are_rejected_with_a_hint(capsys):
    assert not ch00_setup.exercises.check("to_tanh_range", lambda x: x.float() / 255)  # [0, 1], not [-1, 1]
    assert "hint: 0 must map to -1.0" in capsys.readouterr().out
    assert not ch00_setup.exercises.check("batches_per_epoch", lambda n, b, drop: n // b)  # forgets the last batch
    assert not ch00_setup.exercises.check("to_tanh_range", lambda x: x.float() / 127 - 1)  # 255 -> 1.008
    assert not ch00_setup.exercises.check("to_tanh_range", lambda x: (x.float() / 127.5 - 1).flatten())


def test_unfinished_stub_reports_not_crash(capsys):
    def stub(x):
        raise NotImplementedError("replace this line with your answer")

    assert ch00_setup.exercises.check("to_tanh_range", stub) is False
    assert "raised NotImplementedError" in capsys.readouterr().out


def test_show_solution_and_unknown(capsys):
    ch00_setup.exercises.show_solution("to_tanh_range")
    assert "def to_unit_range" in capsys.readouterr().out  # the library function the loader really uses
    with pytest.raises(ValueError, match="exercise='nope' is not allowed; choose one of"):
        ch00_setup.exercises.check("nope", print)


def test_chapter1_references_pass_and_common_mistakes_fail(capsys):
    import torch.nn.functional as F

    assert CH1.check("discriminator_loss",
                           lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean())
    assert not CH1.check("discriminator_loss",  # BCELoss-style sign error: maximises instead
                               lambda r, f: -(F.softplus(-r).mean() + F.softplus(f).mean()))
    assert not CH1.check("discriminator_loss", lambda r, f: F.softplus(-r).mean() + F.softplus(-f).mean())
    assert CH1.check("generator_loss_nonsaturating", lambda f: F.softplus(-f).mean())
    assert not CH1.check("generator_loss_nonsaturating", lambda f: -F.softplus(f).mean())  # saturating
    assert not CH1.check("generator_loss_nonsaturating", lambda f: -F.softplus(-f).mean())  # wrong sign

    def gp(critic, real, fake, eps):
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
        return ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def gp_no_square(critic, real, fake, eps):
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
        return (g.flatten(1).norm(dim=1) - 1).abs().mean()

    assert CH1.check("gradient_penalty", gp)
    assert not CH1.check("gradient_penalty", gp_no_square)


def test_chapter3_hinge_exercise_rejects_the_usual_mistakes():
    import torch.nn.functional as F

    assert CH3.check("hinge_discriminator_loss", lambda r, f: F.relu(1 - r).mean() + F.relu(1 + f).mean())
    assert not CH3.check("hinge_discriminator_loss", lambda r, f: F.relu(1 - r).mean() + F.relu(1 - f).mean())
    assert not CH3.check("hinge_discriminator_loss",  # a sigmoid first: hinge works on raw scores
                               lambda r, f: F.relu(1 - r.sigmoid()).mean() + F.relu(1 + f.sigmoid()).mean())
    assert not CH3.check("hinge_discriminator_loss", lambda r, f: (F.relu(1 - r) + F.relu(1 + f)).sum())


def test_torn_rate_checker_accepts_the_answer_and_rejects_near_misses():
    def answer(probs):
        top2 = probs.topk(2, dim=1).values
        return ((top2[:, 0] < 0.9) & (top2.sum(1) >= 0.9)).float().mean().item()

    assert CH2.check("torn_rate", answer)
    assert not CH2.check("torn_rate", lambda p: (p.max(1).values < 0.9).float().mean().item())  # all unconfident
    assert not CH2.check("torn_rate", lambda p: (p.topk(2, dim=1).values.sum(1) >= 0.9).float().mean().item())


def test_torn_between_two_flags_only_two_way_doubt():
    from aigc_course.metrics import torn_between_two

    probs = torch.tensor([[0.95, 0.05, 0.0], [0.6, 0.35, 0.05], [0.4, 0.3, 0.3], [0.5, 0.4, 0.1]])
    assert torn_between_two(probs).tolist() == [False, True, False, True]


def test_checkers_reject_the_classic_mistakes_the_chapters_warn_about(capsys):
    def gp_without_create_graph(critic, real, fake, eps):
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x)  # the value is right, but the critic cannot learn from it
        return ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def gp_without_flatten(critic, real, fake, eps):
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
        return ((g.norm(dim=1) - 1) ** 2).mean()  # right for (N, 2) points, wrong for (N, C, H, W) images

    capsys.readouterr()
    assert not CH1.check("gradient_penalty", gp_without_create_graph)
    assert "no gradient with respect to the critic's weights" in capsys.readouterr().out
    assert not CH1.check("gradient_penalty", gp_without_flatten)
    assert not CH1.check("generator_loss_nonsaturating", lambda f: -torch.log(torch.sigmoid(f)).mean())  # inf at -100
    assert not CH1.check("discriminator_loss", lambda r, f: -(torch.log(torch.sigmoid(r)).mean()
                                                               + torch.log(1 - torch.sigmoid(f)).mean()))
    assert not ch00_setup.exercises.check("to_tanh_range", lambda x: x.double() / 127.5 - 1)  # float64, not float32
    assert "float64 tensor" in capsys.readouterr().out
    assert not CH2.check("confident_rate", lambda p: (p.max(1).values > 0.9).double().mean().item())  # > not >=
    assert CH2.check("confident_rate", lambda p: (p.max(1).values >= 0.9).double().mean().item())

    def torn_strict(p):
        top2 = p.topk(2, dim=1).values
        return ((top2[:, 0] < 0.9) & (top2.sum(1) > 0.9)).double().mean().item()

    assert not CH2.check("torn_rate", torn_strict)


def test_checking_never_touches_the_learners_random_stream():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    CH1.check("gradient_penalty", lambda critic, real, fake, eps: torch.zeros(()))
    CH2.check("slerp", lambda z0, z1, t: z0)
    assert torch.equal(torch.rand(3), expected)
