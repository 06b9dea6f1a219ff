"""Group-sequential decisions on a rate against a threshold, and on a measured quantity against a band.

A claim "the rate exceeds θ" starts from the protocol's sample size and, while its verdict is inconclusive, adds runs
up to a stated cap. Its level is spent across the looks (lib.framework.alpha_spending): each look's one-sided exact
(Clopper–Pearson) bounds are taken at the levels that make the chance of *any* wrong 'supported' (or any wrong
'refuted') over all looks exactly what the spending function allows, computed on the count distribution at θ. A
claim made of k such parts takes its 'refuted' side at alpha / k (refute_alpha), since one refuted part refutes it.
"""
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from lib.framework import alpha_spending
from lib.framework.naming import require_count, require_finite, require_probability
from lib.framework.stats import Estimate, geometric_mean_interval, rate_interval


def doubling_stages(cap: int, first: int = 1000) -> tuple:
    """The looks first, 2·first, 4·first, … up to cap, the rule's largest sample (a power-of-two multiple of first)."""
    require_count("first look", first)
    require_count("cap", cap)
    stages = [first]
    while stages[-1] < cap:
        stages.append(2 * stages[-1])
    if stages[-1] != cap:
        raise ValueError(f"cap {cap!r} is not first look {first} times a power of two; give e.g. {stages[-2]:,} or {stages[-1]:,}")
    return tuple(stages)


STAGES = doubling_stages(32_000)  # the default cap: confirming a rate of 0.91 against 0.90 at 0.005 fails 5e-4 of the time
SPENDING = "even"  # the default: at the over-90 design, fewer expected runs than the other two (tests)


@dataclass(frozen=True)
class SequentialRateRule:
    """'supported' when the rate's lower bound clears threshold at some look, 'refuted' when the upper bound
    falls below it, 'inconclusive' when the cap is reached first; each side one-sided over all looks, at alpha
    ('supported') and refute_alpha ('refuted', alpha unless given)."""

    threshold: float
    stages: tuple = STAGES
    alpha: float = 0.005
    refute_alpha: float | None = None
    at_band: tuple | None = None  # (low, high) around threshold: a third outcome, 'at' the threshold
    spending: str = SPENDING

    def __post_init__(self):
        require_probability("threshold", self.threshold)
        if self.at_band is not None and not (len(self.at_band) == 2
                                             and 0 <= self.at_band[0] < self.threshold < self.at_band[1] <= 1):
            raise ValueError(f"at_band must be (low, high) with 0 <= low < threshold < high <= 1, got {self.at_band!r}")
        require_probability("alpha", self.alpha)
        if self.refute_alpha is not None:
            require_probability("refute alpha", self.refute_alpha)
        for n in self.stages:
            require_count("stage size", n)
        if list(self.stages) != sorted(set(self.stages)):
            raise ValueError(f"stages must be strictly increasing run counts, got {self.stages!r}")
        alpha_spending.spent(self.spending, self.alpha, tuple(self.stages), 0)  # an unknown one: a one-line error

    @property
    def refute_level(self) -> float:
        """The 'refuted' side's level over all looks: refute_alpha, or alpha unless given."""
        return self.alpha if self.refute_alpha is None else self.refute_alpha

    def critical_counts(self, trials: int) -> tuple[int, int]:
        """At the look of `trials` runs: the smallest count said 'supported' and the largest said 'refuted' (−1 if
        none), spent exactly at the threshold's rate (lib.framework.alpha_spending.boundaries)."""
        if trials not in self.stages:
            raise ValueError(f"{trials!r} runs is not one of the rule's looks {self.stages!r}")
        found = alpha_spending.boundaries(self.threshold, tuple(self.stages), self.alpha, self.refute_level,
                                          self.spending)
        return found[self.stages.index(trials)]

    def levels(self, trials: int) -> tuple[float, float]:
        """The one-sided levels of the look's lower and upper Clopper–Pearson bounds that say what its critical counts
        say: each the geometric mean of the threshold's tail chances at the critical count and the next count in."""
        supported_from, refuted_up_to = self.critical_counts(trials)
        above = lambda k: float(stats.binom.sf(k - 1, trials, self.threshold)) if k <= trials else 0.0
        below = lambda k: float(stats.binom.cdf(k, trials, self.threshold)) if k >= 0 else 0.0
        return (float(np.sqrt(above(supported_from) * above(supported_from - 1))),
                float(np.sqrt(below(refuted_up_to) * below(refuted_up_to + 1))))

    def bounds(self, successes: int, trials: int) -> Estimate:
        """The rate with its lower and upper bounds at the look's levels (one-sided each)."""
        lower_level, upper_level = self.levels(trials)
        low = rate_interval(successes, trials, 1 - 2 * lower_level)
        high = rate_interval(successes, trials, 1 - 2 * upper_level)
        return Estimate(low.value, low.low, high.high, low.n, 1 - lower_level - upper_level)

    def decide(self, successes: int, trials: int) -> str:
        supported_from, refuted_up_to = self.critical_counts(trials)
        if successes >= supported_from:
            return "supported"
        if successes <= refuted_up_to:
            return "refuted"
        if self.at_band is not None:
            bounds = self.bounds(successes, trials)
            if self.at_band[0] < bounds.low and bounds.high < self.at_band[1]:
                return "at"
        return "inconclusive"

    def describe(self) -> str:
        looks = ", ".join(f"{n:,}" for n in self.stages)
        at = (f", 'at {self.threshold:g}' when both bounds lie inside [{self.at_band[0]:g}, {self.at_band[1]:g}]"
              if self.at_band is not None else "")
        return (f"decided sequentially at {looks} runs (stop at the first decisive look): 'supported' when the "
                f"one-sided lower Clopper–Pearson bound exceeds {self.threshold:g}, 'refuted' when the upper bound is "
                f"below it{at}, else 'inconclusive' at the cap; the bounds' levels spend {self.alpha:g} ('supported') "
                f"and {self.refute_level:.3g} ('refuted') across the looks {alpha_spending.WORDS[self.spending]}, computed "
                f"exactly on the counts at a rate of {self.threshold:g} (lib.framework.alpha_spending), so each side's "
                f"error over all looks is at most its level")


