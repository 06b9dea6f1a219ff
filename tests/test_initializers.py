"""Each initializer's empirical std against its formula, over generated fan shapes."""
import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from lib.nets.initializers import INITIALIZERS, get_initializer, weight_std

SAMPLES = 40_000
KURTOSIS = {"normal": 3.0, "uniform": 1.8}  # of the underlying distribution
DISTRIBUTION = {"normal": "normal", "glorot_normal": "normal", "he_normal": "normal", "lecun_normal": "normal",
                "uniform": "uniform", "glorot_uniform": "uniform", "he_uniform": "uniform", "torch_default": "uniform"}


def std_tolerance(std: float, kurtosis: float, n: int) -> float:
    """Five standard errors of a sample std: SE ≈ std·√((κ − 1) / (4n))."""
    return 5 * std * math.sqrt((kurtosis - 1) / (4 * n))


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(DISTRIBUTION)), fan_in=st.integers(1, 2000), fan_out=st.integers(1, 2000),
       seed=st.integers(0, 2**31))
def test_empirical_std_matches_formula(name, fan_in, fan_out, seed):
    draw = get_initializer(name)((SAMPLES,), fan_in, fan_out, torch.Generator().manual_seed(seed))
    expected = weight_std(name, fan_in, fan_out)
    assert abs(draw.std().item() - expected) < std_tolerance(expected, KURTOSIS[DISTRIBUTION[name]], SAMPLES)
    assert abs(draw.mean().item()) < 5 * expected / math.sqrt(SAMPLES)


@settings(max_examples=10, deadline=None)
@given(std=st.floats(1e-3, 10.0), seed=st.integers(0, 2**31))
def test_normal_takes_its_std(std, seed):
    draw = get_initializer("normal", std=std)((SAMPLES,), 1, 1, torch.Generator().manual_seed(seed))
    assert abs(draw.std().item() - std) < std_tolerance(std, 3.0, SAMPLES)


def test_uniform_stays_inside_its_bounds():
    draw = get_initializer("uniform", low=-1.0, high=1.0)((SAMPLES,), 1, 1, torch.Generator().manual_seed(0))
    assert -1.0 <= draw.min().item() and draw.max().item() < 1.0


def test_zeros_and_the_same_seed_give_the_same_draw():
    assert get_initializer("zeros")((3, 4), 3, 4, None).abs().sum() == 0
    a, b = (get_initializer("he_normal")((5, 5), 5, 5, torch.Generator().manual_seed(7)) for _ in range(2))
    assert torch.equal(a, b)


def test_xavier_is_an_alias_of_glorot_normal():
    assert get_initializer("xavier") is INITIALIZERS["glorot_normal"]


@pytest.mark.parametrize("call, message", [
    (lambda: get_initializer("kaiming"), "unknown initializer 'kaiming'; known: "),
    (lambda: get_initializer("normal", std=0), "std must be a finite positive number, got 0"),
    (lambda: get_initializer("uniform", low=1, high=-1), "uniform needs low < high"),
])
def test_bad_input_gets_one_line_naming_it(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)
