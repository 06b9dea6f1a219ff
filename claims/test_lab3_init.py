"""Family A: weight initialization on the Lab3 MLP (Lab3 problem 1; Perunicic 2018; Glorot & Bengio 2010; He et al. 2015).

Protocol (docs/claims.md A): 784 → linear 100 → 5 × [Dense(100) + activation] → 10, biases zero,
R = 50 independent initializations per setting, probed at initialization on a class-balanced
1,000 digits of the bundled MNIST sample (pixels / 255). Every interval is a 99% interval over
the R networks (alpha = 0.01 per comparison).
"""
import numpy as np
import pytest

from lib import plots
from lib.calibration import sentence, stated
from lib.data import mnist_sample, stratified_subset
from lib.findings import Claim
from lib.lab3 import LAYER_NAMES, InitSetting, probe_lab3_cached
from lib.seeding import child, network_seeds
from lib.stats import geometric_mean_interval, mean_interval, per_step_gain
from lib.theory import relu_gain, tanh_small_signal_gain

pytestmark = pytest.mark.claims

NETWORKS = 50
DIGITS_PER_CLASS = 100
CONFIDENCE = 0.99
SIGMAS = [0.01, 0.05, 0.10, 0.14, 0.28, 1.0]
XAVIER, HE = InitSetting("glorot_normal"), InitSetting("he_normal")
NORMAL = {s: InitSetting("normal", s) for s in SIGMAS}
SETUP = {"network": "784-100-5x100-10, biases zero", "networks_per_setting": NETWORKS,
         "digits": 10 * DIGITS_PER_CLASS, "confidence": CONFIDENCE}


@pytest.fixture(scope="module")
def lab3(seeds, device, experiment_cache):
    """lab3(activation, setting, draw="") -> (LayerStats, activation sample); each setting computed once (the
    experiment cache); a non-empty draw names another, independent set of networks of the same setting."""
    pixels, labels = mnist_sample()
    chosen = stratified_subset(labels, DIGITS_PER_CLASS)
    family = seeds("lab3-mlp")

    def run(activation: str, setting: InitSetting, draw: str = ""):
        seeds = network_seeds(child(family, f"{activation}/{setting.label}{'/' + draw if draw else ''}"), NETWORKS)
        return probe_lab3_cached(experiment_cache, activation, setting, seeds, pixels[chosen], labels[chosen], device)

    return run


def setup_for(run_settings, **extra) -> dict:
    return {**SETUP, "root_seed": run_settings["seed"], **extra}


def depth_ratio(values: np.ndarray) -> np.ndarray:
    """Per network, the last probed layer's value over the first's."""
    return values[:, -1] / values[:, 0]


def step_ratios(values: np.ndarray) -> np.ndarray:
    """Per network, each layer's value over the previous layer's, [K, layers - 1]."""
    return values[:, 1:] / values[:, :-1]


def violins(lab3, activation: str, settings: list[InitSetting]):
    samples = {s.label: lab3(activation, s)[1] for s in settings}
    return plots.layer_violins(samples, LAYER_NAMES, f"{activation} activations per hidden layer at initialization")


def gradient_lines(lab3, activation: str, settings: list[InitSetting], field: str):
    series = {s.label: getattr(lab3(activation, s)[0], field) for s in settings}
    ylabel = {"backprop_grad_norm": "‖∂loss/∂z‖ reaching the layer", "weight_grad_norm": "‖∂loss/∂W‖"}[field]
    return plots.per_layer_lines(series, LAYER_NAMES, ylabel, f"{activation}: gradient norms per layer")


# --- normal-small-std-tanh-vanishes -------------------------------------------------------------

SMALL_STD = Claim(
    "normal-small-std-tanh-vanishes",
    "with N(0, σ) for small σ (0.01 and 0.05), tanh activations shrink geometrically with depth, and so do "
    "the gradients that reach the early layers",
    "Lab3 1, Perunicic 2018",
    "geometric shrinking at the small-signal rate g = √(100·σ²) = 10σ (< 1 for these σ), with 10% tolerance: for "
    "σ = 0.01 and 0.05, each of the 4 layer-to-layer ratios of the activations' std has its 99% upper bound "
    "below 1.1·g, and ‖∂loss/∂z‖ at h1 over h5 (backprop through the same 4 layers) below (1.1·g)^4. "
    + sentence("normal-small-std-tanh-vanishes"),
    false_failure=stated("normal-small-std-tanh-vanishes")[0], false_support=stated("normal-small-std-tanh-vanishes")[1],
)


