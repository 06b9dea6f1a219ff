"""Error rates of family C's Week10 claims (claims/test_week10_*.py)."""
import math

import numpy as np
from scipy import stats

from lib.framework import error_rates as er
from lib.framework.calibration import BINOMIAL, DETERMINISTIC, SEED, T_NONCENTRAL, nuisance
from lib.framework.nuisance import cv_t, log_t, normal_se, read_spread, t_spread
from lib.framework.rules import Part
from lib.protocols.calibrations.common import CONFIDENCE, INTEGRATED, SIZE, intervals_apart


# --- family C: Week10 (claims/test_week10_*.py) ----------------------------------------------------



def not_zero_centred_errors():
    return [Part("sigmoid property (derandomized examples)", 0.0, 0.0, DETERMINISTIC),
            Part("some tanh case of 2,000 has mixed signs", 0.5**2000, 0.0, BINOMIAL)], []


W10 = 2000
VANISH, GLOROT = "week10-sigmoid-gradients-vanish", "week10-glorot-vs-uniform"
WIDE = "uniform-init-saturates-wide-tanh"


def w10_vanish_errors():
    step, step_line = nuisance("per-init SD of log(s_l/s_(l+1)), sigmoid (largest step)", 0.56801, read_spread(
        VANISH, [f"sigmoid_step_ratios/{i}" for i in range(3)], log_t, "sigmoid_step_ratios"))
    sig, sig_line = nuisance("per-init SD of log(s1/s4), sigmoid", 0.74997, read_spread(
        VANISH, ["sigmoid_s1_over_s4"], log_t, "sigmoid_s1_over_s4"))
    tanh, tanh_line = nuisance("per-init SD of log(s1/s4), tanh", 0.84500, read_spread(
        VANISH, ["tanh_s1_over_s4"], log_t, "tanh_s1_over_s4"))
    miss, support = intervals_apart(W10, CONFIDENCE, math.log(2), sig, tanh)
    parts = [Part("3 sigmoid steps below 1", 3 * er.t_bound_misses(W10, CONFIDENCE, math.log(2) / step), SIZE, T_NONCENTRAL),
             Part("tanh's s1/s4 above sigmoid's", miss, support, INTEGRATED),
             Part("ReLU exact-zero share above 0 (per-init SD ≤ 1/2, a share's largest)", er.t_bound_misses(
                 W10, CONFIDENCE, 0.25 / 0.5), SIZE, T_NONCENTRAL),
             Part("no exact zeros for sigmoid and tanh: |z| ≤ π + 1 under U(−1, 1)", 0.0, None,
                  "deterministic: σ' and tanh' are positive in float32 there")]
    return parts, [step_line, sig_line, tanh_line]


def w10_glorot_errors():
    ses = {a: nuisance(f"SE of the {a} evenness gain, backed out of its BCa interval", raw, read_spread(
               GLOROT, [f"{a}/evenness_gain"], normal_se, f"{a} evenness gain"))
           for a, raw in (("sigmoid", 0.030474), ("tanh", 0.019692), ("relu", 0.032196))}
    scales = [nuisance(f"SE of the {a} scale change", raw, read_spread(GLOROT, [f"{a}/scale_change"], normal_se,
                                                                        f"{a} scale change"))
              for a, raw in (("sigmoid", 0.014946), ("tanh", 0.018052), ("relu", 0.068905))]
    scale_se = max(value for value, _ in scales)
    method = "normal-theory approximation of the BCa interval"
    quantile = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    boundary = SIZE + float(stats.norm.sf(quantile + 2 * math.log(2) / scale_se)) + SIZE  # E above, R above or below
    parts = [Part(f"{a}: a huge difference (E above log 2 or R beyond ±log 2)",
                  float(stats.norm.cdf(quantile - math.log(2) / se)), boundary, method) for a, (se, _) in ses.items()]
    return parts, [line for _, line in ses.values()] + [line for _, line in scales]


