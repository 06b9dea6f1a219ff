"""Family A: weight initialization on the Lab3 MLP, tanh and sigmoid (Lab3 problem 1; Perunicic 2018; Glorot &
Bengio 2010). The protocol is in claims/lab3_common.py.
"""
import numpy as np
import pytest

from claims.lab3_common import (
    CONFIDENCE,
    DIGITS_PER_CLASS,
    HE,
    NORMAL,
    SIGMAS,
    XAVIER,
    depth_ratio,
    gradient_lines,
    setup_for,
    step_ratios,
    violins,
)
from lib.framework import plots
from lib.framework.findings import Claim
from lib.framework.rules import ERRORS, Rule
from lib.framework.seeding import child, network_seeds
from lib.framework.stats import bounded_mean_upper, geometric_mean_interval, mean_interval
from lib.protocols.calibrations.common import FROM_99
from lib.protocols.calibrations.lab3 import (SATURATION_ALPHA, SATURATION_NETWORKS, large_std_errors, sigmoid_vanishes_errors,
                                             small_std_errors, xavier_sigmoid_errors, xavier_tanh_errors)
from lib.protocols.data import mnist_sample, stratified_subset
from lib.protocols.lab3 import LAYER_NAMES, InitSetting, saturated_shares_cached
from lib.protocols.theory import tanh_small_signal_gain


# --- normal-small-std-tanh-vanishes -------------------------------------------------------------

SMALL_STD = Claim(
    "normal-small-std-tanh-vanishes",
    "with N(0, σ) for small σ (0.01 and 0.05), tanh activations shrink geometrically with depth, and so do "
    "the gradients that reach the early layers",
    "Lab3 1, Perunicic 2018",
    Rule(
        "geometric shrinking at the small-signal rate g = √(100·σ²) = 10σ (< 1 for these σ), with 10% tolerance: for "
        "σ = 0.01 and 0.05, each of the 4 layer-to-layer ratios of the activations' std has its 99.9% upper bound "
        "below 1.1·g, and ‖∂loss/∂z‖ at h1 over h5 (backprop through the same 4 layers) below (1.1·g)^4. " + ERRORS + ". " + FROM_99,
        design="at the small-signal theory's gain of 10σ a layer (0.1 and 0.5)",
        boundary="at a true per-layer std ratio of 1.1·10σ, the rule's tolerance",
        errors=small_std_errors,
        stated=(1e-12, 0.0005),
    ),
)


def vanishing_verdict(stats, sigma: float) -> tuple[bool, dict]:
    bound = 1.1 * np.sqrt(tanh_small_signal_gain(100, sigma**2))
    steps = [geometric_mean_interval(r, CONFIDENCE) for r in step_ratios(stats.std).T]
    gradient = geometric_mean_interval(1 / depth_ratio(stats.backprop_grad_norm), CONFIDENCE)
    holds = all(s.high < bound for s in steps) and gradient.high < bound**4
    return holds, {"std_step_ratios": steps, "grad_h1_over_h5": gradient, "step_bound": bound}


@pytest.mark.claim(SMALL_STD)
def test_normal_small_std_tanh_vanishes(lab3, finding, artifacts, run_settings):
    measured, holds = {}, []
    for sigma in (0.01, 0.05):
        stats = lab3("tanh", NORMAL[sigma])[0]
        ok, numbers = vanishing_verdict(stats, sigma)
        holds.append(ok)
        theory = np.sqrt(tanh_small_signal_gain(100, sigma**2))
        weights = geometric_mean_interval(1 / depth_ratio(stats.weight_grad_norm), CONFIDENCE)
        measured[f"sigma={sigma}"] = {**numbers, "theory_std_ratio": theory, "weight_grad_h1_over_h5": weights}
    artifacts.save("tanh_activations", violins(lab3, "tanh", [NORMAL[0.01], NORMAL[0.05], XAVIER]))
    artifacts.save("tanh_gradients", gradient_lines(lab3, "tanh", [NORMAL[0.01], NORMAL[0.05], XAVIER], "backprop_grad_norm"))
    first = measured["sigma=0.01"]
    summary = (f"σ=0.01: std ratio per layer {first['std_step_ratios'][0].text()} (theory {first['theory_std_ratio']:.2g}); "
               f"grad h1/h5 {first['grad_h1_over_h5'].text()}; σ=0.05: grad h1/h5 {measured['sigma=0.05']['grad_h1_over_h5'].text()}")
    finding.conclude(SMALL_STD.finding(
        "supported" if all(holds) else "refuted", summary, measured,
        {"statistic": "geometric mean of per-network ratios", "interval": "Student t on logs, 99.9%"},
        setup_for(run_settings, activation="tanh", sigmas=[0.01, 0.05])))