def vanishing_verdict(stats, sigma: float) -> tuple[bool, dict]:
    bound = 1.1 * np.sqrt(tanh_small_signal_gain(100, sigma**2))
    steps = [geometric_mean_interval(r, CONFIDENCE) for r in step_ratios(stats.std).T]
    gradient = geometric_mean_interval(1 / depth_ratio(stats.backprop_grad_norm), CONFIDENCE)
    holds = all(s.high < bound for s in steps) and gradient.high < bound**4
    return holds, {"std_step_ratios": steps, "grad_h1_over_h5": gradient, "step_bound": bound}


def test_normal_small_std_tanh_vanishes(lab3, finding, artifacts, run_settings):
    measured, holds = {}, []
    for sigma in (0.01, 0.05):
        stats = lab3("tanh", NORMAL[sigma])[0]
        ok, numbers = vanishing_verdict(stats, sigma)
        holds.append(ok)
        theory = np.sqrt(tanh_small_signal_gain(100, sigma**2))
        weights = geometric_mean_interval(1 / depth_ratio(stats.weight_grad_norm), CONFIDENCE)
        measured[f"sigma={sigma}"] = {**numbers, "theory_std_ratio": theory, "weight_grad_h1_over_h5": weights}
    artifacts.save(SMALL_STD.id, "tanh_activations", violins(lab3, "tanh", [NORMAL[0.01], NORMAL[0.05], XAVIER]))
    artifacts.save(SMALL_STD.id, "tanh_gradients", gradient_lines(lab3, "tanh", [NORMAL[0.01], NORMAL[0.05], XAVIER], "backprop_grad_norm"))
    first = measured["sigma=0.01"]
    summary = (f"σ=0.01: std ratio per layer {first['std_step_ratios'][0].text()} (theory {first['theory_std_ratio']:.2g}); "
               f"grad h1/h5 {first['grad_h1_over_h5'].text()}; σ=0.05: grad h1/h5 {measured['sigma=0.05']['grad_h1_over_h5'].text()}")
    finding.conclude(SMALL_STD.finding(
        "supported" if all(holds) else "refuted", summary, measured,
        {"statistic": "geometric mean of per-network ratios", "interval": "Student t on logs, 99%"},
        setup_for(run_settings, activation="tanh", sigmas=[0.01, 0.05])))


def test_control_vanishing_rule_rejects_wrong_scale(lab3):
    """Negative control: networks with Xavier's scale, passed off as σ = 0.05, must not pass the rule."""
    assert not vanishing_verdict(lab3("tanh", XAVIER)[0], sigma=0.05)[0]


# --- normal-large-std-tanh-saturates ------------------------------------------------------------

SATURATES = Claim(
    "normal-large-std-tanh-saturates",
    "with large σ (0.28, 1.0), tanh units saturate near ±1, where tanh' ≈ 0",
    "Lab3 1, Glorot & Bengio 2010",
    "for σ = 0.28 and 1.0, in every hidden layer the mean derivative tanh'(z) = 1 − a² has its 99% upper bound "
    "below 1/2 (most of the gradient is blocked); the share with |a| > 0.99 is reported. "
    + sentence("normal-large-std-tanh-saturates"),
    false_failure=stated("normal-large-std-tanh-saturates")[0], false_support=stated("normal-large-std-tanh-saturates")[1],
)


def saturation_verdict(stats) -> tuple[bool, list]:
    derivative = [mean_interval(1 - m, CONFIDENCE) for m in stats.second_moment.T]
    return all(d.high < 0.5 for d in derivative), derivative


def test_normal_large_std_tanh_saturates(lab3, finding, artifacts, run_settings):
    measured, holds = {}, []
    for sigma in (0.28, 1.0):
        stats = lab3("tanh", NORMAL[sigma])[0]
        ok, derivative = saturation_verdict(stats)
        holds.append(ok)
        saturated = [mean_interval(s, CONFIDENCE) for s in stats.saturated.T]
        measured[f"sigma={sigma}"] = {"mean_tanh_prime": derivative, "saturated_share": saturated}
    measured["xavier_saturated_share"] = [mean_interval(s, CONFIDENCE) for s in lab3("tanh", XAVIER)[0].saturated.T]
    artifacts.save(SATURATES.id, "tanh_activations", violins(lab3, "tanh", [NORMAL[s] for s in SIGMAS] + [XAVIER]))
    a, b = measured["sigma=0.28"], measured["sigma=1.0"]
    summary = (f"mean tanh' at h5: σ=0.28 {a['mean_tanh_prime'][-1].text()}, σ=1.0 {b['mean_tanh_prime'][-1].text()}; "
               f"saturated share at h5: {a['saturated_share'][-1].text()}, {b['saturated_share'][-1].text()}")
    finding.conclude(SATURATES.finding(
        "supported" if all(holds) else "refuted", summary, measured,
        {"statistic": "mean over networks of E[1 − a²] per layer", "interval": "Student t, 99%"},
        setup_for(run_settings, activation="tanh", sigmas=[0.28, 1.0], saturated="|a| > 0.99")))


