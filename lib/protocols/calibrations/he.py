"""Error rates of He et al.'s training claims (claims/test_deep_relu_training.py, claims/test_he_depth_study.py),
at design values measured in a pilot: the claims' own nets at the pilot's root seed (PILOT_ROOT),
which decides no verdict. Each chance is Jeffreys' estimate of the pilot's count, (k + 1/2) / (n + 1), so a count of
0 of 16 still allows a failure; the nets of the stability record, where there is one, measure it again."""
import functools
from pathlib import Path

import numpy as np
from scipy import stats

from lib.framework import error_rates as er
from lib.framework.calibration import BINOMIAL, SEED, up
from lib.framework.nuisance import Measured, Nuisance
from lib.framework.rules import Part
from lib.protocols.he_training import NETS, converges, stalls, start_epochs


COUNT_ALPHA = 0.005  # a count's level: "most nets" against a chance of one half
SOONER_ALPHA = 0.005  # he-22-layer-both-converge's sign test
TREND_ALPHA = 0.005  # he-xavier-later-with-depth's Kendall test
DEPTHS = (14, 18, 22, 26, 30)  # the depth study's


def most_of(nets: int, alpha: float = COUNT_ALPHA) -> int:
    """The fewest nets of `nets` that say "most" at level alpha: the least k with P(Bin(nets, 1/2) >= k) <= alpha."""
    return next(k for k in range(nets + 1) if stats.binom.sf(k - 1, nets, 0.5) <= alpha)


MOST = most_of(NETS)
COUNT_LEVEL = float(stats.binom.sf(MOST - 1, NETS, 0.5))  # one count's size at a chance of one half

STABILITY = Path(__file__).resolve().parents[3] / "docs" / "stability"
PILOT_ROOT = 0  # the pilot's root seed: its nets give the design values and decide no verdict
PILOT = STABILITY / "he-pilot.npz"  # '<depth>_0_<initializer>': wrong digits of the 1,000 held out, [nets, epochs + 1]
RECORD = STABILITY / "he-claims-record.npz"  # '<depth>_<root seed>_<initializer>', the same layout


@functools.cache
def pilot_errors(depth: int, initializer: str) -> np.ndarray:
    """The pilot's held-out errors [its nets, epochs + 1] at this depth."""
    with np.load(PILOT) as pilot:
        return pilot[f"{depth}_{PILOT_ROOT}_{initializer}"] / 1000.0


@functools.cache
def record_errors(depth: int, initializer: str) -> np.ndarray | None:
    """The record's held-out errors at this depth, every root seed's nets together, or None without a record."""
    if not RECORD.exists():
        return None
    with np.load(RECORD) as record:
        keys = [k for k in sorted(record.files) if k.startswith(f"{depth}_") and k.endswith(f"_{initializer}")]
        return np.concatenate([record[k] for k in keys]) / 1000.0 if keys else None


def failure_chance(what: str, depth: int, initializer: str, fails) -> tuple[float, Nuisance]:
    """The chance a net fails its part (fails: errors -> per-net bool), from the pilot; measured again by the
    record's nets."""
    pilot = pilot_errors(depth, initializer)
    count, n = int(fails(pilot).sum()), len(pilot)
    value = up((count + 0.5) / (n + 1))

    def read(findings: dict) -> Measured | None:
        errors = record_errors(depth, initializer)
        if errors is None:
            return None
        failed = int(fails(errors).sum())
        return Measured(failed / len(errors), f"{RECORD.name}, {depth} layers, {initializer}: {failed} of "
                        f"{len(errors)} nets", (failed, len(errors)))

    return value, Nuisance(f"chance a {depth}-layer {initializer} net {what}", value,
                           f"the pilot's {count} of {n} nets, Jeffreys' estimate, rounded up", read)


def count_part(name: str, chance: float) -> Part:
    """'At least MOST of NETS' at a failure chance per net, and its size at one half."""
    return Part(name, float(stats.binom.sf(NETS - MOST, NETS, chance)), COUNT_LEVEL, BINOMIAL)