@pytest.mark.claim(SMALL_STD, control=True)
def test_control_vanishing_rule_rejects_wrong_scale(lab3):
    """Negative control: networks with Xavier's scale, passed off as σ = 0.05, must not pass the rule."""
    assert not vanishing_verdict(lab3("tanh", XAVIER)[0], sigma=0.05)[0]


# --- normal-large-std-tanh-saturates ------------------------------------------------------------

SATURATES = Claim(
    "normal-large-std-tanh-saturates",
    "with large σ (0.28, 1.0), tanh units saturate near ±1, where tanh' ≈ 0",
    "Lab3 1, Glorot & Bengio 2010",
    Rule(
        "for σ = 0.28 and 1.0, in every hidden layer the mean derivative tanh'(z) = 1 − a² has its 99.9% upper bound "
        "below 1/2 (most of the gradient is blocked); the share with |a| > 0.99 is reported. " + ERRORS + ". " + FROM_99,
        design="at the mean-field fixed point's mean tanh' (0.32 at σ = 0.28, 0.083 at σ = 1.0) in every layer, the "
        "value the layers approach from the saturated side",
        boundary="at a true mean tanh' of 1/2 in one layer",
        errors=large_std_errors,
        stated=(1e-12, 0.0005),
    ),
)


def saturation_verdict(stats) -> tuple[bool, list]:
    derivative = [mean_interval(1 - m, CONFIDENCE) for m in stats.second_moment.T]
    return all(d.high < 0.5 for d in derivative), derivative


@pytest.mark.claim(SATURATES)
def test_normal_large_std_tanh_saturates(lab3, finding, artifacts, run_settings):
    measured, holds = {}, []
    for sigma in (0.28, 1.0):
        stats = lab3("tanh", NORMAL[sigma])[0]
        ok, derivative = saturation_verdict(stats)
        holds.append(ok)
        saturated = [mean_interval(s, CONFIDENCE) for s in stats.saturated.T]
        measured[f"sigma={sigma}"] = {"mean_tanh_prime": derivative, "saturated_share": saturated}
    measured["xavier_saturated_share"] = [mean_interval(s, CONFIDENCE) for s in lab3("tanh", XAVIER)[0].saturated.T]
    artifacts.save("tanh_activations", violins(lab3, "tanh", [NORMAL[s] for s in SIGMAS] + [XAVIER]))
    a, b = measured["sigma=0.28"], measured["sigma=1.0"]
    summary = (f"mean tanh' at h5: σ=0.28 {a['mean_tanh_prime'][-1].text()}, σ=1.0 {b['mean_tanh_prime'][-1].text()}; "
               f"saturated share at h5: {a['saturated_share'][-1].text()}, {b['saturated_share'][-1].text()}")
    finding.conclude(SATURATES.finding(
        "supported" if all(holds) else "refuted", summary, measured,
        {"statistic": "mean over networks of E[1 − a²] per layer", "interval": "Student t, 99.9%"},
        setup_for(run_settings, activation="tanh", sigmas=[0.28, 1.0], saturated="|a| > 0.99")))


@pytest.mark.claim(SATURATES, control=True)
def test_control_saturation_rule_rejects_small_std(lab3):
    """Negative control: the saturation rule must reject σ = 0.05, where tanh stays linear."""
    assert not saturation_verdict(lab3("tanh", NORMAL[0.05])[0])[0]


# --- normal-std-sigmoid-vanishes ----------------------------------------------------------------