def test_control_saturation_rule_rejects_small_std(lab3):
    """Negative control: the saturation rule must reject σ = 0.05, where tanh stays linear."""
    assert not saturation_verdict(lab3("tanh", NORMAL[0.05])[0])[0]


# --- normal-std-sigmoid-vanishes ----------------------------------------------------------------

SIGMOID = Claim(
    "normal-std-sigmoid-vanishes",
    "with sigmoid and N(0, σ) the across-sample spread of activations and the gradients reaching early layers "
    "vanish with depth (sigmoid' ≤ 1/4)",
    "Lab3 1, Week10 2.1",
    "for every σ in {0.01, 0.05, 0.10, 0.14, 0.28, 1.0}: the spread at h5 over h1 and ‖∂loss/∂z‖ at h1 over h5 "
    "both have their 99% upper bounds below 1. " + sentence("normal-std-sigmoid-vanishes"),
    false_failure=stated("normal-std-sigmoid-vanishes")[0], false_support=stated("normal-std-sigmoid-vanishes")[1],
)


def sigmoid_vanishing_verdict(stats) -> tuple[bool, dict]:
    spread = geometric_mean_interval(depth_ratio(stats.spread), CONFIDENCE)
    gradient = geometric_mean_interval(1 / depth_ratio(stats.backprop_grad_norm), CONFIDENCE)
    return spread.high < 1 and gradient.high < 1, {"spread_h5_over_h1": spread, "grad_h1_over_h5": gradient}


def test_normal_std_sigmoid_vanishes(lab3, finding, artifacts, run_settings):
    results = {sigma: sigmoid_vanishing_verdict(lab3("sigmoid", NORMAL[sigma])[0]) for sigma in SIGMAS}
    measured = {f"sigma={sigma}": numbers for sigma, (_, numbers) in results.items()}
    failing = [sigma for sigma, (ok, _) in results.items() if not ok]
    artifacts.save(SIGMOID.id, "sigmoid_activations", violins(lab3, "sigmoid", [NORMAL[s] for s in SIGMAS] + [XAVIER]))
    artifacts.save(SIGMOID.id, "sigmoid_gradients", gradient_lines(lab3, "sigmoid", [NORMAL[s] for s in SIGMAS], "backprop_grad_norm"))
    artifacts.save(SIGMOID.id, "sigmoid_weight_gradients", gradient_lines(
        lab3, "sigmoid", [NORMAL[s] for s in SIGMAS] + [XAVIER], "weight_grad_norm"))
    summary = "; ".join(f"σ={s}: spread h5/h1 {m['spread_h5_over_h1'].text(2)}, grad h1/h5 {m['grad_h1_over_h5'].text(2)}"
                        for s, m in zip(SIGMAS, measured.values()))
    if failing:
        summary = f"does not hold for σ = {failing}; " + summary
    finding.conclude(SIGMOID.finding(
        "refuted" if failing else "supported", summary, measured,
        {"statistic": "geometric mean of per-network ratios", "interval": "Student t on logs, 99%"},
        setup_for(run_settings, activation="sigmoid", sigmas=SIGMAS)))


def test_control_sigmoid_rule_rejects_he_relu(lab3):
    """Negative control: He-initialized ReLU keeps its gradient; the sigmoid rule must not call it vanishing."""
    assert not sigmoid_vanishing_verdict(lab3("relu", HE)[0])[0]


# --- xavier-preserves-tanh ----------------------------------------------------------------------

