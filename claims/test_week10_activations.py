"""Family C, Week10 (IN3050/4050): the activations themselves (exercises 1.2–2.5): exact properties, each a hypothesis property test.

The protocol is in claims/week10_common.py.
"""
import math

import numpy as np
import pytest
import torch

from claims.week10_common import (
    CONFIDENCE,
    NOTEBOOK_SEED,
    ROUNDING,
    SAMPLES,
    dense_grid,
    floats,
    property_finding,
    run_property,
    vectors,
)
from lib.framework import plots
from lib.framework.findings import Claim
from lib.framework.rules import ERRORS, Rule, deterministic
from lib.framework.seeding import seed_for
from lib.framework.stats import rate_interval
from lib.nets.activations import get_activation, identity
from lib.nets.ensemble import StackedMLP
from lib.protocols.calibrations.week10 import not_zero_centred_errors
from lib.protocols.week10 import generate_data, my_sigmoid, my_sigmoid_grad, per_sample_weight_gradients, week10_mlp

FIXED = "a fixed grid and derandomized examples"  # what decides a property claim: no chance is left


# --- sigmoid-derivative-matches-autograd --------------------------------------------------------

DERIVATIVE = Claim(
    "sigmoid-derivative-matches-autograd",
    "σ'(x) = σ(x)(1 − σ(x)) agrees with autograd everywhere (property test)",
    "Week10 1.2–1.3",
    deterministic(
        "for every generated float64 vector x with |x| ≤ 700 (exp(−x) finite), my_sigmoid_grad(my_sigmoid(x)) equals "
        "torch.autograd's derivative of my_sigmoid to float64 rounding: absolute difference ≤ 1e-15. " + ERRORS,
        FIXED,
    ),
)


def derivative_deviation(x: torch.Tensor) -> float:
    """max |my_sigmoid_grad(my_sigmoid(x)) − autograd of my_sigmoid| over x."""
    x = x.clone().requires_grad_(True)
    a = my_sigmoid(x)
    (autograd,) = torch.autograd.grad(a.sum(), x)
    return (my_sigmoid_grad(a.detach()) - autograd).abs().max().item()


@pytest.mark.claim(DERIVATIVE)
def test_sigmoid_derivative_matches_autograd(finding, artifacts, run_settings, experiment_cache):
    def check(values):
        assert derivative_deviation(torch.tensor(values, dtype=torch.float64)) <= ROUNDING

    examples, failure = run_property(check, lambda st: vectors(st, -700, 700), experiment_cache)
    x = torch.linspace(-10, 10, 100, dtype=torch.float64, requires_grad=True)
    a = my_sigmoid(x)
    (tape,) = torch.autograd.grad(a.sum(), x)
    artifacts.save("sigmoid_and_derivative", plots.functions(
        x.detach().numpy(), {"σ(x)": a.detach().numpy(), "σ(x)(1 − σ(x))": my_sigmoid_grad(a).detach().numpy()},
        "Exercise 1.2: the sigmoid and its derivative"))
    artifacts.save("analytic_over_autograd", plots.functions(
        x.detach().numpy(), {"autograd (gradient tape)": tape.numpy()},
        "Exercise 1.3: my_sigmoid_grad on top of autograd", dots={"my_sigmoid_grad": my_sigmoid_grad(a).detach().numpy()}))
    edge = torch.tensor([-710.0], dtype=torch.float64, requires_grad=True)
    (edge_grad,) = torch.autograd.grad(my_sigmoid(edge).sum(), edge)
    measured = {"grid_max_absolute_deviation": derivative_deviation(dense_grid(700)),
                "autograd_at_minus_710_is_nan": float(torch.isnan(edge_grad).item())}
    finding.conclude(property_finding(DERIVATIVE, examples, failure, measured,
                                      {"domain": "|x| <= 700, float64", "note": "below x = −709.8 exp(−x) overflows "
                                       "and autograd of the naive formula gives NaN while a(1 − a) stays finite; above "
                                       "x ≈ 37, σ rounds to 1 and a(1 − a) gives 0, not the true ~e^−x"},
                                      run_settings))


