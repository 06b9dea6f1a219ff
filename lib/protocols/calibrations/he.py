"""Error rates of He et al.'s training claims (claims/test_deep_relu_training.py, claims/test_he_depth_study.py)."""
import functools
import math
from pathlib import Path

import numpy as np
from scipy import stats

from lib.framework import error_rates as er
from lib.framework.calibration import BINOMIAL, SEED, T_NONCENTRAL, declared, nuisance
from lib.framework.nuisance import Measured
from lib.framework.rules import Part


LN10 = math.log(10)
SIZE = er.t_bound_size(0.99)  # one side of the He claims' 99% t intervals over 8 seeds


# --- family A, training (claims/test_deep_relu_training.py, test_he_depth_study.py: 8 seeds, 99% t) -

SEEDS, STALL = 8, 1e-3
SOONER_ALPHA = 0.005  # he-22-layer-both-converge's Wilcoxon test (8 pairs: all 8 in He's favour, p = 1/256)
TREND_ALPHA = 0.005  # he-xavier-later-with-depth's Kendall test
EARLIER_BUDGET = (" (from the 790-step budget's reference run, not re-measured on the 10,033-step budget, where a "
                  "He net can turn unstable late: these rates are optimistic for it)")


RECORD = Path(__file__).resolve().parents[3] / "docs" / "stability" / "he-claims-gpu-losses.npz"
RECORD_NAME = "docs/stability/he-claims-gpu-losses.npz, 21 root seeds"


@functools.cache
def final_losses(depth: int, initializer: str) -> np.ndarray:
    """[root seed, net] the last epoch's training loss of the recorded nets (keys '<depth>_<root seed>_<init>')."""
    with np.load(RECORD) as record:
        return np.stack([record[k][:, -1] for k in sorted(record.files) if k.startswith(f"{depth}_")
                         and k.endswith(f"_{initializer}")])


def pooled_spread(depth: int, initializer: str, relative: bool):
    """A reader of the recorded nets' spread over the 8 nets of a root seed, pooled over root seeds (the root of the
    mean variance; infinite where a net diverged), relative to the mean loss with relative."""
    def read(findings: dict) -> Measured:
        losses = final_losses(depth, initializer)
        finite = np.isfinite(losses).all()
        sd = float(np.sqrt(np.mean(np.var(losses, axis=1, ddof=1)))) if finite else math.inf
        value = sd / float(np.mean(losses)) if relative and finite else sd
        return Measured(value, f"{RECORD_NAME}, {depth} layers, {initializer}")
    return read


def stalls(depth: int, initializers: tuple):
    """A reader of how many recorded nets stall: their last loss not below 0.5·ln 10 (or not finite)."""
    def read(findings: dict) -> Measured:
        losses = np.concatenate([final_losses(depth, i).ravel() for i in initializers])
        count = int(np.sum(~(losses < 0.5 * LN10)))
        return Measured(count / losses.size, f"{RECORD_NAME}, {depth} layers, {' and '.join(initializers)}: {count} "
                        f"of {losses.size} nets", (count, losses.size))
    return read


def deep_relu_errors():
    xavier, xavier_line = nuisance("per-seed SD of Xavier's final loss" + EARLIER_BUDGET, 0.0041443,
                                   pooled_spread(30, "glorot_normal", relative=False))
    cv, cv_line = nuisance("CV of He's final loss over seeds, held at the design's loss" + EARLIER_BUDGET,
                           0.037418 / 0.26771, pooled_spread(30, "he_normal", relative=True))
    _, stall_line = declared("chance a 30-layer He net stalls", STALL, "He et al. report no stall",
                             stalls(30, ("he_normal",)))
    he_design = 0.25 * LN10
    parts = [Part("Xavier's lower bound above 0.9·ln 10", er.t_bound_misses(SEEDS, 0.99, 0.1 * LN10 / xavier), SIZE,
                  T_NONCENTRAL),
             Part("He's upper bound below 0.5·ln 10", er.t_bound_misses(SEEDS, 0.99, (0.5 * LN10 - he_design) / (
                 cv * he_design)), SIZE, T_NONCENTRAL),
             Part(f"one of 8 He seeds stalls (each with chance {STALL:g})", 1 - (1 - STALL) ** SEEDS, None,
                  BINOMIAL)]
    return parts, [xavier_line, cv_line, stall_line]


def converge_misses(whose: str) -> tuple[float, str]:
    """A 22-layer-like net's 'converges' part at the design's loss ln 10 / 3: the chance its 99% upper bound over 8
    seeds is not below 0.5·ln 10, with the nuisance line (the CV of He's 22-layer final loss)."""
    cv, cv_line = nuisance(f"CV of He's 22-layer final loss over seeds, held at the design's loss {whose}"
                           + EARLIER_BUDGET, 0.028393 / 0.21918, pooled_spread(22, "he_normal", relative=True))
    design = LN10 / 3
    return er.t_bound_misses(SEEDS, 0.99, (0.5 * LN10 - design) / (cv * design)), cv_line


def he_22_errors():
    converge, cv_line = converge_misses("(Xavier's too)")
    epochs = np.arange(2, 2 + SEEDS)
    p_value = float(stats.wilcoxon(epochs, epochs + 2, alternative="less").pvalue)
    _, stall_line = declared("chance a 22-layer net stalls", STALL, "He et al. report both converging",
                             stalls(22, ("glorot_normal", "he_normal")))
    parts = [Part("Xavier's upper bound below 0.5·ln 10", converge, SIZE, T_NONCENTRAL),
             Part("He's upper bound below 0.5·ln 10", converge, SIZE, T_NONCENTRAL),
             Part(f"one of 16 seeds stalls (each with chance {STALL:g})", 1 - (1 - STALL) ** (2 * SEEDS), None,
                  BINOMIAL),
             Part(f"He sooner: Wilcoxon p = {p_value:.3g} < {SOONER_ALPHA:g} at the design",
                  0.0 if p_value < SOONER_ALPHA else 1.0, SOONER_ALPHA,
                  "deterministic at the design; the signed-rank test's level at the boundary")]
    return parts, [cv_line, stall_line]


def he_depth_errors():
    converge, cv_line = converge_misses("(at every depth)")
    rng, draws = np.random.default_rng(np.random.SeedSequence([SEED, 30])), 2000
    depth = np.repeat(np.arange(5), SEEDS)
    misses = sum(stats.kendalltau(depth, 2 + depth + rng.integers(-1, 2, depth.size), alternative="greater").pvalue
                 >= TREND_ALPHA for _ in range(draws))
    estimate, upper = er.simulated_rate(int(misses), draws)
    return [Part(f"Xavier later with depth: one-sided Kendall tau-b at {TREND_ALPHA:g}", upper, TREND_ALPHA,
                 f"simulated: {draws} draws ({misses} misses); the test's level at the boundary", (estimate, upper)),
            Part("He's upper bound below 0.5·ln 10 at each of 5 depths", 5 * converge, SIZE, T_NONCENTRAL)], [cv_line]