XAVIER_TANH = Claim(
    "xavier-preserves-tanh",
    "with Xavier (Glorot normal) the tanh activations' spread stays within a constant factor across the 5 layers, "
    "without saturation, and the per-layer weight-gradient norms stay within a constant factor of each other",
    "Lab3 1, Glorot & Bengio 2010",
    "'constant factor' = 2: per network, max/min over the 5 layers of the activations' std and of ‖∂loss/∂W‖ "
    "each have their 99% upper bound ≤ 2; 'without saturation' = the share with |a| > 0.99 has its upper bound "
    "< 1% in every layer. " + sentence("xavier-preserves-tanh"),
    false_failure=stated("xavier-preserves-tanh")[0], false_support=stated("xavier-preserves-tanh")[1],
)


def preserving_verdict(stats) -> tuple[bool, dict]:
    spread = geometric_mean_interval(stats.std.max(axis=1) / stats.std.min(axis=1), CONFIDENCE)
    grads = geometric_mean_interval(stats.weight_grad_norm.max(axis=1) / stats.weight_grad_norm.min(axis=1), CONFIDENCE)
    saturated = [mean_interval(s, CONFIDENCE) for s in stats.saturated.T]
    holds = spread.high <= 2 and grads.high <= 2 and all(s.high < 0.01 for s in saturated)
    return holds, {"std_max_over_min": spread, "weight_grad_max_over_min": grads, "saturated_share": saturated}


def test_xavier_preserves_tanh(lab3, finding, artifacts, run_settings):
    ok, measured = preserving_verdict(lab3("tanh", XAVIER)[0])
    settings = [NORMAL[0.01], NORMAL[0.05], NORMAL[0.28], NORMAL[1.0], XAVIER]
    artifacts.save(XAVIER_TANH.id, "tanh_activations", violins(lab3, "tanh", settings))
    artifacts.save(XAVIER_TANH.id, "tanh_weight_gradients", gradient_lines(lab3, "tanh", settings, "weight_grad_norm"))
    summary = (f"std max/min {measured['std_max_over_min'].text()}, weight-grad max/min "
               f"{measured['weight_grad_max_over_min'].text()}, saturated ≤ {max(s.high for s in measured['saturated_share']):.2g}")
    finding.conclude(XAVIER_TANH.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "per-network max/min over layers", "interval": "Student t on logs, 99%"},
        setup_for(run_settings, activation="tanh", initializer="glorot_normal")))


def test_control_preserving_rule_rejects_large_std(lab3):
    """Negative control: N(0, 1.0) saturates tanh; the preserving rule must reject it."""
    assert not preserving_verdict(lab3("tanh", NORMAL[1.0])[0])[0]


# --- xavier-helps-sigmoid -----------------------------------------------------------------------

XAVIER_SIGMOID = Claim(
    "xavier-helps-sigmoid",
    "Xavier moves sigmoid away from both failure modes of the σ sweep; measure how far, and whether gradients "
    "still attenuate per layer (theory: factor ≈ 4 from sigmoid'(0) = 1/4)",
    "Lab3 1",
    "at h5, Xavier's across-sample spread has its 99% lower bound above the upper bounds under σ = 0.01 and 0.05 "
    "(vanishing mode), and its saturated share its upper bound below the lower bound under σ = 1.0 (saturating "
    "mode); the per-layer gradient attenuation is measured against the theory's 4. " + sentence("xavier-helps-sigmoid"),
    false_failure=stated("xavier-helps-sigmoid")[0], false_support=stated("xavier-helps-sigmoid")[1],
)


def helps_verdict(candidate, small: list, large) -> tuple[bool, dict]:
    spread = mean_interval(candidate.spread[:, -1], CONFIDENCE)
    small_spreads = [mean_interval(s.spread[:, -1], CONFIDENCE) for s in small]
    saturated = mean_interval(candidate.saturated[:, -1], CONFIDENCE)
    large_saturated = mean_interval(large.saturated[:, -1], CONFIDENCE)
    holds = all(spread.low > s.high for s in small_spreads) and saturated.high < large_saturated.low
    return holds, {"spread_h5": spread, "spread_h5_small_sigmas": small_spreads,
                   "saturated_h5": saturated, "saturated_h5_sigma_1": large_saturated}


