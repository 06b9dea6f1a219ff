"""Probes on inputs whose statistics are known."""
import numpy as np
import torch

from lib.nets.activations import get_activation
from lib.nets.ensemble import StackedMLP
from lib.nets.probes import probe_layers


def identity_net(activation: str, width: int = 4) -> StackedMLP:
    eye = torch.eye(width).unsqueeze(0)
    return StackedMLP([eye.clone()], [torch.zeros(1, 1, width)], [get_activation(activation)])


def test_moments_spread_and_zero_share_of_a_known_batch():
    x = torch.tensor([[1.0, -1.0, 0.0, 2.0], [3.0, -1.0, 0.0, -2.0]])
    stats = probe_layers(identity_net("relu"), x, lambda out: out.pow(2).mean(dim=(1, 2)), [0], "relu")
    a = torch.relu(x)
    assert np.isclose(stats.second_moment[0, 0], a.pow(2).mean().item())
    assert np.isclose(stats.std[0, 0], a.std().item())
    assert np.isclose(stats.spread[0, 0], a.std(dim=0).mean().item())
    assert stats.zero[0, 0] == 5 / 8
    assert stats.saturated[0, 0] == 0


def test_saturation_share_of_tanh_and_sigmoid():
    x = torch.tensor([[10.0, 0.0, -10.0, 0.1], [10.0, 0.0, -10.0, 0.1]])
    for activation in ("tanh", "sigmoid"):
        stats = probe_layers(identity_net(activation), x, lambda out: out.sum(dim=(1, 2)), [0], activation)
        assert stats.saturated[0, 0] == 0.5


def test_gradient_norms_of_a_linear_sum():
    x = torch.ones(3, 4)
    stats = probe_layers(identity_net("identity"), x, lambda out: out.sum(dim=(1, 2)), [0], "identity")
    # d(sum of outputs)/dz = 1 everywhere (12 entries); d/dW[i, j] = sum over samples of x_i = 3 (16 entries)
    assert np.isclose(stats.backprop_grad_norm[0, 0], np.sqrt(12))
    assert np.isclose(stats.weight_grad_norm[0, 0], np.sqrt(16 * 9))


def test_forward_only_saturated_shares_are_the_probes_for_the_same_networks():
    """lib.protocols.lab3.saturated_shares (the saturation part of xavier-preserves-tanh, 1,000 networks) measures
    network k exactly as the full probe does for the same seed."""
    from lib.protocols.lab3 import InitSetting, probe_lab3, saturated_shares

    x = torch.randn(40, 784, generator=torch.Generator().manual_seed(0)) * 3
    labels = torch.arange(40) % 10
    setting = InitSetting("normal", 0.12)
    probed = probe_lab3("tanh", setting, [5, 6, 7], x, labels)[0].saturated
    assert probed.max() > 0
    np.testing.assert_array_equal(saturated_shares("tanh", setting, [5, 6, 7], x, chunk=2), probed)
