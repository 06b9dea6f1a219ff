"""Activations by name."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from lib.nets.activations import get_activation


def test_leaky_relu_uses_its_slope():
    x = torch.tensor([-2.0, 3.0])
    assert torch.equal(get_activation("leaky_relu")(x), torch.tensor([-0.02, 3.0]))
    assert torch.equal(get_activation("leaky_relu", slope=0.0)(x), torch.tensor([0.0, 3.0]))


def test_named_activations_match_torch():
    x = torch.linspace(-5, 5, 101)
    assert torch.equal(get_activation("tanh")(x), torch.tanh(x))
    assert torch.equal(get_activation("sigmoid")(x), torch.sigmoid(x))
    assert torch.equal(get_activation("relu")(x), torch.relu(x))
    assert torch.equal(get_activation("identity")(x), x)


def test_selu_maps_a_standard_normal_to_mean_0_variance_1():
    """Klambauer et al. 2017: with their α and λ, E[selu(z)] = 0 and E[selu(z)²] = 1 for z ~ N(0, 1) (integrated)."""
    selu = lambda z: get_activation("selu")(torch.tensor(z, dtype=torch.float64)).item()
    moment = lambda k: integrate.quad(lambda z: selu(z) ** k * stats.norm.pdf(z), -np.inf, np.inf)[0]
    assert moment(1) == pytest.approx(0.0, abs=1e-6)
    assert moment(2) == pytest.approx(1.0, abs=1e-6)
    x = torch.tensor([-1.0, 2.0], dtype=torch.float64)
    alpha, scale = 1.6732632423543778, 1.0507009873554807
    assert torch.allclose(get_activation("selu")(x), torch.tensor([scale * alpha * (math.exp(-1) - 1), scale * 2.0],
                                                                   dtype=torch.float64))


@pytest.mark.parametrize("call, message", [
    (lambda: get_activation("swish"), "unknown activation 'swish'; known: identity, leaky_relu, relu, selu, sigmoid, tanh"),
    (lambda: get_activation("relu", slope=0.1), "slope applies to leaky_relu only"),
    (lambda: get_activation("leaky_relu", slope=-1), "leaky_relu slope must be a finite number in \\[0, 1\\], got -1"),
])
def test_bad_names_get_one_line(call, message):
    with pytest.raises(ValueError, match=message):
        call()
