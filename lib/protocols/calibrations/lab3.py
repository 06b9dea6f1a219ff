"""Error rates of family A's claims at initialization (claims/test_lab3_*.py) and Glorot & Bengio's backprop
(claims/test_glorot_backprop.py)."""
import math

import numpy as np
from scipy import stats

from lib.framework import error_rates as er
from lib.framework.calibration import T_NONCENTRAL, nuisance
from lib.framework.nuisance import Measured, cv_t, log_t, read_spread, sd_log_bca, t_spread, value_at
from lib.framework.rules import Part
from lib.framework.sequential import SequentialBandRule
from lib.protocols.calibrations.common import (CONFIDENCE, INTEGRATED, SIZE, expect, fixed_point, intervals_apart, lab3_first_variance,
                                              log_band_parts, tanh_variances)


# --- family A: the Lab3 MLP at initialization (claims/test_lab3_*.py: 50 networks, 99.9% t) ----------

A_NETWORKS, A_CONFIDENCE = 50, CONFIDENCE
BAND_ALPHA = 0.001  # glorot-standard-init-backprop-shrinks: each band rule's level over its looks
SATURATION_NETWORKS, SATURATION_ALPHA = 1000, 0.0005  # xavier-preserves-tanh's saturation part: networks, level
SMALL, LARGE, SIGMOID = "normal-small-std-tanh-vanishes", "normal-large-std-tanh-saturates", "normal-std-sigmoid-vanishes"
TANH, HELPS, GLOROT = "xavier-preserves-tanh", "xavier-helps-sigmoid", "glorot-standard-init-backprop-shrinks"
SIGMAS = (0.01, 0.05, 0.10, 0.14, 0.28, 1.0)


def read_largest(claim: str, path: str, what: str):
    """A reader of the largest number in a list of a claim's measured values (None entries left out)."""
    def read(findings: dict):
        values = [v for v in value_at(findings, claim, path) if v is not None]
        return Measured(max(values), f"{claim}: {what}") if values else None
    return read


def sweep_gain(sigma: float):
    """A reader of relu-std-sweep's per-network SD of log gain at sigma (its BCa interval over 50 networks)."""
    return read_spread("relu-std-sweep", [f"sigma={sigma:g}/gain"], sd_log_bca, f"gain at σ = {sigma:g}")


def normalized_blocks(findings: dict):
    """The per-network SD of log gain in each block of networks the normalized init's looks added (a look over n
    networks holds n − (the last look's) new ones; the first look's own SD stands for its block)."""
    looks = value_at(findings, GLOROT, "normalized_gain/looks")
    return Measured(max(log_t(look["estimate"]) for look in looks), f"{GLOROT}: normalized_gain, each look")


def small_std_errors():
    step, step_line = nuisance("per-network SD of log(std ratio) of one layer step (largest of 8)", 0.036062, read_spread(
        SMALL, [f"sigma={s}/std_step_ratios/{i}" for s in (0.01, 0.05) for i in range(4)], log_t, "std_step_ratios"))
    grad, grad_line = nuisance("per-network SD of log(‖δ_h1‖/‖δ_h5‖) (largest of 2)", 0.061807, read_spread(
        SMALL, [f"sigma={s}/grad_h1_over_h5" for s in (0.01, 0.05)], log_t, "grad_h1_over_h5"))
    parts = []
    for sigma in (0.01, 0.05):
        parts.append(Part(f"σ={sigma}: 4 std steps below 1.1·g", 4 * er.t_bound_misses(
            A_NETWORKS, A_CONFIDENCE, math.log(1.1) / step), SIZE, T_NONCENTRAL))
        parts.append(Part(f"σ={sigma}: gradient h1/h5 below (1.1·g)^4", er.t_bound_misses(
            A_NETWORKS, A_CONFIDENCE, 4 * math.log(1.1) / grad), SIZE, T_NONCENTRAL))
    return parts, [step_line, grad_line]