def test_xavier_helps_sigmoid(lab3, finding, artifacts, run_settings):
    stats = lab3("sigmoid", XAVIER)[0]
    small = [lab3("sigmoid", NORMAL[s])[0] for s in (0.01, 0.05)]
    ok, measured = helps_verdict(stats, small, lab3("sigmoid", NORMAL[1.0])[0])
    attenuation = geometric_mean_interval(step_ratios(stats.backprop_grad_norm).ravel(), CONFIDENCE)
    measured["grad_attenuation_per_layer"] = attenuation
    measured["grad_attenuation_theory"] = 4.0
    measured["spread_h5_sigma_0.1"] = mean_interval(lab3("sigmoid", NORMAL[0.10])[0].spread[:, -1], CONFIDENCE)
    settings = [NORMAL[0.01], NORMAL[0.05], NORMAL[0.10], NORMAL[1.0], XAVIER]
    artifacts.save(XAVIER_SIGMOID.id, "sigmoid_spread", plots.per_layer_lines(
        {s.label: lab3("sigmoid", s)[0].spread for s in settings}, LAYER_NAMES, "across-sample spread", "sigmoid: spread per layer"))
    artifacts.save(XAVIER_SIGMOID.id, "sigmoid_gradients", gradient_lines(lab3, "sigmoid", settings, "backprop_grad_norm"))
    summary = (f"spread h5 {measured['spread_h5'].text()} vs σ=0.05 {measured['spread_h5_small_sigmas'][1].text()}; "
               f"saturated h5 {measured['saturated_h5'].text()} vs σ=1 {measured['saturated_h5_sigma_1'].text()}; "
               f"gradient still attenuates ×{attenuation.text()} per layer (theory 4)")
    finding.conclude(XAVIER_SIGMOID.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "means over networks at h5; geometric mean of per-layer gradient ratios", "interval": "Student t, 99%"},
        setup_for(run_settings, activation="sigmoid", initializer="glorot_normal")))


def test_control_helps_rule_rejects_another_draw_of_the_vanishing_setting(lab3):
    """Negative control at the rule's threshold: 50 other networks of σ = 0.05 (the same spread in distribution,
    still in the vanishing mode) must not pass as 'moved away from both failure modes'."""
    small = [lab3("sigmoid", NORMAL[s])[0] for s in (0.01, 0.05)]
    candidate = lab3("sigmoid", NORMAL[0.05], "control")[0]
    assert not helps_verdict(candidate, small, lab3("sigmoid", NORMAL[1.0])[0])[0]


# --- he-preserves-relu and relu-std-sweep -------------------------------------------------------

def relu_gain_interval(stats, seed: int):
    """The per-layer gain of E[a²] over h1..h5: (mean E[a²_h5] / mean E[a²_h1])^(1/4), BCa bootstrap over networks."""
    moment = stats.second_moment
    return per_step_gain(moment[:, 0], moment[:, -1], moment.shape[1] - 1, CONFIDENCE, seed)


HE_RELU = Claim(
    "he-preserves-relu",
    "for ReLU, He init keeps the second moment E[a²] of the activations constant layer to layer (theory: gain 1), "
    "while Xavier halves it per layer (theory: gain 1/2)",
    "Lab3 1, He et al. 2015",
    "the per-layer gain of E[a²] (h1 → h5) under He has its 99% interval inside 1 ± 10% (equivalence: two one-sided "
    "tests; the ±10% band is what 'holds' means in relu-std-sweep) and excluding 1/2; under Xavier, inside 1/2 ± 10% "
    "and excluding 1. " + sentence("he-preserves-relu"),
    false_failure=stated("he-preserves-relu")[0], false_support=stated("he-preserves-relu")[1],
)
BAND = 0.10


def gain_verdict(gain, theory: float, other: float) -> bool:
    inside_band = theory * (1 - BAND) < gain.low and gain.high < theory * (1 + BAND)
    return inside_band and not gain.low <= other <= gain.high


def test_he_preserves_relu(lab3, finding, artifacts, run_settings):
    he = relu_gain_interval(lab3("relu", HE)[0], run_settings["seed"])
    xavier = relu_gain_interval(lab3("relu", XAVIER)[0], run_settings["seed"])
    theory_he, theory_xavier = relu_gain(100, 2 / 100), relu_gain(100, 2 / 200)
    ok = gain_verdict(he, theory_he, theory_xavier) and gain_verdict(xavier, theory_xavier, theory_he)
    settings = [XAVIER, HE]
    artifacts.save(HE_RELU.id, "relu_activations", violins(lab3, "relu", settings))
    artifacts.save(HE_RELU.id, "relu_second_moment", plots.per_layer_lines(
        {s.label: lab3("relu", s)[0].second_moment for s in settings}, LAYER_NAMES, "E[a²]", "ReLU: second moment per layer"))
    artifacts.save(HE_RELU.id, "relu_weight_gradients", gradient_lines(lab3, "relu", settings, "weight_grad_norm"))
    finding.conclude(HE_RELU.finding(
        "supported" if ok else "refuted",
        f"gain per layer: He {he.text()} (theory {theory_he:g}), Xavier {xavier.text()} (theory {theory_xavier:g})",
        {"gain_he": he, "gain_xavier": xavier, "theory_he": theory_he, "theory_xavier": theory_xavier},
        {"statistic": "(ratio of means of E[a²], h5 over h1)^(1/4)", "interval": "BCa bootstrap over networks, 99%"},
        setup_for(run_settings, activation="relu", initializers=["he_normal", "glorot_normal"])))


