"""The GAN objectives against hand-computed values, and the direction each one pushes D(G(z))."""
import math

import pytest
import torch
import torch.nn.functional as F

from aigc_course.train import OBJECTIVES, d_loss, g_loss, gradient_penalty

REAL = torch.tensor([0.0, 2.0])
FAKE = torch.tensor([0.0, -1.0])
sp = lambda v: math.log1p(math.exp(v))  # softplus  # noqa: E731


def test_cross_entropy_d_loss_by_hand():
    expected = (sp(-0.0) + sp(-2.0)) / 2 + (sp(0.0) + sp(-1.0)) / 2
    for objective in ("minimax", "nonsaturating"):
        assert d_loss(objective, REAL, FAKE).item() == pytest.approx(expected, rel=1e-6)
    bce = (F.binary_cross_entropy_with_logits(REAL, torch.ones(2))
           + F.binary_cross_entropy_with_logits(FAKE, torch.zeros(2)))
    assert d_loss("nonsaturating", REAL, FAKE).item() == pytest.approx(bce.item(), rel=1e-6)


def test_hinge_and_wasserstein_d_loss_by_hand():
    # relu(1 - [0, 2]) = [1, 0]; relu(1 + [0, -1]) = [1, 0]
    assert d_loss("hinge", REAL, FAKE).item() == pytest.approx(0.5 + 0.5)
    assert d_loss("wgan-gp", REAL, FAKE).item() == pytest.approx(-0.5 - 1.0)


def test_g_losses_by_hand():
    assert g_loss("minimax", FAKE).item() == pytest.approx(-(sp(0.0) + sp(-1.0)) / 2, rel=1e-6)
    assert g_loss("nonsaturating", FAKE).item() == pytest.approx((sp(0.0) + sp(1.0)) / 2, rel=1e-6)
    assert g_loss("hinge", FAKE).item() == pytest.approx(0.5)
    assert g_loss("wgan-gp", FAKE).item() == pytest.approx(0.5)


def _step_moves_d_of_fake_up(loss_fn) -> bool:
    """One gradient step of a generator on ``loss_fn`` must raise the mean D(G(z)) under a fixed D."""
    torch.manual_seed(0)
    G = torch.nn.Linear(4, 3)
    D = torch.nn.Linear(3, 1)
    z = torch.randn(64, 4)
    before = torch.sigmoid(D(G(z))).mean().item()
    opt = torch.optim.SGD(G.parameters(), lr=0.1)
    opt.zero_grad()
    loss_fn(D(G(z)).flatten()).backward()
    opt.step()
    return torch.sigmoid(D(G(z))).mean().item() > before


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_every_generator_objective_moves_d_of_fake_up(objective):
    assert _step_moves_d_of_fake_up(lambda logits: g_loss(objective, logits))


def test_a_wrong_sign_generator_loss_is_caught():
    # The mistake in the source articles: the generator minimising log D(G(z)) instead of −log D(G(z)).
    wrong = lambda logits: -F.softplus(-logits).mean()  # = E[log D(G(z))]  # noqa: E731
    assert not _step_moves_d_of_fake_up(wrong)


def test_gradient_penalty_by_hand():
    real, fake = torch.randn(8, 3), torch.randn(8, 3)
    unit = torch.nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        unit.weight.copy_(torch.tensor([[0.6, 0.8, 0.0]]))  # ‖w‖ = 1: a 1-Lipschitz critic, no penalty
    assert gradient_penalty(unit, real, fake).item() == pytest.approx(0.0, abs=1e-6)
    with torch.no_grad():
        unit.weight.mul_(3.0)  # ‖∇D‖ = 3 everywhere: penalty (3 − 1)² = 4
    assert gradient_penalty(unit, real, fake).item() == pytest.approx(4.0, rel=1e-5)
    assert unit.weight.grad is None  # only the input was differentiated


def test_unknown_objective_names_the_allowed():
    allowed = "objective='wgan' is not allowed; choose one of 'minimax', 'nonsaturating', 'hinge', 'wgan-gp'"
    with pytest.raises(ValueError, match=allowed):
        g_loss("wgan", FAKE)