def tanh_fixed_point_derivative(sigma: float) -> float:
    """Mean tanh'(z) = 1 − E[tanh²] at the fixed point of the variance map q = 100σ²·E[tanh²(√q Z)]."""
    gain = 100 * sigma**2
    q = fixed_point(lambda q: gain * expect(lambda z: np.tanh(z) ** 2, q), gain)
    return 1 - q / gain


def large_std_errors():
    sds = {0.28: nuisance("per-network SD of mean tanh' at σ = 0.28 (largest layer)", 0.0066749, read_spread(
               LARGE, [f"sigma=0.28/mean_tanh_prime/{i}" for i in range(5)], t_spread, "mean_tanh_prime")),
           1.0: nuisance("per-network SD of mean tanh' at σ = 1.0 (largest layer)", 0.0016076, read_spread(
               LARGE, [f"sigma=1.0/mean_tanh_prime/{i}" for i in range(5)], t_spread, "mean_tanh_prime"))}
    parts = []
    for sigma, (sd, _) in sds.items():
        derivative = tanh_fixed_point_derivative(sigma)
        parts.append(Part(f"σ={sigma}: 5 layers below 1/2 (theory {derivative:.3f})", 5 * er.t_bound_misses(
            A_NETWORKS, A_CONFIDENCE, (0.5 - derivative) / sd), SIZE, T_NONCENTRAL))
    return parts, [line for _, line in sds.values()]


def sigmoid_vanishes_errors():
    spread, spread_line = nuisance("per-network SD of log(spread h5/h1) (largest of 6 σ)", 0.29823, read_spread(
        SIGMOID, [f"sigma={s}/spread_h5_over_h1" for s in SIGMAS], log_t, "spread_h5_over_h1"))
    grad, grad_line = nuisance("per-network SD of log(‖δ_h1‖/‖δ_h5‖) (largest of 6 σ)", 0.10366, read_spread(
        SIGMOID, [f"sigma={s}/grad_h1_over_h5" for s in SIGMAS], log_t, "grad_h1_over_h5"))
    parts = [Part("6 σ: spread h5/h1 below 1", 6 * er.t_bound_misses(A_NETWORKS, A_CONFIDENCE, math.log(2) / spread),
                  SIZE, T_NONCENTRAL),
             Part("6 σ: gradient h1/h5 below 1", 6 * er.t_bound_misses(A_NETWORKS, A_CONFIDENCE, math.log(2) / grad),
                  SIZE, T_NONCENTRAL)]
    return parts, [spread_line, grad_line]


def xavier_tanh_saturation() -> list[float]:
    """Mean-field saturated share (|tanh| > 0.99) per layer h1..h5 under Xavier (Glorot normal), over the digits."""
    cut = math.atanh(0.99)
    q = tanh_variances(lab3_first_variance(2 / 884, 1 / 100), 1 / 100)
    return [float(np.mean(2 * stats.norm.sf(cut / np.sqrt(v)))) for v in q]


def xavier_tanh_errors():
    spread, spread_line = nuisance("per-network SD of log(std max/min)", 0.044315, read_spread(
        TANH, ["std_max_over_min"], log_t, "std_max_over_min"))
    grads, grads_line = nuisance("per-network SD of log(weight-gradient max/min)", 0.059469, read_spread(
        TANH, ["weight_grad_max_over_min"], log_t, "weight_grad_max_over_min"))
    cv, cv_line = nuisance("coefficient of variation of the saturated share over networks (largest layer), held at "
                           "the theory's share", 5.0508, read_largest(TANH, "saturated_share_cv", "saturated_share_cv"))
    half = math.log(2) / 2
    shares = xavier_tanh_saturation()
    below = er.bounded_mean_critical(SATURATION_NETWORKS, SATURATION_ALPHA, 0.01)
    # Chebyshev at the design: the mean share reaches `below` only by (below − s) / (its SD over the networks)
    misses = sum(min(1.0, (cv * s) ** 2 / SATURATION_NETWORKS / (below - s) ** 2) for s in shares)
    parts = [Part("std max/min ≤ 2", er.t_bound_misses(A_NETWORKS, A_CONFIDENCE, half / spread), SIZE, T_NONCENTRAL),
             Part("weight-gradient max/min ≤ 2", er.t_bound_misses(A_NETWORKS, A_CONFIDENCE, half / grads), SIZE,
                  T_NONCENTRAL),
             Part(f"saturated share < 1% in 5 layers (theory ≤ {max(shares):.1e}), {SATURATION_NETWORKS:,} networks",
                  misses, SATURATION_ALPHA, "Hoeffding's bound for values in [0, 1] at the boundary (distribution-free); "
                  "Chebyshev at the design")]
    return parts, [spread_line, grads_line, cv_line]


