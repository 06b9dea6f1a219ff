"""Error rates of family B's dying-ReLU claims (claims/test_lu_*.py) and RAI's (claims/test_rai.py)."""
import numpy as np

from lib.framework import error_rates as er
from lib.framework.calibration import BINOMIAL, SEED, nuisance
from lib.framework.nuisance import cv_t, read_spread
from lib.protocols.calibrations.common import CONFIDENCE, SIZE
from lib.framework.rules import Part
from lib.framework.sequential import SequentialRateRule


# --- family B: dying ReLU (claims/test_lu_*.py) -------------------------------------------------

TARGETS, RUNS = 3, 1000
TARGET_NAMES = ("f1", "f2", "f3")
DESIGN_RATE = 0.91  # the design margin from the claim's words: "over 90%" is stated in whole percent, so 91%
SEQUENTIAL = "exact: binomial, the undecided counts carried over the looks (lib.framework.alpha_spending)"


def over_90_errors(rule: SequentialRateRule):
    """The over-90 rule (the claim's, a sequential rate rule) per target, at DESIGN_RATE and at 0.90."""
    failure, support = er.sequential_rate_errors(rule, DESIGN_RATE)
    return [Part(f"f{t}: sequential, supported", failure, support, SEQUENTIAL) for t in (1, 2, 3)], []


def mcnemar_parts(first: float, second: float, alpha: float, label: str):
    miss = er.mcnemar_misses(RUNS, first, second, alpha)
    return [Part(f"f{t}: {label}", miss, alpha, "exact: binomial (McNemar at the least favourable pairing); "
                 "its level at the boundary") for t in (1, 2, 3)]


PAIRED_ALPHA = 0.001  # the McNemar tests of leaky-relu-reduces-collapse and rai-reduces-collapse: large effects


def leaky_errors():
    return mcnemar_parts(0.9, 0.3, PAIRED_ALPHA, "McNemar significant"), []


BORN_WIDTHS, BORN_DEPTHS = (2, 3, 5, 10), (1, 2, 5, 9, 20, 50)


BORN_RUNS, BORN_ALPHA, BORN_MARGIN = 200_000, 0.001, 0.01  # relu-born-dead-theory: runs a cell, TOST level, margin


def born_dead_errors():
    """Per cell, the equivalence rule (two one-sided exact tests at BORN_ALPHA, ±BORN_MARGIN): false failure summed
    over the 24 cells at the formula; false support the largest over cells and sides with one cell off by the margin
    (the others at the formula pass with chance at most 1, so 'supported' is no likelier than that cell passing)."""
    from lib.protocols.theory import born_dead_probability

    errors = [er.rate_equivalence_errors(BORN_RUNS, BORN_ALPHA, born_dead_probability(n, h), BORN_MARGIN)
              for n in BORN_WIDTHS for h in BORN_DEPTHS]
    return [Part(f"{len(errors)} cells: rate within ±{BORN_MARGIN:g} of the formula (TOST at {BORN_ALPHA:g})",
                 min(1.0, sum(e[0] for e in errors)), max(e[1] for e in errors),
                 "exact: binomial over the counts the two one-sided tests accept")], []


AT_BIRTH_CONFIDENCE = 0.999  # one-sided: collapse-is-decided-at-birth's lower bound


def at_birth_errors():
    supported, misses = er.rate_bound_errors(900, AT_BIRTH_CONFIDENCE, 0.5, 0.75)
    size = er.rate_bound_errors(900, AT_BIRTH_CONFIDENCE, 0.5, 0.5)[0]
    return [Part(f"f{t}: lower bound above 1/2", misses, size, BINOMIAL) for t in (1, 2, 3)], []


SKEWED_DRAWS = 100_000  # simulated samples of 900 gamma deviations


def target_mean_errors():
    cv, cv_line = nuisance("CV over collapsed runs of |c − ȳ| / range (largest target, f3), held at the design", 0.90269,
                           read_spread("collapsed-net-outputs-target-mean", [f"{t}/relative_deviation" for t in TARGET_NAMES],
                                       cv_t, "relative_deviation"))
    design = 0.005
    miss = er.t_bound_misses(900, CONFIDENCE, (0.01 - design) / (cv * design))
    # the deviations are positive and right-skewed: the t bound's size on gamma values of the same CV
    estimate, skewed = er.t_upper_bound_size_skewed(900, CONFIDENCE, 1 / cv**2, SKEWED_DRAWS, [SEED, 900])
    method = (f"exact: noncentral t (normal values) at the design; simulated on gamma values of CV {cv:g} at the "
              f"boundary: {SKEWED_DRAWS:,} draws, {estimate:.2g}")
    return [Part(f"f{t}: upper bound below 1%", miss, max(SIZE, skewed), method, (estimate, skewed))
            for t in (1, 2, 3)], [cv_line]


DEPTH_STEP, ADJACENT_STEP = 0.2, 0.02
REQUIRED_ALPHA = 0.005  # claims/test_lu_tables.py's level for each required test


def least_favourable(function, grid=np.linspace(0.0, 1.0, 201)) -> float:
    return max(function(r) for r in grid)


def depth_width_errors():
    def required(r):  # mcnemar_misses(RUNS, r + DEPTH_STEP, r, 0.05): the most discordant pairing
        if r + DEPTH_STEP > 1:
            return 0.0
        only_deeper = min(r + DEPTH_STEP, 1 - r)
        return er.mcnemar_at(RUNS, only_deeper, max(0.0, only_deeper - DEPTH_STEP), REQUIRED_ALPHA)[1]

    def reversal(r):
        if r + ADJACENT_STEP > 1:
            return 0.0
        only_less = min(r, 1 - r - ADJACENT_STEP)  # the most discordant pairing: the least favourable
        return er.mcnemar_at(RUNS, only_less, only_less + ADJACENT_STEP, 0.05 / 31)[0]

    method = "exact: binomial (McNemar), least favourable rates and pairing"
    return [Part("9 required McNemar tests (4 depth, 5 width)", 9 * least_favourable(required), REQUIRED_ALPHA, method),
            Part("no significant reversal among 31 adjacent pairs", 31 * least_favourable(reversal), None, method)], []


SENSITIVITY_VARIANTS = 9


def sensitivity_errors(rule: SequentialRateRule):
    """The sensitivity study's three-outcome rule (the claim's) per variant, at DESIGN_RATE and at 0.90."""
    failure, support = er.sequential_rate_errors(rule, DESIGN_RATE)
    return [Part(f"variant {v + 1}: sequential, above 90% (not below, not at 90%)", failure, support, SEQUENTIAL)
            for v in range(SENSITIVITY_VARIANTS)], []


# --- section D: RAI (claims/test_rai.py) ----------------------------------------------------------

def rai_reduces_errors():
    return mcnemar_parts(0.92, 0.82, PAIRED_ALPHA, "McNemar significant"), []


def rai_born_errors():
    runs, cells = 5000, 24
    alpha = 0.001 / cells
    grid = np.linspace(0.1, 1.0, 46)
    fails = max(1 - er.fisher_less_rejects(runs, p, p / 4, alpha) for p in grid)
    passes = max(er.fisher_less_rejects(runs, p, p, alpha) for p in grid)
    return [Part("24 cells: one-sided Fisher exact, RAI less often, at 0.001/24", min(1.0, cells * fails), passes,
                 "exact: binomial counts and the test's hypergeometric p-value, least favourable He rate")], []
