"""The theory's variance gains against a simulation."""
import math

import pytest
import torch

from lib.protocols.theory import linear_gain, relu_gain, tanh_small_signal_gain


def simulated_gain(activation, fan_in: int, weight_std: float, seed: int = 0) -> float:
    generator = torch.Generator().manual_seed(seed)
    a = torch.randn(4_000, fan_in, generator=generator)
    w = torch.randn(fan_in, 1_000, generator=generator) * weight_std  # many units: E over weights
    return (activation(a @ w).pow(2).mean() / a.pow(2).mean()).item()


@pytest.mark.parametrize("fan_in, std", [(100, math.sqrt(2 / 100)), (100, 0.1), (50, 0.3)])
def test_relu_gain(fan_in, std):
    assert simulated_gain(torch.relu, fan_in, std) == pytest.approx(relu_gain(fan_in, std**2), rel=0.1)


def test_leaky_relu_gain():
    leaky = lambda z: torch.nn.functional.leaky_relu(z, 0.5)
    assert simulated_gain(leaky, 100, 0.1) == pytest.approx(relu_gain(100, 0.01, slope=0.5), rel=0.1)


def test_tanh_small_signal_gain():
    small = lambda z: torch.tanh(z * 1e-3) / 1e-3  # tanh in its linear regime
    assert simulated_gain(small, 100, 0.05) == pytest.approx(tanh_small_signal_gain(100, 0.05**2), rel=0.1)


def test_linear_gain():
    assert simulated_gain(lambda z: z, 100, 0.1) == pytest.approx(linear_gain(100, 0.01), rel=0.1)