def sigmoid_fixed_point_saturation(sigma: float) -> float:
    """Share with σ(z) < 0.01 or > 0.99 at the fixed point of q = 100σ²·E[sigmoid(√q Z)²] (zero biases)."""
    gain = 100 * sigma**2
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    q = fixed_point(lambda q: gain * expect(lambda z: sigmoid(z) ** 2, q), gain / 2)
    return float(2 * stats.norm.sf(math.log(99) / math.sqrt(q)))


def xavier_sigmoid_errors():
    cv_x, line_x = nuisance("CV of Xavier's h5 spread over networks", 0.036082, read_spread(
        HELPS, ["spread_h5"], cv_t, "spread_h5"))
    cv_1, line_1 = nuisance("CV of σ = 0.01's h5 spread", 0.28942, read_spread(
        HELPS, ["spread_h5_small_sigmas/0"], cv_t, "spread_h5_small_sigmas[0]"))
    cv_5, line_5 = nuisance("CV of σ = 0.05's h5 spread", 0.040921, read_spread(
        HELPS, ["spread_h5_small_sigmas/1"], cv_t, "spread_h5_small_sigmas[1]"))
    sd_sat, line_sat = nuisance("per-network SD of the h5 saturated share (σ = 1's, taken for Xavier too)", 0.044498,
                                  read_spread(HELPS, ["saturated_h5_sigma_1", "saturated_h5"], t_spread, "saturated_h5"))
    parts = []
    for label, cv in (("σ=0.01", cv_1), ("σ=0.05", cv_5)):
        miss = intervals_apart(A_NETWORKS, A_CONFIDENCE, 1.0, cv, 2 * cv_x)[0]  # Xavier's mean twice, so its SD too
        support = intervals_apart(A_NETWORKS, A_CONFIDENCE, 1.0, cv, cv_x)[1]  # at the boundary the means are equal
        parts.append(Part(f"Xavier's h5 spread above {label}'s", miss, support, INTEGRATED))
    large = sigmoid_fixed_point_saturation(1.0)
    small = sigmoid_fixed_point_saturation(math.sqrt(2 / 200))
    miss, support = intervals_apart(A_NETWORKS, A_CONFIDENCE, large - small, sd_sat, sd_sat)
    parts.append(Part(f"Xavier's h5 saturated share below σ=1's (theory {small:.1g} and {large:.2f})", miss, support,
                      INTEGRATED))
    return parts, [line_x, line_1, line_5, line_sat]


def he_relu_errors():
    he, he_line = nuisance("per-network SD of log gain under He (delta method over 50 networks)", 0.075313, read_spread(
        "he-preserves-relu", ["gain_he"], sd_log_bca, "gain_he"))
    xavier, xavier_line = nuisance("per-network SD of log gain under Xavier (delta method)", 0.077187, read_spread(
        "he-preserves-relu", ["gain_xavier"], sd_log_bca, "gain_xavier"))
    parts = [log_band_parts("He: gain inside 1 ± 10%", A_NETWORKS, A_CONFIDENCE, 1.0, 0.9, 1.1, he),
             log_band_parts("Xavier: gain inside 1/2 ± 10%", A_NETWORKS, A_CONFIDENCE, 0.5, 0.45, 0.55, xavier)]
    return parts, [he_line, xavier_line]