SIGMOID = Claim(
    "normal-std-sigmoid-vanishes",
    "with sigmoid and N(0, σ) the across-sample spread of activations and the gradients reaching early layers "
    "vanish with depth (sigmoid' ≤ 1/4)",
    "Lab3 1, Week10 2.1",
    Rule(
        "for every σ in {0.01, 0.05, 0.10, 0.14, 0.28, 1.0}: the spread at h5 over h1 and ‖∂loss/∂z‖ at h1 over h5 "
        "both have their 99.9% upper bounds below 1. " + ERRORS + ". " + FROM_99,
        design="at a declared design effect: a ratio of 1/2 over the four layers (a halving) for every σ",
        boundary="at a true ratio of 1 (no vanishing) for one σ",
        errors=sigmoid_vanishes_errors,
        stated=(1e-12, 0.0005),
    ),
)


def sigmoid_vanishing_verdict(stats) -> tuple[bool, dict]:
    spread = geometric_mean_interval(depth_ratio(stats.spread), CONFIDENCE)
    gradient = geometric_mean_interval(1 / depth_ratio(stats.backprop_grad_norm), CONFIDENCE)
    return spread.high < 1 and gradient.high < 1, {"spread_h5_over_h1": spread, "grad_h1_over_h5": gradient}


@pytest.mark.claim(SIGMOID)
def test_normal_std_sigmoid_vanishes(lab3, finding, artifacts, run_settings):
    results = {sigma: sigmoid_vanishing_verdict(lab3("sigmoid", NORMAL[sigma])[0]) for sigma in SIGMAS}
    measured = {f"sigma={sigma}": numbers for sigma, (_, numbers) in results.items()}
    failing = [sigma for sigma, (ok, _) in results.items() if not ok]
    artifacts.save("sigmoid_activations", violins(lab3, "sigmoid", [NORMAL[s] for s in SIGMAS] + [XAVIER]))
    artifacts.save("sigmoid_gradients", gradient_lines(lab3, "sigmoid", [NORMAL[s] for s in SIGMAS], "backprop_grad_norm"))
    artifacts.save("sigmoid_weight_gradients", gradient_lines(
        lab3, "sigmoid", [NORMAL[s] for s in SIGMAS] + [XAVIER], "weight_grad_norm"))
    summary = "; ".join(f"σ={s}: spread h5/h1 {m['spread_h5_over_h1'].text(2)}, grad h1/h5 {m['grad_h1_over_h5'].text(2)}"
                        for s, m in zip(SIGMAS, measured.values()))
    if failing:
        summary = f"does not hold for σ = {failing}; " + summary
    finding.conclude(SIGMOID.finding(
        "refuted" if failing else "supported", summary, measured,
        {"statistic": "geometric mean of per-network ratios", "interval": "Student t on logs, 99.9%"},
        setup_for(run_settings, activation="sigmoid", sigmas=SIGMAS)))


@pytest.mark.claim(SIGMOID, control=True)
def test_control_sigmoid_rule_rejects_he_relu(lab3):
    """Negative control: He-initialized ReLU keeps its gradient; the sigmoid rule must not call it vanishing."""
    assert not sigmoid_vanishing_verdict(lab3("relu", HE)[0])[0]


# --- xavier-preserves-tanh ----------------------------------------------------------------------

XAVIER_TANH = Claim(
    "xavier-preserves-tanh",
    "with Xavier (Glorot normal) the tanh activations' spread stays within a constant factor across the 5 layers, "
    "without saturation, and the per-layer weight-gradient norms stay within a constant factor of each other",
    "Lab3 1, Glorot & Bengio 2010",
    Rule(
        "'constant factor' = 2: per network, max/min over the 5 layers of the activations' std and of ‖∂loss/∂W‖ "
        "each have their 99.9% upper bound ≤ 2; 'without saturation' = in every layer, the mean share with "
        f"|a| > 0.99 over {SATURATION_NETWORKS:,} further networks has its upper bound below 1%: Hoeffding's bound for "
        f"values in [0, 1] at {SATURATION_ALPHA:g}, which holds whatever their distribution. " + ERRORS + ". " + FROM_99
        + ". Earlier rule for the saturation: a t bound over the 50 networks, whose false support on shares as skewed "
        "as these (mostly 0) was far above its stated figure",
        design="at a declared max/min of √2 (halfway to 2 on the log scale) for the std and the weight gradients, and "
        "the mean-field saturated share (below 1e-5) in every layer",
        boundary="at a true max/min of 2, or a saturated share of 1% in one layer",
        errors=xavier_tanh_errors,
        stated=(2e-08, 0.0005),
    ),
)


