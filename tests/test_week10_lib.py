"""The Week10 model, data and per-sample gradients against plain autograd."""
import math

import numpy as np
import torch

from lib.protocols.week10 import generate_data, my_sigmoid, my_sigmoid_grad, per_sample_weight_gradients, tanh_shares, week10_mlp


def test_generate_data_follows_the_course_helper():
    x, y = generate_data(5000, seed=3)
    assert x.shape == y.shape == (5000, 2)
    assert -math.pi <= x[:, 0].min() and x[:, 0].max() <= math.pi and 0 <= x[:, 1].min() and x[:, 1].max() <= 1
    noise = y - torch.stack([torch.sin(x[:, 0]) + x[:, 1], torch.cos(x[:, 0]) + x[:, 1]], dim=1)
    assert abs(noise.std().item() - 0.05) < 0.003


def test_per_sample_gradients_equal_autograd_sample_by_sample():
    net = week10_mlp("tanh", "uniform", seeds=[4, 5])
    x, y = generate_data(6, seed=0)
    gradients = per_sample_weight_gradients(net, x, y)
    for k in range(2):
        for n in range(6):
            weights = [w[k].clone().requires_grad_(True) for w in net.weights]
            h = x[n:n + 1]
            for l, w in enumerate(weights):
                h = h @ w + net.biases[l][k]
                h = torch.tanh(h) if l < 3 else h
            torch.nn.functional.mse_loss(h, y[n:n + 1]).backward()
            for l, w in enumerate(weights):
                assert torch.allclose(gradients[l][k, n], w.grad, atol=1e-6)


def test_my_sigmoid_and_its_derivative():
    x = torch.linspace(-5, 5, 11, dtype=torch.float64)
    assert torch.allclose(my_sigmoid(x), torch.sigmoid(x))
    assert my_sigmoid_grad(my_sigmoid(torch.zeros(1))).item() == 0.25


def test_saturated_share_follows_the_gaussian_tail():
    """U(−1, 1) with fan-in 300: z ~ N(0, 300/3), so P(|tanh z| > 0.99) = P(|z| > atanh 0.99)."""
    share = tanh_shares("uniform", 300, 200, torch.Generator().manual_seed(0))["saturated"].mean()
    expected = math.erfc(math.atanh(0.99) / math.sqrt(2 * 100))
    assert abs(share - expected) < 0.02
    assert np.all(tanh_shares("glorot_normal", 300, 50, torch.Generator().manual_seed(1))["saturated"] < 0.1)


def test_the_centre_share_follows_the_gaussian_and_a_scale_moves_it():
    """Glorot normal on a square layer of 300: z ~ N(0, 1) nearly, so the share with tanh' ≥ 1/2 is
    2Φ(atanh(1/√2)) − 1 = 0.622; weights times 1.4 give 2Φ(atanh(1/√2)/1.4) − 1 = 0.471."""
    theory = lambda scale: math.erf(math.atanh(1 / math.sqrt(2)) / scale / math.sqrt(2))
    for scale in (1.0, 1.4):
        share = tanh_shares("glorot_normal", 300, 200, torch.Generator().manual_seed(2), scale=scale)["centre"].mean()
        assert abs(share - theory(scale)) < 0.01
