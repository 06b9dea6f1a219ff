"""Error rates of He et al.'s training claims (claims/test_deep_relu_training.py, claims/test_he_depth_study.py)."""
import math

import numpy as np
from scipy import stats

from lib.framework import error_rates as er
from lib.framework.calibration import BINOMIAL, SEED, SIZE, T_NONCENTRAL, nuisance
from lib.framework.rules import Part


LN10 = math.log(10)


# --- family A, training (claims/test_deep_relu_training.py, test_he_depth_study.py: 8 seeds, 99% t) -

SEEDS, STALL = 8, 1e-3
EARLIER_BUDGET = (" (from the 790-step budget's reference run, not re-measured on the 10,033-step budget, where a "
                  "He net can turn unstable late: these rates are optimistic for it)")


def deep_relu_errors():
    xavier, xavier_line = nuisance("per-seed SD of Xavier's final loss" + EARLIER_BUDGET, 0.0041443)
    cv, cv_line = nuisance("CV of He's final loss over seeds, held at the design's loss" + EARLIER_BUDGET,
                           0.037418 / 0.26771)
    he_design = 0.25 * LN10
    parts = [Part("Xavier's lower bound above 0.9·ln 10", er.t_bound_misses(SEEDS, 0.99, 0.1 * LN10 / xavier), SIZE,
                  T_NONCENTRAL),
             Part("He's upper bound below 0.5·ln 10", er.t_bound_misses(SEEDS, 0.99, (0.5 * LN10 - he_design) / (
                 cv * he_design)), SIZE, T_NONCENTRAL),
             Part(f"one of 8 He seeds stalls (each with chance {STALL:g})", 1 - (1 - STALL) ** SEEDS, None,
                  BINOMIAL)]
    return parts, [xavier_line, cv_line]


def converge_misses(whose: str) -> tuple[float, str]:
    """A 22-layer-like net's 'converges' part at the design's loss ln 10 / 3: the chance its 99% upper bound over 8
    seeds is not below 0.5·ln 10, with the nuisance line (the CV of He's 22-layer final loss)."""
    cv, cv_line = nuisance(f"CV of He's 22-layer final loss over seeds, held at the design's loss {whose}"
                           + EARLIER_BUDGET, 0.028393 / 0.21918)
    design = LN10 / 3
    return er.t_bound_misses(SEEDS, 0.99, (0.5 * LN10 - design) / (cv * design)), cv_line


def he_22_errors():
    converge, cv_line = converge_misses("(Xavier's too)")
    epochs = np.arange(2, 2 + SEEDS)
    p_value = float(stats.wilcoxon(epochs, epochs + 2, alternative="less").pvalue)
    parts = [Part("Xavier's upper bound below 0.5·ln 10", converge, SIZE, T_NONCENTRAL),
             Part("He's upper bound below 0.5·ln 10", converge, SIZE, T_NONCENTRAL),
             Part(f"one of 16 seeds stalls (each with chance {STALL:g})", 1 - (1 - STALL) ** (2 * SEEDS), None,
                  BINOMIAL),
             Part(f"He sooner: Wilcoxon p = {p_value:.3g} < 0.05 at the design", 0.0 if p_value < 0.05 else 1.0, 0.05,
                  "deterministic at the design; the signed-rank test's level at the boundary")]
    return parts, [cv_line]


def he_depth_errors():
    converge, cv_line = converge_misses("(at every depth)")
    rng, draws = np.random.default_rng(np.random.SeedSequence([SEED, 30])), 2000
    depth = np.repeat(np.arange(5), SEEDS)
    misses = sum(stats.kendalltau(depth, 2 + depth + rng.integers(-1, 2, depth.size), alternative="greater").pvalue
                 >= 0.01 for _ in range(draws))
    estimate, upper = er.simulated_rate(int(misses), draws)
    return [Part("Xavier later with depth: one-sided Kendall tau-b at 0.01", upper, 0.01,
                 f"simulated: {draws} draws ({misses} misses); the test's level at the boundary", (estimate, upper)),
            Part("He's upper bound below 0.5·ln 10 at each of 5 depths", 5 * converge, SIZE, T_NONCENTRAL)], [cv_line]