@dataclass(frozen=True)
class SequentialBandRule:
    """The same design for a positive quantity measured once per network: 'supported' when the two-sided interval
    of its geometric mean (t on the logs, at 1 − alpha / looks) lies inside [low, high] at some look, 'refuted'
    when it lies wholly outside, 'inconclusive' at the cap; error over all looks ≤ alpha (Bonferroni)."""

    low: float
    high: float
    stages: tuple = (50, 200, 800)
    alpha: float = 0.01

    def __post_init__(self):
        require_finite("band low", self.low)
        require_finite("band high", self.high)
        if not 0 <= self.low < self.high:
            raise ValueError(f"band must have 0 <= low < high, got low {self.low!r} and high {self.high!r}")
        require_probability("alpha", self.alpha)
        if not isinstance(self.stages, (tuple, list)) or not self.stages:
            raise ValueError(f"stages must be a non-empty tuple of network counts, got {self.stages!r}")
        for n in self.stages:
            require_count("stage size", n, minimum=2)  # a t interval needs 2 networks
        if list(self.stages) != sorted(set(self.stages)):
            raise ValueError(f"stages must be strictly increasing network counts, got {self.stages!r}")

    def bounds(self, values) -> Estimate:
        return geometric_mean_interval(values, 1 - self.alpha / len(self.stages))

    def decide(self, estimate: Estimate) -> str:
        if self.low < estimate.low and estimate.high < self.high:
            return "supported"
        if estimate.high < self.low or estimate.low > self.high:
            return "refuted"
        return "inconclusive"

    def describe(self) -> str:
        looks = ", ".join(f"{n:,}" for n in self.stages)
        return (f"decided sequentially at {looks} networks: 'inside [{self.low:g}, {self.high:g}]' when the "
                f"geometric mean's t interval at level 1 − {self.alpha:g}/{len(self.stages)} lies inside, "
                f"'outside' when it lies wholly outside, else undecided at the cap; error over all looks ≤ "
                f"{self.alpha:g} (Bonferroni)")


@dataclass
class Look:
    runs: int
    successes: int | None  # None for a measured quantity (SequentialBandRule)
    estimate: Estimate  # at the look's alpha / looks level
    verdict: str

    def as_dict(self) -> dict:
        return {"runs": self.runs, "successes": self.successes, "estimate": self.estimate.as_dict(),
                "verdict": self.verdict}


@dataclass
class SequentialDecision:
    verdict: str
    looks: list = field(default_factory=list)

    @property
    def runs(self) -> int:
        return self.looks[-1].runs

    @property
    def final(self) -> Estimate:
        return self.looks[-1].estimate

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "runs_used": self.runs, "final": self.final.as_dict(),
                "looks": [look.as_dict() for look in self.looks]}


