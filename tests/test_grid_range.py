"""lib.engine.grid_range: the numba output range equals torch's forward pass, and takes only the nets it can evaluate."""
import numpy as np
import pytest
import torch

from lib.nets.activations import get_activation, identity
from lib.nets.ensemble import StackedMLP
from lib.engine.grid_range import kernel_slope, output_range_kernel
from lib.protocols.lu import LuProtocol, lu_networks
from lib.protocols.targets import grid


def torch_range(net: StackedMLP, points: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = net.forward(torch.as_tensor(points, dtype=torch.float64).reshape(-1, 1))
    return (out.amax(dim=(1, 2)) - out.amin(dim=(1, 2))).numpy()


@pytest.mark.parametrize("activation, slope", [("relu", None), ("leaky_relu", 0.01), ("leaky_relu", 0.3)])
@pytest.mark.parametrize("layers, width", [(10, 2), (4, 5), (3, 1)])
def test_the_kernel_range_is_torchs(activation, slope, layers, width):
    protocol = LuProtocol(activation=activation, slope=slope, weight_layers=layers, width=width, bias_init="normal")
    net = lu_networks(protocol, list(range(200))).to(torch.float64)
    points = grid()
    found = output_range_kernel(net, points, kernel_slope(net))
    expected = torch_range(net, points)
    np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-13)
    assert np.array_equal(found == 0, expected == 0)  # a dead net is exactly constant either way


def test_only_one_input_float64_relu_family_nets_go_to_the_kernel():
    net = lu_networks(LuProtocol(), list(range(3))).to(torch.float64)
    assert kernel_slope(net) == 0.0
    assert kernel_slope(net.to(torch.float32)) is None
    tanh = StackedMLP(net.weights, net.biases, [get_activation("tanh")] * (len(net.weights) - 1) + [identity])
    assert kernel_slope(tanh) is None
    relu_output = StackedMLP(net.weights, net.biases, [torch.relu] * len(net.weights))
    assert kernel_slope(relu_output) is None
    two_inputs = StackedMLP([torch.ones(3, 2, 2, dtype=torch.float64)], [torch.zeros(3, 1, 2, dtype=torch.float64)],
                            [identity])
    assert kernel_slope(two_inputs) is None


def test_a_remembered_range_is_the_computed_one_and_keyed_by_everything_it_reads():
    """The same nets asked again give the same ranges (a copy: changing it changes nothing); another slope, grid or
    weight is another key."""
    net = lu_networks(LuProtocol(bias_init="normal"), list(range(50))).to(torch.float64)
    points = grid()
    first = output_range_kernel(net, points, 0.0)
    first[:] = -1
    again = output_range_kernel(net, points, 0.0)
    np.testing.assert_allclose(again, torch_range(net, points), rtol=1e-12, atol=1e-13)
    assert not np.array_equal(output_range_kernel(net, points, 0.3), again)
    assert not np.array_equal(output_range_kernel(net, points[::2], 0.0), again)
    alive = int(np.argmax(again > 0))
    net.weights[-1][alive] *= 2  # the output layer's weights: that net's range doubles
    assert output_range_kernel(net, points, 0.0)[alive] == pytest.approx(2 * again[alive], rel=1e-12)
