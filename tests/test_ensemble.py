"""The stacked MLP: shapes, per-network independence, and agreement with a plain forward pass."""
import pytest
import torch

from lib.nets.activations import get_activation
from lib.nets.ensemble import build_mlp
from lib.nets.initializers import get_initializer
from lib.protocols.lab3 import HIDDEN_LAYERS, lab3_mlp


def test_lab3_mlp_has_the_perunicic_shapes():
    net = lab3_mlp("tanh", get_initializer("glorot_normal"), seeds=[1, 2, 3])
    assert [tuple(w.shape) for w in net.weights] == [(3, 784, 100)] + [(3, 100, 100)] * 5 + [(3, 100, 10)]
    assert all(b.abs().sum() == 0 for b in net.biases)
    pre, post = net.forward_with_taps(torch.rand(7, 784))
    assert len(post) == 7 and post[-1].shape == (3, 7, 10)
    assert HIDDEN_LAYERS == [1, 2, 3, 4, 5]


def test_network_k_depends_on_its_seed_only():
    make = lambda seeds: build_mlp([3, 4, 2], [torch.tanh, torch.tanh], get_initializer("he_normal"),
                                   get_initializer("torch_default"), seeds)
    small, large = make([11, 12]), make([10, 11, 12, 13])
    for a, b in zip(small.parameters(), large.parameters()):
        assert torch.equal(a, b[1:3])


def test_forward_matches_each_network_computed_alone():
    net = build_mlp([3, 5, 5, 1], [get_activation("relu")] * 2 + [get_activation("identity")],
                    get_initializer("he_normal"), get_initializer("torch_default"), [1, 2, 3, 4])
    x = torch.randn(9, 3, generator=torch.Generator().manual_seed(0))
    out = net.forward(x)
    for k in range(net.count):
        h = x
        for l, (w, b) in enumerate(zip(net.weights, net.biases)):
            h = h @ w[k] + b[k]
            h = torch.relu(h) if l < 2 else h
        assert torch.allclose(out[k], h, atol=1e-6)


def test_bad_shapes_get_one_line():
    with pytest.raises(ValueError, match="width must be an integer >= 1, got 0"):
        build_mlp([3, 0, 1], [torch.tanh] * 2, get_initializer("zeros"), get_initializer("zeros"), [1])
    with pytest.raises(ValueError, match="network count must be an integer >= 1, got 0"):
        build_mlp([3, 2, 1], [torch.tanh] * 2, get_initializer("zeros"), get_initializer("zeros"), [])