def uniform_saturated_share(fan_in: int, draws: int = 20_000) -> float:
    """Theory of the U(−1, 1) curve: z | w ~ N(0, ‖w‖²) for unit-variance inputs, so the share is
    E[2Φ(−atanh(0.99)/‖w‖)], the expectation over w ~ U(−1, 1)^n taken by seeded draws."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, fan_in]))
    norms = np.concatenate([np.sqrt((rng.uniform(-1, 1, (1000, fan_in)) ** 2).sum(axis=1)) for _ in range(draws // 1000)])
    return float(np.mean(2 * stats.norm.sf(math.atanh(0.99) / norms)))


def glorot_centre_share(fan_in: int, draws: int = 20_000) -> float:
    """Theory of Glorot's centre-range share in a square layer: z | x ~ N(0, ‖x‖²/n) (Var[w] = 1/n), so the share
    with tanh' ≥ 1/2 is E[2Φ(atanh(1/√2)·√n/‖x‖) − 1], over ‖x‖² ~ χ²_n, taken by seeded draws."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, fan_in, 2]))
    norms = np.sqrt(rng.chisquare(fan_in, draws))
    return float(np.mean(2 * stats.norm.cdf(math.atanh(1 / math.sqrt(2)) * math.sqrt(fan_in) / norms) - 1))


def wide_tanh_errors(fan_ins: tuple, inits: int):
    """The rule of uniform-init-saturates-wide-tanh (claims/test_week10_saturation.py) over fan_ins, inits each."""
    sd, sd_line = nuisance("per-init SD of the U(−1, 1) share (largest fan-in)", 0.02739, read_spread(
        WIDE, [f"U(−1, 1) saturated/{n}" for n in fan_ins], t_spread, "U(−1, 1) saturated, each fan-in"))
    sd_2, sd_2_line = nuisance("per-init SD of the U(−1, 1) share at fan-in 2", 0.00585, read_spread(
        WIDE, [f"U(−1, 1) saturated/{fan_ins[0]}"], t_spread, "U(−1, 1) saturated, fan-in 2"))
    sd_1000, sd_1000_line = nuisance("per-init SD of the U(−1, 1) share at fan-in 1,000", 0.01418, read_spread(
        WIDE, [f"U(−1, 1) saturated/{fan_ins[-1]}"], t_spread, "U(−1, 1) saturated, fan-in 1,000"))
    cv, cv_line = nuisance("CV of Glorot's saturated share over inits (largest fan-in)", 0.7717, read_spread(
        WIDE, [f"Glorot normal saturated/{n}" for n in fan_ins], cv_t, "Glorot normal saturated, each fan-in"))
    centre_sd, centre_line = nuisance("per-init SD of Glorot's centre-range share (largest, at fan-in 2; pilot)", 0.077, read_spread(
        WIDE, [f"Glorot normal centre range/{n}" for n in fan_ins], t_spread, "Glorot normal centre range, each fan-in"))
    shares = [uniform_saturated_share(n) for n in fan_ins]
    falls = sum(float(stats.norm.cdf(-(b - a) / (sd * math.sqrt(2 / inits)))) for a, b in zip(shares, shares[1:]))
    miss, support = intervals_apart(inits, CONFIDENCE, shares[-1] - shares[0], sd_2, sd_1000)
    centre = min(glorot_centre_share(n) for n in fan_ins)
    outside = len(fan_ins) * er.t_bound_misses(inits, CONFIDENCE, (centre - 0.5) / centre_sd)
    se = cv * math.sqrt(2 / inits)  # of a log ratio of two independent means (delta method)
    growth = (len(fan_ins) - 1) * float(stats.norm.cdf(stats.norm.ppf(0.5 + CONFIDENCE / 2) - math.log(2) / se))
    parts = [Part(f"U(−1, 1): no adjacent fall of the mean share ({len(fan_ins) - 1} pairs)", falls, None,
                  "normal approximation (means of 1,000 inits)"),
             Part("U(−1, 1): interval at the widest above the one at the narrowest", miss, support, INTEGRATED),
             Part(f"Glorot: centre share's lower bound above 1/2 at {len(fan_ins)} fan-ins (theory's least "
                  f"{centre:.3f})", outside, SIZE, T_NONCENTRAL),
             Part(f"Glorot: {len(fan_ins) - 1} ratios to the widest above 1/2", growth, SIZE,
                  "normal-theory approximation of the BCa interval, one side")]
    return parts, [sd_line, sd_2_line, sd_1000_line, cv_line, centre_line]