@pytest.fixture(scope="module")
def saturation(seeds, experiment_cache, device):
    """saturation(setting): [SATURATION_NETWORKS, layers] saturated shares of further tanh networks, forward only."""
    pixels, labels = mnist_sample()
    digits = pixels[stratified_subset(labels, DIGITS_PER_CLASS)]

    def shares(setting):
        network = network_seeds(child(seeds("lab3-mlp"), f"tanh/{setting.label}/saturation"), SATURATION_NETWORKS)
        return saturated_shares_cached(experiment_cache, "tanh", setting, network, digits, device)
    return shares


def preserving_verdict(stats, shares: np.ndarray) -> tuple[bool, dict]:
    """stats: the 50 networks' probe; shares: [networks, layers] saturated shares of the further networks."""
    spread = geometric_mean_interval(stats.std.max(axis=1) / stats.std.min(axis=1), CONFIDENCE)
    grads = geometric_mean_interval(stats.weight_grad_norm.max(axis=1) / stats.weight_grad_norm.min(axis=1), CONFIDENCE)
    saturated = [bounded_mean_upper(s, SATURATION_ALPHA) for s in shares.T]
    holds = spread.high <= 2 and grads.high <= 2 and all(s.high < 0.01 for s in saturated)
    spread_of = [float(s.std(ddof=1) / s.mean()) if s.mean() > 0 else None for s in shares.T]
    return holds, {"std_max_over_min": spread, "weight_grad_max_over_min": grads, "saturated_share": saturated,
                   "saturated_share_cv": spread_of}


@pytest.mark.claim(XAVIER_TANH)
def test_xavier_preserves_tanh(lab3, saturation, finding, artifacts, run_settings):
    ok, measured = preserving_verdict(lab3("tanh", XAVIER)[0], saturation(XAVIER))
    settings = [NORMAL[0.01], NORMAL[0.05], NORMAL[0.28], NORMAL[1.0], XAVIER]
    artifacts.save("tanh_activations", violins(lab3, "tanh", settings))
    artifacts.save("tanh_weight_gradients", gradient_lines(lab3, "tanh", settings, "weight_grad_norm"))
    summary = (f"std max/min {measured['std_max_over_min'].text()}, weight-grad max/min "
               f"{measured['weight_grad_max_over_min'].text()}, saturated ≤ {max(s.high for s in measured['saturated_share']):.2g}")
    finding.conclude(XAVIER_TANH.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "per-network max/min over layers", "interval": "Student t on logs, 99.9%"},
        setup_for(run_settings, activation="tanh", initializer="glorot_normal")))


@pytest.mark.claim(XAVIER_TANH, control=True)
def test_control_preserving_rule_rejects_large_std(lab3):
    """Negative control: N(0, 1.0) saturates tanh; the preserving rule must reject it."""
    stats = lab3("tanh", NORMAL[1.0])[0]
    assert not preserving_verdict(stats, stats.saturated)[0]


@pytest.mark.claim(XAVIER_TANH, control=True)
def test_control_a_saturated_share_just_above_one_percent_fails_the_saturation_part(saturation):
    """Negative control near the threshold: weights N(0, 0.105) saturate about 1.3% of h1's units on these digits
    (mean field), just above the 1% the claim allows; the saturation part must not say 'below 1%' for them, and a bar
    of 5%, too lax, would pass them."""
    shares = saturation(InitSetting("normal", 0.105))
    assert shares.mean(axis=0).max() > 0.01
    assert not all(bounded_mean_upper(s, SATURATION_ALPHA).high < 0.01 for s in shares.T)
    assert all(bounded_mean_upper(s, SATURATION_ALPHA).high < 0.05 for s in shares.T)


# --- xavier-helps-sigmoid -----------------------------------------------------------------------

