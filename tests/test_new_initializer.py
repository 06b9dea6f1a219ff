"""Adding an initializer: registered by name in one place, it runs through the Lu protocol and the cache like a
built-in one (README, "Adding a claim")."""
import math

import numpy as np
import pytest
import torch
from scipy import stats

import lib.nets.initializers
from lib.framework.cache import ExperimentCache
from lib.protocols.collapse import collapsed
from lib.nets.initializers import INITIALIZERS, LAYER_INITIALIZERS, beta_2_1, layer_initializer, rai, register_initializer
from lib.protocols.lu import LuProtocol, run_lu_cached
from lib.protocols.targets import grid


def lecun_uniform(shape, fan_in, fan_out, generator):
    """A toy initializer: U(±√(3 / fan_in)), variance 1 / fan_in."""
    limit = math.sqrt(3.0 / fan_in)
    return (torch.rand(shape, generator=generator) * 2 - 1) * limit


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setattr("lib.nets.initializers.INITIALIZERS", dict(INITIALIZERS))
    register_initializer("toy_lecun_uniform", lecun_uniform)
    return LuProtocol(weight_init="toy_lecun_uniform", runs=40, epochs=2)


def test_a_registered_initializer_runs_the_lu_protocol_through_the_cache(toy, tmp_path):
    sequence = np.random.SeedSequence(7)
    calls = []
    cache = ExperimentCache(tmp_path)
    original = cache.load_or_compute
    cache.load_or_compute = lambda kind, key, module, compute, label=None, **kept: original(
        kind, key, module, lambda: calls.append(1) or compute(), label, **kept)
    run = run_lu_cached(cache, toy, sequence, (0,))
    again = run_lu_cached(cache, toy, sequence, (0,))
    he = run_lu_cached(cache, toy.but(weight_init="he_normal"), sequence, (0,))
    weights = run.initial.weights[1].flatten().numpy()
    assert stats.kstest(weights, stats.uniform(-math.sqrt(1.5), 2 * math.sqrt(1.5)).cdf).pvalue > 1e-3
    assert len(calls) == 2 and np.array_equal(run.training.losses, again.training.losses)
    assert not np.array_equal(run.initial.weights[1], he.initial.weights[1])
    assert collapsed(run.final, grid(), run.target_range).shape == (40,)


def test_a_changed_initializer_is_not_served_from_the_cache(toy, tmp_path, monkeypatch):
    sequence = np.random.SeedSequence(7)
    first = run_lu_cached(ExperimentCache(tmp_path), toy, sequence, (0,))
    monkeypatch.setitem(lib.nets.initializers.INITIALIZERS, "toy_lecun_uniform",
                        lambda shape, fan_in, fan_out, generator: torch.zeros(shape))
    second = run_lu_cached(ExperimentCache(tmp_path), toy, sequence, (0,))
    assert second.initial.weights[1].abs().sum() == 0 and first.initial.weights[1].abs().sum() > 0


def test_a_built_in_name_is_refused_in_one_line(toy):
    with pytest.raises(ValueError, match="initializer 'he_normal' is built in; pick another name"):
        register_initializer("he_normal", lecun_uniform)


def test_rai_makes_exactly_one_parameter_of_each_neuron_asymmetric():
    """Lu et al. 2020's RAI (docs/claims.md D): per neuron one of [w | b] is a Beta(2, 1) draw (mean 2/3, E[ξ²] = 1/2),
    the rest N(0, 0.6007² / fan_in)."""
    weights, biases = rai(4000, 3, 5, torch.Generator().manual_seed(0))
    joint = torch.cat([weights, biases], dim=1)  # [count, fan_in + 1, fan_out]
    assert weights.shape == (4000, 3, 5) and biases.shape == (4000, 1, 5)
    xi = beta_2_1((200_000,), torch.Generator().manual_seed(1))
    assert float(xi.mean()) == pytest.approx(2 / 3, abs=0.003) and float(xi.pow(2).mean()) == pytest.approx(0.5, abs=0.003)
    chosen_share = (joint > 0).float().mean().item()  # one entry in 4 always positive, the others half the time
    assert chosen_share == pytest.approx(1 / 4 + 3 / 4 * 1 / 2, abs=0.01)
    symmetric = joint[joint.abs() < 0.2]
    assert abs(float(symmetric.mean())) < 0.2


def test_a_joint_initializer_must_be_named_as_both():
    with pytest.raises(ValueError, match="initializer 'rai' draws weights and biases together: name it as both"):
        layer_initializer("rai", "zeros")
    assert layer_initializer("rai", "rai") is LAYER_INITIALIZERS["rai"]


def test_rai_symmetric_part_has_variance_0_6007_squared_over_fan_in():
    """RAI's symmetric entries are N(0, 0.6007² / fan_in) (Lu et al. 2020): the asymmetric entry marked NaN, the
    others' variance over 400,000 draws within 2% of 0.6007² / fan_in (about 9 standard errors)."""
    fan_in = 4
    weights, biases = rai(20_000, fan_in, 5, torch.Generator().manual_seed(2),
                          positive=lambda shape, g: torch.full(shape, float("nan")))
    joint = torch.cat([weights, biases], dim=1)
    symmetric = joint[~joint.isnan()].double()
    assert symmetric.numel() == 20_000 * 5 * fan_in
    assert float(symmetric.var()) == pytest.approx(0.6007**2 / fan_in, rel=0.02)
    assert abs(float(symmetric.mean())) < 0.01
