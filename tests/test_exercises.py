import pytest
import torch

from aigc_course import exercises


def test_reference_answers_pass(capsys):
    assert exercises.check("to_tanh_range", lambda x: x.float() / 127.5 - 1)
    assert exercises.check("batches_per_epoch", lambda n, b, drop: n // b if drop else -(-n // b))
    assert "✓" in capsys.readouterr().out


def test_wrong_answers_are_rejected_with_a_hint(capsys):
    assert not exercises.check("to_tanh_range", lambda x: x.float() / 255)  # [0, 1], not [-1, 1]
    assert "hint: 0 must map to -1.0" in capsys.readouterr().out
    assert not exercises.check("batches_per_epoch", lambda n, b, drop: n // b)  # forgets the last batch
    assert not exercises.check("to_tanh_range", lambda x: x.float() / 127 - 1)  # 255 -> 1.008
    assert not exercises.check("to_tanh_range", lambda x: (x.float() / 127.5 - 1).flatten())


def test_unfinished_stub_reports_not_crash(capsys):
    def stub(x):
        raise NotImplementedError("replace this line with your answer")

    assert exercises.check("to_tanh_range", stub) is False
    assert "raised NotImplementedError" in capsys.readouterr().out


def test_show_solution_and_unknown(capsys):
    exercises.show_solution("to_tanh_range")
    assert "def to_tanh_range" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown exercise 'nope'; choose one of"):
        exercises.check("nope", print)


def test_chapter1_references_pass_and_common_mistakes_fail(capsys):
    import torch.nn.functional as F

    assert exercises.check("discriminator_loss",
                           lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean())
    assert not exercises.check("discriminator_loss",  # BCELoss-style sign error: maximises instead
                               lambda r, f: -(F.softplus(-r).mean() + F.softplus(f).mean()))
    assert not exercises.check("discriminator_loss", lambda r, f: F.softplus(-r).mean() + F.softplus(-f).mean())
    assert exercises.check("generator_loss_nonsaturating", lambda f: F.softplus(-f).mean())
    assert not exercises.check("generator_loss_nonsaturating", lambda f: -F.softplus(f).mean())  # saturating
    assert not exercises.check("generator_loss_nonsaturating", lambda f: -F.softplus(-f).mean())  # wrong sign

    def gp(critic, real, fake, eps):
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
        return ((g.norm(dim=1) - 1) ** 2).mean()

    def gp_no_square(critic, real, fake, eps):
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
        return (g.norm(dim=1) - 1).abs().mean()

    assert exercises.check("gradient_penalty", gp)
    assert not exercises.check("gradient_penalty", gp_no_square)


def test_chapter3_hinge_exercise_rejects_the_usual_mistakes():
    import torch.nn.functional as F

    assert exercises.check("hinge_discriminator_loss", lambda r, f: F.relu(1 - r).mean() + F.relu(1 + f).mean())
    assert not exercises.check("hinge_discriminator_loss", lambda r, f: F.relu(1 - r).mean() + F.relu(1 - f).mean())
    assert not exercises.check("hinge_discriminator_loss",  # a sigmoid first: hinge works on raw scores
                               lambda r, f: F.relu(1 - r.sigmoid()).mean() + F.relu(1 + f.sigmoid()).mean())
    assert not exercises.check("hinge_discriminator_loss", lambda r, f: (F.relu(1 - r) + F.relu(1 + f)).sum())


def test_torn_rate_checker_accepts_the_answer_and_rejects_near_misses():
    def answer(probs):
        top2 = probs.topk(2, dim=1).values
        return ((top2[:, 0] < 0.9) & (top2.sum(1) >= 0.9)).float().mean().item()

    assert exercises.check("torn_rate", answer)
    assert not exercises.check("torn_rate", lambda p: (p.max(1).values < 0.9).float().mean().item())  # all unconfident
    assert not exercises.check("torn_rate", lambda p: ((p.topk(2, dim=1).values.sum(1) >= 0.9)).float().mean().item())


def test_torn_between_two_flags_only_two_way_doubt():
    from aigc_course.metrics import torn_between_two

    probs = torch.tensor([[0.95, 0.05, 0.0], [0.6, 0.35, 0.05], [0.4, 0.3, 0.3], [0.5, 0.4, 0.1]])
    assert torn_between_two(probs).tolist() == [False, True, False, True]