def test_control_he_claim_with_xavier_scale_is_refuted(lab3, run_settings):
    """Negative control: evaluate 'He keeps gain 1' on networks that really have Xavier's scale."""
    impostor = relu_gain_interval(lab3("relu", XAVIER)[0], run_settings["seed"])
    assert not gain_verdict(impostor, theory=1.0, other=0.5)


SWEEP = Claim(
    "relu-std-sweep",
    "for ReLU and σ ∈ {0.10, 0.14, 0.28} on the 100-wide layers, activations shrink, hold, and grow with depth "
    "(theory: gain = 100·σ²/2)",
    "Perunicic 2018",
    "per-layer gain of E[a²] (99% interval): σ = 0.10 'shrinks' (upper < 0.9), σ = 0.14 'holds' (inside "
    "[0.9, 1.1]), σ = 0.28 'grows' (lower > 1.1); a ±10% band around 1 is what 'hold' means. "
    + sentence("relu-std-sweep"),
    false_failure=stated("relu-std-sweep")[0], false_support=stated("relu-std-sweep")[1],
)
EXPECTED_TREND = {0.10: "shrinks", 0.14: "holds", 0.28: "grows"}


def trend(gain, band: float = BAND) -> str:
    """'shrinks', 'grows' or 'holds' against 1 ± band (the interval wholly below, above or inside), else 'unclear'."""
    if gain.high < 1 - band:
        return "shrinks"
    if gain.low > 1 + band:
        return "grows"
    return "holds" if 1 - band <= gain.low and gain.high <= 1 + band else "unclear"


def test_relu_std_sweep(lab3, finding, artifacts, run_settings):
    gains = {s: relu_gain_interval(lab3("relu", NORMAL[s])[0], run_settings["seed"]) for s in EXPECTED_TREND}
    seen = {s: trend(g) for s, g in gains.items()}
    ok = seen == EXPECTED_TREND
    settings = [NORMAL[s] for s in EXPECTED_TREND]
    artifacts.save(SWEEP.id, "relu_activations", violins(lab3, "relu", settings + [XAVIER, HE]))
    artifacts.save(SWEEP.id, "relu_second_moment", plots.per_layer_lines(
        {s.label: lab3("relu", s)[0].second_moment for s in settings}, LAYER_NAMES, "E[a²]", "ReLU: σ sweep"))
    measured = {f"sigma={s}": {"gain": g, "theory": relu_gain(100, s**2), "trend": seen[s]} for s, g in gains.items()}
    summary = "; ".join(f"σ={s}: {g.text()} {seen[s]} (theory {relu_gain(100, s**2):.3g})" for s, g in gains.items())
    finding.conclude(SWEEP.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "(ratio of means of E[a²], h5 over h1)^(1/4)", "interval": "BCa bootstrap over networks, 99%"},
        setup_for(run_settings, activation="relu", sigmas=list(EXPECTED_TREND))))


def test_control_sweep_rule_rejects_he_as_shrinking(lab3, run_settings):
    """Negative control: He's gain (theory 1) must read as 'holds', not as the σ = 0.10 'shrinks'."""
    assert trend(relu_gain_interval(lab3("relu", HE)[0], run_settings["seed"])) != "shrinks"


NEAR_BAND = InitSetting("normal", 0.13)  # theory gain 100·0.13²/2 = 0.845: 0.055 below the band's lower end


def test_control_a_gain_just_below_the_band_does_not_hold_and_a_looser_band_would_say_it_does(lab3, run_settings):
    """Negative control near the threshold: ReLU with σ = 0.13 (theory gain 0.845) must not read 'holds'; the same
    interval against a band loosened to ±20% does read 'holds', so a rule made too lax fails this control."""
    gain = relu_gain_interval(lab3("relu", NEAR_BAND)[0], run_settings["seed"])
    assert trend(gain) != "holds"
    assert trend(gain, band=0.20) == "holds"