XAVIER_SIGMOID = Claim(
    "xavier-helps-sigmoid",
    "Xavier moves sigmoid away from both failure modes of the σ sweep; measure how far, and whether gradients "
    "still attenuate per layer (theory: factor ≈ 4 from sigmoid'(0) = 1/4)",
    "Lab3 1",
    Rule(
        "at h5, Xavier's across-sample spread has its 99.9% lower bound above the upper bounds under σ = 0.01 and 0.05 "
        "(vanishing mode), and its saturated share its upper bound below the lower bound under σ = 1.0 (saturating "
        "mode); the per-layer gradient attenuation is measured against the theory's 4. " + ERRORS + ". " + FROM_99,
        design="at a declared h5 spread under Xavier twice σ = 0.01's and σ = 0.05's (theory puts it far higher: "
        "sigmoid'(0)·√(100·Var W) is 1/4 a layer under Xavier, 1/8 and 1/40 under σ = 0.05 and 0.01), and the "
        "mean-field saturated shares at h5 (about 0 under Xavier, 0.5 under σ = 1)",
        boundary="at a Xavier h5 spread equal to a small σ's, or a saturated share equal to σ = 1's",
        errors=xavier_sigmoid_errors,
        stated=(1e-12, 0.0002),
    ),
)


def helps_verdict(candidate, small: list, large) -> tuple[bool, dict]:
    spread = mean_interval(candidate.spread[:, -1], CONFIDENCE)
    small_spreads = [mean_interval(s.spread[:, -1], CONFIDENCE) for s in small]
    saturated = mean_interval(candidate.saturated[:, -1], CONFIDENCE)
    large_saturated = mean_interval(large.saturated[:, -1], CONFIDENCE)
    holds = all(spread.low > s.high for s in small_spreads) and saturated.high < large_saturated.low
    return holds, {"spread_h5": spread, "spread_h5_small_sigmas": small_spreads,
                   "saturated_h5": saturated, "saturated_h5_sigma_1": large_saturated}


@pytest.mark.claim(XAVIER_SIGMOID)
def test_xavier_helps_sigmoid(lab3, finding, artifacts, run_settings):
    stats = lab3("sigmoid", XAVIER)[0]
    small = [lab3("sigmoid", NORMAL[s])[0] for s in (0.01, 0.05)]
    ok, measured = helps_verdict(stats, small, lab3("sigmoid", NORMAL[1.0])[0])
    attenuation = geometric_mean_interval(step_ratios(stats.backprop_grad_norm).ravel(), CONFIDENCE)
    measured["grad_attenuation_per_layer"] = attenuation
    measured["grad_attenuation_theory"] = 4.0
    measured["spread_h5_sigma_0.1"] = mean_interval(lab3("sigmoid", NORMAL[0.10])[0].spread[:, -1], CONFIDENCE)
    settings = [NORMAL[0.01], NORMAL[0.05], NORMAL[0.10], NORMAL[1.0], XAVIER]
    artifacts.save("sigmoid_spread", plots.per_layer_lines(
        {s.label: lab3("sigmoid", s)[0].spread for s in settings}, LAYER_NAMES, "across-sample spread", "sigmoid: spread per layer"))
    artifacts.save("sigmoid_gradients", gradient_lines(lab3, "sigmoid", settings, "backprop_grad_norm"))
    summary = (f"spread h5 {measured['spread_h5'].text()} vs σ=0.05 {measured['spread_h5_small_sigmas'][1].text()}; "
               f"saturated h5 {measured['saturated_h5'].text()} vs σ=1 {measured['saturated_h5_sigma_1'].text()}; "
               f"gradient still attenuates ×{attenuation.text()} per layer (theory 4)")
    finding.conclude(XAVIER_SIGMOID.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "means over networks at h5; geometric mean of per-layer gradient ratios", "interval": "Student t, 99.9%"},
        setup_for(run_settings, activation="sigmoid", initializer="glorot_normal")))


@pytest.mark.claim(XAVIER_SIGMOID, control=True)
def test_control_helps_rule_rejects_another_draw_of_the_vanishing_setting(lab3):
    """Negative control at the rule's threshold: 50 other networks of σ = 0.05 (the same spread in distribution,
    still in the vanishing mode) must not pass as 'moved away from both failure modes'."""
    small = [lab3("sigmoid", NORMAL[s])[0] for s in (0.01, 0.05)]
    candidate = lab3("sigmoid", NORMAL[0.05], "control")[0]
    assert not helps_verdict(candidate, small, lab3("sigmoid", NORMAL[1.0])[0])[0]