def relu_sweep_errors():
    sds = {0.10: nuisance("per-network SD of log gain at σ = 0.10 (delta method)", 0.10445, sweep_gain(0.1)),
           0.14: nuisance("per-network SD of log gain at σ = 0.14", 0.083722, sweep_gain(0.14)),
           0.28: nuisance("per-network SD of log gain at σ = 0.28", 0.090190, sweep_gain(0.28))}
    bands = {0.10: (0.0, 0.9), 0.14: (0.9, 1.1), 0.28: (1.1, math.inf)}
    words = {0.10: "shrinks", 0.14: "holds", 0.28: "grows"}
    parts = [log_band_parts(f"σ={s}: {words[s]} (theory {100 * s**2 / 2:.3g})", A_NETWORKS, A_CONFIDENCE,
                            100 * s**2 / 2, *bands[s], sds[s][0]) for s in sds]
    return parts, [line for _, line in sds.values()]


# --- section D: Glorot & Bengio's backprop (claims/test_glorot_backprop.py) ------------------------

def glorot_backprop_gain(embedding_variance: float, weight_variance: float) -> float:
    """Mean-field per-layer gain of ‖∂loss/∂z‖ from h5 down to h1: ‖δ_l‖² = 100·Var[W]·E[tanh'(z_l)²]·‖δ_l+1‖², with
    z_l's variance from the forward recursion started at each digit, averaged over the digits."""
    q = tanh_variances(lab3_first_variance(embedding_variance, weight_variance), weight_variance)
    factors = [100 * weight_variance * expect(lambda z: (1 - np.tanh(z) ** 2) ** 2, v) for v in q[:4]]
    return float(np.mean(np.prod(factors, axis=0)) ** (1 / 8))


def band_rule_errors(rule: SequentialBandRule, gain: float, sd: float) -> tuple[float, float]:
    """(false failure at gain, false support at the band's nearest finite edge) of a SequentialBandRule on the logs
    of a per-network gain with SD sd: union bounds over its looks with the noncentral t. Not 'supported' needs a
    'refuted' look or a last look not inside; at an edge, 'supported' needs some look inside."""
    confidence = 1 - rule.alpha / len(rule.stages)
    log_low = math.log(rule.low) if rule.low > 0 else -math.inf
    log_high, mean = math.log(rule.high), math.log(gain)
    refuted = sum(er.t_bound_beyond(n, confidence, (log_low - mean) / sd) if math.isfinite(log_low) else 0.0
                  for n in rule.stages)
    refuted += sum(er.t_bound_beyond(n, confidence, (mean - log_high) / sd) for n in rule.stages)
    last = rule.stages[-1]
    short = er.t_bound_misses(last, confidence, (log_high - mean) / sd)
    if math.isfinite(log_low):
        short += er.t_bound_misses(last, confidence, (mean - log_low) / sd)
    support = sum(er.t_bound_beyond(n, confidence, 0.0) for n in rule.stages)
    return min(1.0, refuted + short), min(1.0, support)


def glorot_backprop_errors():
    standard_sd, standard_line = nuisance("per-network SD of log gain, standard init (50 networks)", 0.011859, read_spread(
        GLOROT, ["standard_gain/looks/0/estimate"], log_t, "standard_gain, first look"))
    normalized_sd, normalized_line = nuisance("per-network SD of log gain, normalized init (largest block)", 0.015638,
                                              normalized_blocks)
    level = SequentialBandRule(0.9, 1.1, stages=(50, 200, 800), alpha=BAND_ALPHA)
    shrinks = SequentialBandRule(0.0, 0.9, stages=(50, 200, 800), alpha=BAND_ALPHA)
    standard = glorot_backprop_gain(1 / (3 * 784), 1 / 300)
    normalized = glorot_backprop_gain(2 / 884, 2 / 200)
    method = "exact: noncentral t, union over the looks"
    parts = [Part(f"standard: shrinks below 0.9 (theory {standard:.4f})", *band_rule_errors(shrinks, standard,
                                                                                             standard_sd), method),
             Part(f"normalized: level inside 1 ± 0.1 (theory {normalized:.4f})", *band_rule_errors(
                 level, normalized, normalized_sd), method)]
    return parts, [standard_line, normalized_line]
