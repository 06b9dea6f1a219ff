"""Activations by name."""
import pytest
import torch

from lib.activations import get_activation


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


@pytest.mark.parametrize("call, message", [
    (lambda: get_activation("swish"), "unknown activation 'swish'; known: identity, leaky_relu, relu, sigmoid, tanh"),
    (lambda: get_activation("relu", slope=0.1), "slope applies to leaky_relu only"),
    (lambda: get_activation("leaky_relu", slope=-1), "leaky_relu slope must be a finite number in \\[0, 1\\], got -1"),
])
def test_bad_names_get_one_line(call, message):
    with pytest.raises(ValueError, match=message):
        call()
