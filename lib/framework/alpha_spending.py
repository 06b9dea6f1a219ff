"""Alpha spending for a rate decided at nested looks: exact boundaries and exact outcome chances.

A group-sequential rule on a binomial rate looks at n_1 < n_2 < … < n_J runs. Dividing its level equally over the
looks (Bonferroni) leaves part of it unspent, because the looks share their runs. Lan & DeMets (1983) spend it
instead: by look j, at most a stated share of the level is spent (a function of t_j = n_j / n_J, the information
fraction; the suite's default, "even", an equal share a look). Here the spending is exact: the count distribution of
the runs still undecided is carried from look to look (a binomial convolution), so each look's critical counts take
what the earlier looks left, and the error over all looks is computed, not bounded.
"""
import functools
import math

import numpy as np
from scipy import signal, stats

SPENDING = {
    # Lan & DeMets (1983): the O'Brien–Fleming-like function of the information fraction t, little spent early
    "obrien-fleming": lambda alpha, t, share: 2 * stats.norm.sf(stats.norm.isf(alpha / 2) / math.sqrt(t)),
    # Lan & DeMets (1983): the Pocock-like function, spent about evenly in t
    "pocock": lambda alpha, t, share: alpha * math.log(1 + (math.e - 1) * t),
    # an equal share of alpha at each look, as Bonferroni divides it, with what the looks' overlap leaves unspent at
    # one look carried to the next
    "even": lambda alpha, t, share: alpha * share,
}
WORDS = {"even": "in equal shares, one a look, each look also taking what the looks before it left unspent",
         "pocock": "by Lan–DeMets spending, Pocock-like", "obrien-fleming": "by Lan–DeMets spending, O'Brien–Fleming-like"}


def spent(spending: str, alpha: float, stages: tuple, look: int) -> float:
    """The level a spending function has spent by look `look` (0-based) of `stages` (alpha at the last)."""
    if spending not in SPENDING:
        raise ValueError(f"unknown spending function {spending!r}; give one of {', '.join(SPENDING)}")
    if look == len(stages) - 1:
        return alpha
    return float(SPENDING[spending](alpha, stages[look] / stages[-1], (look + 1) / len(stages)))


def carry(distribution: np.ndarray, runs: int, rate: float) -> np.ndarray:
    """The count distribution after `runs` more independent runs at `rate` (a convolution with their binomial)."""
    added = stats.binom.pmf(np.arange(runs + 1), runs, rate)
    return np.clip(signal.fftconvolve(distribution, added), 0.0, None)


@functools.cache
def boundaries(threshold: float, stages: tuple, alpha: float, refute_alpha: float, spending: str) -> tuple:
    """Per look, (the smallest count said 'supported', the largest said 'refuted'; −1 if none): at the threshold's
    rate, 'supported' by look j has chance at most what the spending function has spent of alpha by then, 'refuted'
    at most what it has spent of refute_alpha."""
    distribution, previous, spent_support, spent_refute, found = np.ones(1), 0, 0.0, 0.0, []
    for look, n in enumerate(stages):
        distribution = carry(distribution, n - previous, threshold)
        previous = n
        above = np.cumsum(distribution[::-1])[::-1]  # above[c]: chance of a count ≥ c
        below = np.cumsum(distribution)  # below[r]: chance of a count ≤ r
        allowed = spent(spending, alpha, stages, look) - spent_support
        supported_from = int(np.argmax(np.append(above, 0.0) <= allowed * (1 + 1e-12)))
        allowed = spent(spending, refute_alpha, stages, look) - spent_refute
        refuted_up_to = int(np.sum(below <= allowed * (1 + 1e-12))) - 1
        refuted_up_to = min(refuted_up_to, supported_from - 1)
        spent_support += float(above[supported_from]) if supported_from <= n else 0.0
        spent_refute += float(below[refuted_up_to]) if refuted_up_to >= 0 else 0.0
        distribution = distribution.copy()
        distribution[supported_from:] = 0.0
        distribution[:refuted_up_to + 1] = 0.0
        found.append((supported_from, refuted_up_to))
    return tuple(found)


def outcomes(stages: tuple, decisions: list, rate: float) -> dict:
    """Exact chances of each outcome, and the expected runs, at a true rate, for a rule that at look j gives
    decisions[j][k] for count k (an array of labels; "" to go on): the undecided counts' distribution is carried from
    look to look, and what is still undecided after the last look is 'inconclusive'."""
    distribution, previous, chances, expected = np.ones(1), 0, {}, 0.0
    for n, decide in zip(stages, decisions):
        distribution = carry(distribution, n - previous, rate)
        previous = n
        for label in set(decide) - {""}:
            chances[label] = chances.get(label, 0.0) + float(distribution[decide == label].sum())
        expected += n * float(distribution[decide != ""].sum())
        distribution = np.where(decide == "", distribution, 0.0)
    chances["inconclusive"] = float(distribution.sum())
    chances["expected_runs"] = expected + stages[-1] * chances["inconclusive"]
    return chances
