"""Family A: weight initialization on the Lab3 MLP, ReLU (Lab3 problem 1; He et al. 2015). The protocol is in
claims/lab3_common.py.
"""
import pytest

from claims.lab3_common import CONFIDENCE, HE, NORMAL, XAVIER, gradient_lines, setup_for, violins
from lib.framework import plots
from lib.framework.findings import Claim
from lib.framework.rules import ERRORS, Rule
from lib.framework.stats import per_step_gain
from lib.protocols.calibrations.common import FROM_99
from lib.protocols.calibrations.lab3 import he_relu_errors, relu_sweep_errors
from lib.protocols.lab3 import LAYER_NAMES, InitSetting
from lib.protocols.theory import relu_gain


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
    Rule(
        "the per-layer gain of E[a²] (h1 → h5) under He has its 99.9% interval inside 1 ± 10% (equivalence: two one-sided "
        "tests; the ±10% band is what 'holds' means in relu-std-sweep) and excluding 1/2; under Xavier, inside 1/2 ± 10% "
        "and excluding 1. " + ERRORS + ". " + FROM_99,
        design="at the theory's gains of 1 (He) and 1/2 (Xavier)",
        boundary="at a true gain on the ±10% band's edge (0.9 or 1.1 times the theory's)",
        errors=he_relu_errors,
        stated=(9e-07, 0.0005),
    ),
)
BAND = 0.10


def gain_verdict(gain, theory: float, other: float) -> bool:
    inside_band = theory * (1 - BAND) < gain.low and gain.high < theory * (1 + BAND)
    return inside_band and not gain.low <= other <= gain.high


@pytest.mark.claim(HE_RELU)
def test_he_preserves_relu(lab3, finding, artifacts, run_settings):
    he = relu_gain_interval(lab3("relu", HE)[0], run_settings["seed"])
    xavier = relu_gain_interval(lab3("relu", XAVIER)[0], run_settings["seed"])
    theory_he, theory_xavier = relu_gain(100, 2 / 100), relu_gain(100, 2 / 200)
    ok = gain_verdict(he, theory_he, theory_xavier) and gain_verdict(xavier, theory_xavier, theory_he)
    settings = [XAVIER, HE]
    artifacts.save("relu_activations", violins(lab3, "relu", settings))
    artifacts.save("relu_second_moment", plots.per_layer_lines(
        {s.label: lab3("relu", s)[0].second_moment for s in settings}, LAYER_NAMES, "E[a²]", "ReLU: second moment per layer"))
    artifacts.save("relu_weight_gradients", gradient_lines(lab3, "relu", settings, "weight_grad_norm"))
    finding.conclude(HE_RELU.finding(
        "supported" if ok else "refuted",
        f"gain per layer: He {he.text()} (theory {theory_he:g}), Xavier {xavier.text()} (theory {theory_xavier:g})",
        {"gain_he": he, "gain_xavier": xavier, "theory_he": theory_he, "theory_xavier": theory_xavier},
        {"statistic": "(ratio of means of E[a²], h5 over h1)^(1/4)", "interval": "BCa bootstrap over networks, 99.9%"},
        setup_for(run_settings, activation="relu", initializers=["he_normal", "glorot_normal"])))


@pytest.mark.claim(HE_RELU, control=True)
def test_control_he_claim_with_xavier_scale_is_refuted(lab3, run_settings):
    """Negative control: evaluate 'He keeps gain 1' on networks that really have Xavier's scale."""
    impostor = relu_gain_interval(lab3("relu", XAVIER)[0], run_settings["seed"])
    assert not gain_verdict(impostor, theory=1.0, other=0.5)