def decide_sequentially(rule: SequentialRateRule, successes_at) -> SequentialDecision:
    """Look at rule.stages in turn; successes_at(n) counts the successes among runs 1..n (runs are nested)."""
    def look(n: int) -> Look:
        k = int(successes_at(n))
        return Look(n, k, rule.bounds(k, n), rule.decide(k, n))
    return _until_decisive(rule.stages, look)


def decide_band_sequentially(rule: SequentialBandRule, values_at) -> SequentialDecision:
    """Look at rule.stages in turn; values_at(n) gives the quantity of networks 1..n (networks are nested)."""
    def look(n: int) -> Look:
        estimate = rule.bounds(values_at(n))
        return Look(n, None, estimate, rule.decide(estimate))
    return _until_decisive(rule.stages, look)


def _until_decisive(stages, look) -> SequentialDecision:
    """Take look(n) at each stage in turn, stopping at the first that is not 'inconclusive'."""
    decision = SequentialDecision("inconclusive")
    for n in stages:
        decision.looks.append(look(n))
        if decision.looks[-1].verdict != "inconclusive":
            decision.verdict = decision.looks[-1].verdict
            break
    return decision


def simulate_verdicts(rule: SequentialRateRule, true_rate: float, draws: int, rng: np.random.Generator) -> dict:
    """Verdict frequencies of the rule over draws simulated binomial run sequences at true_rate (nested looks)."""
    require_probability("true rate", true_rate)
    require_count("draws", draws)
    sizes = np.diff([0, *rule.stages])
    cumulative = np.cumsum(rng.binomial(sizes, true_rate, size=(draws, len(sizes))), axis=1)
    supported_from, refuted_up_to = np.array([rule.critical_counts(n) for n in rule.stages]).T
    supported, refuted = cumulative >= supported_from, cumulative <= refuted_up_to
    decisive = supported | refuted
    first = np.where(decisive.any(axis=1), decisive.argmax(axis=1), -1)
    rows = np.arange(draws)
    said_supported = (first >= 0) & supported[rows, first]
    said_refuted = (first >= 0) & refuted[rows, first]
    return {"supported": float(said_supported.mean()), "refuted": float(said_refuted.mean()),
            "inconclusive": float((first < 0).mean())}


def _smallest(predicate, n: int) -> int:
    """The smallest k in 0..n where the monotone predicate holds, n + 1 if none."""
    low, high = 0, n + 1
    while low < high:
        middle = (low + high) // 2
        if predicate(middle):
            high = middle
        else:
            low = middle + 1
    return low


def at_counts(rule: SequentialRateRule, n: int) -> tuple[int, int]:
    """At a look of n runs, the counts (first, last) whose bounds lie inside rule.at_band (first > last if none)."""
    if rule.at_band is None:
        return 1, 0
    first = _smallest(lambda k: rule.bounds(k, n).low > rule.at_band[0], n)
    last = _smallest(lambda k: not rule.bounds(k, n).high < rule.at_band[1], n) - 1
    return first, last


def look_decisions(rule: SequentialRateRule, n: int) -> np.ndarray:
    """The rule's outcome for every count 0..n at the look of n runs ("" where it goes on)."""
    supported_from, refuted_up_to = rule.critical_counts(n)
    first, last = at_counts(rule, n)
    decide = np.full(n + 1, "", dtype=object)
    decide[first:last + 1] = "at"
    decide[supported_from:] = "supported"
    decide[:refuted_up_to + 1] = "refuted"
    return decide


def outcome_chances(rule: SequentialRateRule, true_rate: float) -> dict:
    """Exact chances of 'supported', 'refuted', 'at' and 'inconclusive' over all looks, and the expected runs, at a
    true rate (lib.framework.alpha_spending.outcomes)."""
    require_probability("true rate", true_rate)
    return alpha_spending.outcomes(rule.stages, [look_decisions(rule, n) for n in rule.stages], true_rate)


def false_failure(rule: SequentialRateRule, true_rate: float) -> float:
    """The exact chance the rule does not say 'supported' at a true rate."""
    return 1.0 - outcome_chances(rule, true_rate).get("supported", 0.0)


def undecided_at_the_cap(rule: SequentialRateRule) -> list[int]:
    """The counts at the last look that none of the rule's outcomes takes: those where it would end 'inconclusive'."""
    n = rule.stages[-1]
    supported_from, refuted_up_to = rule.critical_counts(n)
    first, last = at_counts(rule, n)
    return [k for k in range(refuted_up_to + 1, supported_from) if not first <= k <= last]