def stalls_errors():
    escape, escape_line = failure_chance("does not stall", 30, "glorot_normal", lambda e: ~stalls(e))
    miss, miss_line = failure_chance("does not converge", 30, "he_normal", lambda e: ~converges(e))
    return [count_part(f"Xavier stalls in {MOST} of {NETS}", escape),
            count_part(f"He converges in {MOST} of {NETS}", miss)], [escape_line, miss_line]


def sign_test_misses(earlier: float, tied: float, alpha: float) -> float:
    """P(the one-sided exact sign test over NETS pairs does not reach alpha) when each pair is He-earlier, tied or
    Xavier-earlier with these chances: a sum over the multinomial's outcomes."""
    later, misses = 1 - earlier - tied, 0.0
    for ties in range(NETS + 1):
        untied = NETS - ties
        for k in range(untied + 1):
            chance = stats.multinomial.pmf([k, ties, untied - k], NETS, [earlier, tied, later])
            p_value = 1.0 if untied == 0 else stats.binom.sf(k - 1, untied, 0.5)
            misses += chance if p_value >= alpha else 0.0
    return float(misses)


def pair_chances() -> tuple[tuple[float, float], list[Nuisance]]:
    """The pilot's chances that a 22-layer pair is He-earlier, tied (Jeffreys' estimates, He-earlier rounded down
    and tied up: the pessimistic side)."""
    he, xavier = start_epochs(pilot_errors(22, "he_normal")), start_epochs(pilot_errors(22, "glorot_normal"))
    earlier, tied, pairs = int(np.sum(he < xavier)), int(np.sum(he == xavier)), len(he)
    chances = (np.floor((earlier + 0.5) / (pairs + 1.5) * 100) / 100, up((tied + 0.5) / (pairs + 1.5)))
    basis = f"the pilot's {earlier} He-earlier and {tied} tied of {pairs} pairs, Jeffreys' estimates"
    return chances, [Nuisance("chance a 22-layer pair is He-earlier", chances[0], basis),
                     Nuisance("chance a 22-layer pair is tied", chances[1], basis)]


def both_converge_errors():
    xavier, xavier_line = failure_chance("does not converge", 22, "glorot_normal", lambda e: ~converges(e))
    he, he_line = failure_chance("does not converge", 22, "he_normal", lambda e: ~converges(e))
    (earlier, tied), pair_lines = pair_chances()
    return [count_part(f"Xavier converges in {MOST} of {NETS}", xavier),
            count_part(f"He converges in {MOST} of {NETS}", he),
            Part(f"He sooner: exact sign test at {SOONER_ALPHA:g}", sign_test_misses(earlier, tied, SOONER_ALPHA),
                 SOONER_ALPHA, BINOMIAL)], [xavier_line, he_line, *pair_lines]


def depth_study_errors():
    rng, draws = np.random.default_rng(np.random.SeedSequence([SEED, 32])), 2000
    pilot = {d: start_epochs(pilot_errors(d, "glorot_normal")) for d in DEPTHS}
    depth = np.repeat(DEPTHS, NETS)
    misses = sum(stats.kendalltau(depth, np.concatenate([rng.choice(pilot[d], NETS) for d in DEPTHS]),
                                  alternative="greater").pvalue >= TREND_ALPHA for _ in range(draws))
    estimate, upper = er.simulated_rate(int(misses), draws)
    he = [failure_chance("does not converge", d, "he_normal", lambda e: ~converges(e)) for d in DEPTHS]
    return ([Part(f"Xavier later with depth: one-sided Kendall tau-b at {TREND_ALPHA:g}", upper, TREND_ALPHA,
                  f"simulated: {draws} draws of {NETS} nets a depth from the pilot's ({misses} misses); the test's level "
                  "at the boundary", (estimate, upper))]
            + [count_part(f"He converges in {MOST} of {NETS} at {d} layers", chance)
               for d, (chance, _) in zip(DEPTHS, he)],
            [line for _, line in he])
