"""Thin wrappers over scipy.stats: intervals for means, ratios and rates."""
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import optimize, special, stats

from lib.framework.memo import function_code, remembered, value_digest


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval."""

    value: float
    low: float
    high: float
    n: int
    confidence: float
    constant: bool = False  # the values were all equal (or one): low = high = value, measured no interval

    def text(self, digits: int = 3) -> str:
        if self.constant:
            return f"{self.value:.{digits}g} ({constant_note(self.n)})"
        return f"{self.value:.{digits}g} [{self.low:.{digits}g}, {self.high:.{digits}g}]"

    def as_dict(self) -> dict:
        """Its fields, floats to 6 significant digits (a small value keeps its digits); 'constant' only when set."""
        return {k: (float(f"{v:.6g}") if isinstance(v, float) else v) for k, v in asdict(self).items()
                if k != "constant" or v}


def constant_note(n: int) -> str:
    """What an estimate over n equal values says in place of its interval."""
    return "one value: no interval" if n == 1 else f"constant over n = {n}: no interval"


def mean_interval(values, confidence: float) -> Estimate:
    """Mean of values with a Student-t interval (scipy.stats.t); equal values (or one) give a constant estimate."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("mean_interval needs at least one value, got none")
    mean = float(values.mean())
    if values.size < 2 or values.std() == 0 or np.all(values == values.flat[0]):
        return Estimate(mean, mean, mean, values.size, confidence, constant=True)
    low, high = stats.t.interval(confidence, values.size - 1, loc=mean, scale=stats.sem(values))
    return Estimate(mean, float(low), float(high), values.size, confidence)


def geometric_mean_interval(ratios, confidence: float) -> Estimate:
    """Geometric mean of positive ratios, with the t interval of their logs mapped back."""
    logs = mean_interval(np.log(np.asarray(ratios, dtype=float)), confidence)
    return Estimate(float(np.exp(logs.value)), float(np.exp(logs.low)), float(np.exp(logs.high)), logs.n, confidence)


def ratio_of_means_interval(numerator, denominator, confidence: float, seed: int) -> Estimate:
    """mean(numerator) / mean(denominator) over paired samples, with a BCa bootstrap interval."""
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    value = float(numerator.mean() / denominator.mean())
    result = stats.bootstrap(
        (numerator, denominator),
        lambda a, b, axis: a.mean(axis=axis) / b.mean(axis=axis),
        paired=True, vectorized=True, confidence_level=confidence, n_resamples=2000,
        method="BCa", rng=np.random.default_rng(seed),
    )
    ci = result.confidence_interval
    return Estimate(value, float(ci.low), float(ci.high), numerator.size, confidence)


def per_step_gain(first, last, steps: int, confidence: float, seed: int) -> Estimate:
    """The gain per step between two paired measurements steps apart: (mean(last) / mean(first))^(1/steps), with
    the BCa bootstrap interval of the ratio of means taken to the same power."""
    ratio = ratio_of_means_interval(last, first, confidence, seed)
    return Estimate(ratio.value ** (1 / steps), ratio.low ** (1 / steps), ratio.high ** (1 / steps), ratio.n, confidence)


def rate_interval(successes: int, trials: int, confidence: float) -> Estimate:
    """A rate with its exact Clopper–Pearson interval: the beta quantiles of Clopper & Pearson (1934), the bounds
    scipy.stats.binomtest(...).proportion_ci(method="exact") finds by root search, 200 times faster."""
    k, n, tail = int(successes), int(trials), (1 - confidence) / 2
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"a rate of {successes} successes in {trials} trials: give 0 <= successes <= trials, trials >= 1")
    low = 0.0 if k == 0 else float(special.betaincinv(k, n - k + 1, tail))
    high = 1.0 if k == n else float(special.betaincinv(k + 1, n - k, 1 - tail))
    return Estimate(k / n, low, high, n, confidence)


def rate_verdict(successes: int, trials: int, threshold: float, confidence: float) -> str:
    """'supported' if the one-sided lower bound exceeds threshold, 'refuted' if the upper is below, else 'inconclusive'."""
    one_sided = rate_interval(successes, trials, 2 * confidence - 1)  # each side then holds 1 - confidence
    if one_sided.low > threshold:
        return "supported"
    if one_sided.high < threshold:
        return "refuted"
    return "inconclusive"


def paired_rate_difference(first, second, confidence: float) -> tuple[Estimate, float]:
    """rate(first) − rate(second) over paired runs (first[k] and second[k] share their seeds), with its Wald interval
    for paired proportions, and the exact one-sided McNemar p-value for 'first is true more often': the binomial
    test of the discordant pairs at 1/2 (scipy.stats.binomtest)."""
    first, second = np.asarray(first, bool), np.asarray(second, bool)
    if first.shape != second.shape or first.ndim != 1:
        raise ValueError(f"paired runs must be two 1-D arrays of one length, got shapes {first.shape} and {second.shape}")
    only_first, only_second, n = int((first & ~second).sum()), int((~first & second).sum()), first.size
    difference = (only_first - only_second) / n
    discordant = only_first + only_second
    p_value = float(stats.binomtest(only_first, discordant, 0.5, alternative="greater").pvalue) if discordant else 1.0
    half = stats.norm.ppf(0.5 + confidence / 2) * np.sqrt(max(discordant - (only_first - only_second) ** 2 / n, 0)) / n
    return Estimate(difference, float(difference - half), float(difference + half), n, confidence), p_value


