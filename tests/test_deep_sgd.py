"""The deep trainer (lib/engine/deep_sgd.py): one step is autograd's gradient with He et al. §3's update, on the
fused CPU path and on torch's ops alike, and the per-net learning rate follows torch's ReduceLROnPlateau."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from lib.engine import deep_sgd
from lib.engine.deep_sgd import SgdSetting, matmul_flops_per_sample, sgd_step
from lib.nets.plateau import Plateau, PlateauState

WIDTHS = [20, 16, 16, 5]


def stack(count=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    weights = [torch.randn(count, a, b, generator=generator, dtype=torch.float64) * 0.3
               for a, b in zip(WIDTHS, WIDTHS[1:])]
    biases = [torch.randn(count, 1, b, generator=generator, dtype=torch.float64) * 0.1 for b in WIDTHS[1:]]
    x = torch.randn(count, 7, WIDTHS[0], generator=generator, dtype=torch.float64)
    labels = torch.randint(0, WIDTHS[-1], (count, 7), generator=generator)
    return weights, biases, x, labels


def autograd_step(weights, biases, x, labels, rate, velocity, setting):
    """The same step by autograd and torch's ops: V ← μV − lr·(g + λW) (no decay on biases), W ← W + V."""
    params = [t.clone().requires_grad_() for t in weights + biases]
    h = x
    for l in range(len(weights)):
        h = torch.baddbmm(params[len(weights) + l], h, params[l])
        h = h.relu() if l < len(weights) - 1 else h
    loss = torch.nn.functional.cross_entropy(h.transpose(1, 2), labels, reduction="none").mean(dim=1)
    loss.sum().backward()
    step = rate.view(-1, 1, 1)
    moved = []
    for i, p in enumerate(params):
        decay = setting.weight_decay if i < len(weights) else 0.0
        v = setting.momentum * velocity[i] - step * (p.grad + decay * p.detach())
        moved.append((p.detach() + v, v))
    return loss.detach(), moved


@pytest.mark.parametrize("fused", [True, False])
def test_a_step_is_autograd_s_gradient_with_the_momentum_and_decay_update(fused, monkeypatch):
    monkeypatch.setattr(deep_sgd, "on_cpu", lambda tensor: fused)
    weights, biases, x, labels = stack()
    setting, rate = SgdSetting(epochs=1), torch.tensor([0.1, 0.01, 0.001], dtype=torch.float64)
    velocity = [torch.randn_like(t) * 0.01 for t in weights + biases]
    expected_loss, expected = autograd_step(weights, biases, x, labels, rate, velocity, setting)
    params = [t.clone() for t in weights + biases]
    moving = [v.clone() for v in velocity]
    loss = sgd_step(params[:3], params[3:], moving, x, labels, rate, setting)
    assert torch.allclose(loss, expected_loss, rtol=1e-12)
    for p, v, (p_expected, v_expected) in zip(params, moving, expected):
        assert torch.allclose(p, p_expected, rtol=1e-10, atol=1e-14)
        assert torch.allclose(v, v_expected, rtol=1e-10, atol=1e-14)


def test_the_flop_count_is_the_three_matrix_products_of_each_layer_but_the_first_s_delta():
    assert matmul_flops_per_sample([784, 100, 10]) == 2 * (784 * 100 + 100 * 10) * 2 + 2 * 100 * 10


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=60), st.integers(0, 4), st.sampled_from([1e-4, 1e-2]))
def test_the_plateau_rule_is_torch_s_reduce_lr_on_plateau(errors, patience, threshold):
    """Each net's rate follows torch.optim.lr_scheduler.ReduceLROnPlateau (mode min, relative threshold, factor
    0.1, floor 1e-4) fed the same errors; two nets with different errors keep their own rates."""
    plateau = Plateau(patience=patience, threshold=threshold)
    state = PlateauState(plateau, 2)
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=plateau.start)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "min", factor=plateau.factor,
                                                           patience=patience, threshold=threshold,
                                                           min_lr=plateau.floor)
    for error in errors:
        value = error / 1000
        state.step(torch.tensor([value, 0.9 - len(errors) * 0.001], dtype=torch.float64))
        scheduler.step(value)
        assert state.rate[0].item() == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-12)
    assert state.rate[1].item() == plateau.start or len(errors) > patience


def test_a_watched_plateau_keeps_a_net_at_chance_on_its_starting_rate():
    """With watch_below, a net whose error never falls below it keeps 1e-2; one that falls below and then stays
    level is switched after patience epochs."""
    state = PlateauState(Plateau(watch_below=0.8), 2)
    for epoch in range(30):
        state.step(torch.tensor([0.9, 0.9 if epoch < 3 else 0.5], dtype=torch.float64))
    assert state.rate.tolist() == [1e-2, pytest.approx(1e-4)]


@pytest.mark.parametrize("field, value, message", [
    ("momentum", 1.0, "momentum must be a finite number in [0, 1)"),
    ("weight_decay", -1e-4, "weight decay must be a finite number in [0, 1]"),
    ("epochs", 0, "epochs must be an integer >= 1"),
    ("batch_size", 0, "batch size must be an integer >= 1")])
def test_bad_settings_are_refused_in_one_line(field, value, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        SgdSetting(**{"epochs": 1, field: value})


def test_a_bad_plateau_is_refused_in_one_line():
    with pytest.raises(ValueError, match="plateau factor must be a number strictly between 0 and 1, got 1.5"):
        Plateau(factor=1.5)