# --- sigmoid-saturates and tanh-saturates-too ---------------------------------------------------

SIGMOID_SATURATES = Claim(
    "sigmoid-saturates",
    "σ' ≤ 1/4 with the maximum at 0, and σ' → 0 for large |x|",
    "Week10 2.1",
    deterministic(
        "for every generated float64 pair x1, x2 in [−1000, 1000]: σ'(x) ≤ 1/4 = σ'(0); |x1| ≤ |x2| ⇒ σ'(x1) ≥ σ'(x2); "
        "and σ'(x) ≤ e^−|x|, which tends to 0 (the last two up to float64 rounding, 1e-15). " + ERRORS,
        FIXED,
    ),
)
ENVELOPES = {"sigmoid": lambda r: torch.exp(-r), "tanh": lambda r: 4 * torch.exp(-2 * r)}
PEAKS = {"sigmoid": 0.25, "tanh": 1.0}


def derivative_of(activation: str, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(get_activation(activation)(x).sum(), x)
    return grad


def saturation_check(activation: str):
    """The property: derivative ≤ its peak at 0, decreasing in |x|, under its vanishing envelope."""
    peak, envelope = PEAKS[activation], ENVELOPES[activation]

    def check(pair):
        x = torch.tensor(pair, dtype=torch.float64)
        d = derivative_of(activation, x)
        assert derivative_of(activation, torch.zeros(1, dtype=torch.float64)).item() == peak
        assert (d <= peak).all(), f"derivative above {peak}"
        assert (d <= envelope(x.abs()) + ROUNDING).all(), "derivative above its vanishing envelope"
        small, large = (0, 1) if abs(pair[0]) <= abs(pair[1]) else (1, 0)
        assert d[small] >= d[large] - ROUNDING, "derivative not decreasing in |x|"

    return check


def saturation_on_grid(activation: str) -> dict:
    x = dense_grid(1000)
    d = derivative_of(activation, x)
    return {"grid_max_derivative": d.max().item(), "grid_max_above_envelope": (d - ENVELOPES[activation](x.abs())).max().item(),
            "derivative_at_10": derivative_of(activation, torch.tensor([10.0], dtype=torch.float64)).item()}


@pytest.mark.claim(SIGMOID_SATURATES)
def test_sigmoid_saturates(finding, artifacts, run_settings, experiment_cache):
    pairs = lambda st: st.tuples(floats(st, -1000, 1000), floats(st, -1000, 1000))
    examples, failure = run_property(saturation_check("sigmoid"), pairs, experiment_cache)
    x = torch.linspace(-12, 12, 400, dtype=torch.float64)
    artifacts.save("sigmoid_derivative", plots.functions(
        x.numpy(), {"σ'(x)": derivative_of("sigmoid", x).numpy(), "e^−|x|": torch.exp(-x.abs()).numpy(),
                    "1/4": np.full(400, 0.25)}, "σ' ≤ 1/4 and vanishes like e^−|x|"))
    finding.conclude(property_finding(SIGMOID_SATURATES, examples, failure, saturation_on_grid("sigmoid"),
                                      {"domain": "[−1000, 1000], float64"}, run_settings))


TANH_SATURATES = Claim(
    "tanh-saturates-too",
    "tanh is zero-centred but its derivative also vanishes for large |x|",
    "Week10 2.3",
    deterministic(
        "for every generated float64 pair: tanh(−x) = −tanh(x) and tanh(0) = 0; tanh'(x) ≤ 1 = tanh'(0); |x1| ≤ |x2| ⇒ "
        "tanh'(x1) ≥ tanh'(x2); and tanh'(x) ≤ 4e^−2|x|, which tends to 0 (the last two up to float64 rounding, 1e-15). "
        + ERRORS,
        FIXED,
    ),
)


@pytest.mark.claim(TANH_SATURATES)
def test_tanh_saturates_too(finding, artifacts, run_settings, experiment_cache):
    derivative_check = saturation_check("tanh")

    def check(pair):
        x = torch.tensor(pair, dtype=torch.float64)
        assert torch.equal(torch.tanh(-x), -torch.tanh(x)) and torch.tanh(torch.zeros(1)).item() == 0, "not odd"
        derivative_check(pair)

    pairs = lambda st: st.tuples(floats(st, -1000, 1000), floats(st, -1000, 1000))
    examples, failure = run_property(check, pairs, experiment_cache)
    x = torch.linspace(-6, 6, 400, dtype=torch.float64)
    artifacts.save("tanh_and_derivative", plots.functions(
        x.numpy(), {"tanh(x)": torch.tanh(x).numpy(), "tanh'(x)": derivative_of("tanh", x).numpy(),
                    "σ'(x)": derivative_of("sigmoid", x).numpy()}, "tanh is zero-centred, and saturates too"))
    grid = dense_grid(1000)
    measured = saturation_on_grid("tanh") | {"grid_max_odd_asymmetry": (torch.tanh(-grid) + torch.tanh(grid)).abs().max().item()}
    finding.conclude(property_finding(TANH_SATURATES, examples, failure, measured, {"domain": "[−1000, 1000], float64"},
                                      run_settings))


# --- relu-gradient-is-zero-or-one ---------------------------------------------------------------

RELU_GRADIENT = Claim(
    "relu-gradient-is-zero-or-one",
    "ReLU passes gradient 1 for positive inputs and exactly 0 for negative ones (dead units)",
    "Week10 2.5",
    deterministic(
        "for every generated float32 vector without zeros, autograd's derivative of ReLU is exactly 1 where x > 0 and "
        "exactly 0 where x < 0. " + ERRORS,
        FIXED,
    ),
)


def relu_derivative_is_step(x: torch.Tensor) -> bool:
    return torch.equal(derivative_of("relu", x), (x > 0).to(x.dtype))


@pytest.mark.claim(RELU_GRADIENT)
def test_relu_gradient_is_zero_or_one(finding, artifacts, run_settings, experiment_cache):
    def check(values):
        assert relu_derivative_is_step(torch.tensor(values, dtype=torch.float32)), "not exactly 0 or 1"

    nonzero = lambda st: st.lists(floats(st, -1e30, 1e30).filter(lambda v: v != 0), min_size=1, max_size=50)
    examples, failure = run_property(check, nonzero, experiment_cache)
    grid = dense_grid(1e6).float()
    grid = grid[grid != 0]
    measured = {"grid_is_step": float(relu_derivative_is_step(grid)),
                "derivative_at_zero": derivative_of("relu", torch.zeros(1)).item()}
    x = torch.linspace(-5, 5, 401)
    artifacts.save("relu_and_derivative", plots.functions(
        x.numpy(), {"relu(x)": torch.relu(x).numpy(), "relu'(x) (autograd)": derivative_of("relu", x).numpy()},
        "ReLU passes 1 or exactly 0"))
    finding.conclude(property_finding(RELU_GRADIENT, examples, failure, measured,
                                      {"domain": "float32 in [−1e30, 1e30] without 0",
                                       "note": "at x = 0 torch's ReLU derivative is 0"}, run_settings))


# --- sigmoid-not-zero-centred -------------------------------------------------------------------

NOT_ZERO_CENTRED = Claim(
    "sigmoid-not-zero-centred",
    "after a sigmoid layer, the gradients of all weights into one unit share one sign for a given sample "
    "(zig-zag updates); tanh does not force this",
    "Week10 2.1, 2.3",
    Rule(
        "for every generated model (weights in [−3, 3]) and sample (x1 in [−π, π], x2 in [0, 1]): in every layer fed by "
        "a sigmoid layer (W2, W3, W4), each unit's incoming per-sample weight gradients share one sign; and among 2,000 "
        "seeded random cases of the same kind, at least one tanh model has a unit whose incoming gradients differ in sign. "
        + ERRORS,
        design="at tanh's mixed-sign chance of at least 1/2 a case (flipping one h1 unit's weights makes its two outputs "
        "differ in sign as often as agree), the sigmoid property deterministic",
        boundary="at a tanh that never shows mixed signs (the sigmoid property deterministic)",
        errors=not_zero_centred_errors,
        stated=(1e-12, 1e-12),
    ),
)
SIGN_CASES = 2000


def networks(activation: str, weights) -> StackedMLP:
    """One notebook model per list of 16 weights (W1..W4, each 2 × 2 as [in, out]), zero biases."""
    w = torch.tensor(weights, dtype=torch.float64).reshape(-1, 4, 2, 2)
    hidden = get_activation(activation)
    return StackedMLP(list(w.transpose(0, 1)), [torch.zeros(len(w), 1, 2, dtype=torch.float64)] * 4, [hidden] * 3 + [identity])


def mixed_sign_units(activation: str, cases) -> np.ndarray:
    """Per case (weights, sample), how many units in W2..W4 receive per-sample weight gradients of both signs."""
    samples = torch.tensor([sample for _, sample in cases], dtype=torch.float64).unsqueeze(1)  # [cases, 1, 4]
    gradients = per_sample_weight_gradients(networks(activation, [w for w, _ in cases]), samples[..., :2], samples[..., 2:])
    mixed = 0
    for g in gradients[1:]:
        columns = g[:, 0]  # [cases, fan_in, fan_out]: column j holds the weights into unit j
        mixed = mixed + ((columns > 0).any(dim=1) & (columns < 0).any(dim=1)).sum(dim=1)
    return mixed.numpy()


def random_cases(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        sample = [rng.uniform(-math.pi, math.pi), rng.uniform(0, 1), *rng.uniform(-3, 3, 2)]
        yield rng.uniform(-3, 3, 16).tolist(), sample


@pytest.mark.claim(NOT_ZERO_CENTRED)
def test_sigmoid_not_zero_centred(finding, artifacts, run_settings, seeds, experiment_cache):
    def check(case):
        assert mixed_sign_units("sigmoid", [case])[0] == 0, "mixed signs after a sigmoid layer"

    cases = lambda st: st.tuples(st.lists(floats(st, -3, 3), min_size=16, max_size=16),
                                 st.tuples(floats(st, -math.pi, math.pi), floats(st, 0, 1), floats(st, -3, 3),
                                           floats(st, -3, 3)))
    examples, failure = run_property(check, cases, experiment_cache)
    seeded = list(random_cases(seed_for(seeds(NOT_ZERO_CENTRED.id), "cases"), SIGN_CASES))
    tanh_mixed = int((mixed_sign_units("tanh", seeded) > 0).sum())
    sigmoid_mixed = int((mixed_sign_units("sigmoid", seeded) > 0).sum())
    if failure is None and tanh_mixed == 0:
        failure = {"falsifying_example": "none", "error": "no tanh case with mixed signs among the seeded ones"}
    measured = {"tanh_share_with_mixed_signs": rate_interval(tanh_mixed, SIGN_CASES, CONFIDENCE).value,
                "sigmoid_cases_with_mixed_signs": float(sigmoid_mixed)}
    artifacts.save("gradient_signs", _sign_figure(run_settings))
    finding.conclude(property_finding(NOT_ZERO_CENTRED, examples, failure, measured,
                                      {"layers_checked": "W2, W3, W4 (fed by a hidden activation)",
                                       "seeded_cases": SIGN_CASES}, run_settings))


def _sign_figure(run_settings):
    """Per-sample gradients into unit 1 of W2, weight from unit 1 against weight from unit 2, for one model."""
    x, y = generate_data(SAMPLES, run_settings["seed"])
    panels = {}
    for activation in ("sigmoid", "tanh"):
        g = per_sample_weight_gradients(week10_mlp(activation, "uniform", [NOTEBOOK_SEED]), x, y)[1][0]
        panels[f"{activation}: ∂L/∂W2[0,0] vs ∂L/∂W2[1,0] per sample"] = (g[:, 0, 0].numpy(), g[:, 1, 0].numpy())
    return plots.sign_scatters(panels)