def lower_in_every_group(higher: dict, lower: dict, confidence: float, alpha: float) -> tuple[bool, dict]:
    """Per group, paired runs (bool arrays over the same seeds): paired_rate_difference(higher[g], lower[g]); True
    when every group's one-sided McNemar test of 'the first is true more often' is significant at alpha (an
    intersection-union test: no correction)."""
    tests = {g: paired_rate_difference(higher[g], lower[g], confidence) for g in higher}
    return all(p < alpha for _, p in tests.values()), tests


def less_often(treated: int, control: int, trials: int) -> float:
    """One-sided Fisher exact p-value (scipy.stats.fisher_exact) for 'treated is true less often than control', each
    out of trials independent runs."""
    table = [[treated, trials - treated], [control, trials - control]]
    return float(stats.fisher_exact(table, alternative="less").pvalue)


def rate_ratio(treated: int, control: int, trials: int, confidence: float) -> Estimate | None:
    """treated's rate over control's, each out of trials independent runs, with the log-scale (Katz) interval of
    scipy.stats.contingency.relative_risk; None when either count is 0 (the ratio or its interval is undefined)."""
    if treated == 0 or control == 0:
        return None
    risk = stats.contingency.relative_risk(treated, trials, control, trials)
    ci = risk.confidence_interval(confidence)
    return Estimate(float(risk.relative_risk), float(ci.low), float(ci.high), trials, confidence)


def bootstrap_interval(samples: tuple, statistic, confidence: float, seed: int, store: Path | None = None) -> Estimate:
    """statistic(*samples) over independent samples, with a BCa bootstrap interval (scipy.stats.bootstrap);
    statistic takes the samples and an axis, as scipy's vectorized statistics do. With store (the experiment cache's
    folder), the interval is kept there under the samples' values and the statistic's code (lib.framework.memo)."""
    samples = tuple(np.asarray(s, float) for s in samples)
    key = lambda: {"samples": value_digest(samples), "statistic": function_code(statistic), "confidence": confidence,
                   "seed": seed, "resamples": RESAMPLES, "method": "BCa"}
    compute = lambda: {"interval": np.array(_bootstrap(samples, statistic, confidence, seed))}
    low, high = remembered(store, "bootstrap", key, compute, f"BCa interval, {statistic.__qualname__}",
                           __name__)["interval"]
    return Estimate(float(statistic(*samples, axis=-1)), float(low), float(high), sum(s.size for s in samples),
                    confidence)


RESAMPLES = 4000


def _bootstrap(samples: tuple, statistic, confidence: float, seed: int) -> tuple[float, float]:
    result = stats.bootstrap(samples, statistic, vectorized=True, confidence_level=confidence, n_resamples=RESAMPLES,
                             method="BCa", rng=np.random.default_rng(seed))
    return result.confidence_interval.low, result.confidence_interval.high


def equivalence(estimate: Estimate, margin: float) -> str:
    """Two one-sided tests against ±margin, read off an interval whose each side holds the wanted alpha:
    'above' (low > margin), 'below' (high < −margin), 'equivalent' (inside ±margin), else 'undecided'."""
    if estimate.low > margin:
        return "above"
    if estimate.high < -margin:
        return "below"
    if -margin < estimate.low and estimate.high < margin:
        return "equivalent"
    return "undecided"


def rate_equivalence(successes: int, trials: int, centre: float, margin: float, alpha: float) -> tuple[bool, Estimate]:
    """Two one-sided exact tests (TOST, Schuirmann 1987) of 'the rate lies within ±margin of centre': True when the
    one-sided Clopper–Pearson bounds at level alpha both lie strictly inside (centre − margin, centre + margin); with
    the rate's interval (each side at alpha)."""
    estimate = rate_interval(successes, trials, 1 - 2 * alpha)
    return centre - margin < estimate.low and estimate.high < centre + margin, estimate


def bernoulli_divergence(x: float, mu: float) -> float:
    """KL(Bernoulli(x) ‖ Bernoulli(mu)), the exponent of Hoeffding's (1963) bound for means of values in [0, 1]."""
    return float(special.rel_entr(x, mu) + special.rel_entr(1 - x, 1 - mu))


def bounded_mean_upper(values, alpha: float) -> Estimate:
    """The mean of independent values in [0, 1] with an upper bound that holds with probability 1 − alpha whatever
    their distribution: the largest μ with n·KL(mean ‖ μ) ≤ ln(1/alpha), KL the Bernoulli divergence (Hoeffding 1963,
    Theorem 1, whose bound any distribution on [0, 1] obeys); low is 0."""
    values = np.asarray(values, dtype=float)
    if values.size == 0 or values.min() < 0 or values.max() > 1:
        raise ValueError(f"bounded_mean_upper needs values in [0, 1], got {values.size} values in "
                         f"[{values.min() if values.size else None}, {values.max() if values.size else None}]")
    mean, n = float(values.mean()), values.size
    budget = np.log(1 / alpha) / n
    divergence = lambda mu: bernoulli_divergence(mean, mu) - budget
    high = 1.0 if divergence(1 - 1e-15) <= 0 else float(optimize.brentq(divergence, mean, 1 - 1e-15, xtol=1e-15))
    return Estimate(mean, 0.0, high, n, 1 - alpha)