SWEEP = Claim(
    "relu-std-sweep",
    "for ReLU and σ ∈ {0.10, 0.14, 0.28} on the 100-wide layers, activations shrink, hold, and grow with depth "
    "(theory: gain = 100·σ²/2)",
    "Perunicic 2018",
    Rule(
        "per-layer gain of E[a²] (99.9% interval): σ = 0.10 'shrinks' (upper < 0.9), σ = 0.14 'holds' (inside "
        "[0.9, 1.1]), σ = 0.28 'grows' (lower > 1.1); a ±10% band around 1 is what 'hold' means. " + ERRORS + ". " + FROM_99,
        design="at the theory's gains 100·σ²/2 (0.5, 0.98, 3.92)",
        boundary="at a true gain on an edge of the band [0.9, 1.1]",
        errors=relu_sweep_errors,
        stated=(0.0003, 0.0005),
    ),
)
EXPECTED_TREND = {0.10: "shrinks", 0.14: "holds", 0.28: "grows"}


def trend(gain, band: float = BAND) -> str:
    """'shrinks', 'grows' or 'holds' against 1 ± band (the interval wholly below, above or inside), else 'unclear'."""
    if gain.high < 1 - band:
        return "shrinks"
    if gain.low > 1 + band:
        return "grows"
    return "holds" if 1 - band <= gain.low and gain.high <= 1 + band else "unclear"


@pytest.mark.claim(SWEEP)
def test_relu_std_sweep(lab3, finding, artifacts, run_settings):
    gains = {s: relu_gain_interval(lab3("relu", NORMAL[s])[0], run_settings["seed"]) for s in EXPECTED_TREND}
    seen = {s: trend(g) for s, g in gains.items()}
    ok = seen == EXPECTED_TREND
    settings = [NORMAL[s] for s in EXPECTED_TREND]
    artifacts.save("relu_activations", violins(lab3, "relu", settings + [XAVIER, HE]))
    artifacts.save("relu_second_moment", plots.per_layer_lines(
        {s.label: lab3("relu", s)[0].second_moment for s in settings}, LAYER_NAMES, "E[a²]", "ReLU: σ sweep"))
    measured = {f"sigma={s}": {"gain": g, "theory": relu_gain(100, s**2), "trend": seen[s]} for s, g in gains.items()}
    summary = "; ".join(f"σ={s}: {g.text()} {seen[s]} (theory {relu_gain(100, s**2):.3g})" for s, g in gains.items())
    finding.conclude(SWEEP.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "(ratio of means of E[a²], h5 over h1)^(1/4)", "interval": "BCa bootstrap over networks, 99.9%"},
        setup_for(run_settings, activation="relu", sigmas=list(EXPECTED_TREND))))


@pytest.mark.claim(SWEEP, control=True)
def test_control_sweep_rule_rejects_he_as_shrinking(lab3, run_settings):
    """Negative control: He's gain (theory 1) must read as 'holds', not as the σ = 0.10 'shrinks'."""
    assert trend(relu_gain_interval(lab3("relu", HE)[0], run_settings["seed"])) != "shrinks"


NEAR_BAND = InitSetting("normal", 0.13)  # theory gain 100·0.13²/2 = 0.845: 0.055 below the band's lower end


LAX_BAND = 0.25  # a rule made too lax: its lower end 0.095 below NEAR_BAND's theory gain


@pytest.mark.claim(SWEEP, control=True)
def test_control_a_gain_just_below_the_band_does_not_hold_and_a_looser_band_would_say_it_does(lab3, run_settings):
    """Negative control near the threshold: ReLU with σ = 0.13 (theory gain 0.845) must not read 'holds'; the same
    interval against a band loosened to ±25% does read 'holds', so a rule made too lax fails this control. The
    loosened band was ±20% until 2026-11-27, when a sweep found it failing at root seed 8: its lower end 0.80 lay
    0.045 below the theory gain, no more than the sampling spread of an interval over 50 networks (0.821 [0.798,
    0.847] there); ±25% leaves twice that room. The claim's own band and rule are unchanged."""
    gain = relu_gain_interval(lab3("relu", NEAR_BAND)[0], run_settings["seed"])
    assert trend(gain) != "holds"
    assert trend(gain, band=LAX_BAND) == "holds"
