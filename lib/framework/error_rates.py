"""Error rates of the suite's verdict rules, computed: exactly where a formula exists, else by simulation.

Each function returns the probability that a rule gives the wrong answer at a stated truth: a false failure
(the rule does not say 'supported' while the truth sits at the claim's design margin) or a false support (the rule
says 'supported' while the truth sits on the claim's boundary).
"""
import functools

import numpy as np
from scipy import optimize, stats

from lib.framework.naming import require_count, require_probability
from lib.framework.sequential import SequentialRateRule, false_failure, outcome_chances
from lib.framework.stats import bernoulli_divergence


def t_bound_misses(n: int, confidence: float, effect: float) -> float:
    """A rule 'the two-sided t interval (at confidence, over n values) lies beyond a threshold on one side': the
    chance it does not, when the true mean lies effect standard deviations (of one value) beyond it. Exact under
    normality: the standardized distance is noncentral t with n − 1 degrees of freedom (scipy.stats.nct)."""
    require_count("values", n, minimum=2)
    quantile = stats.t.ppf(0.5 + confidence / 2, n - 1)
    return noncentral_t_cdf(quantile, n - 1, effect * np.sqrt(n))


def t_bound_size(confidence: float) -> float:
    """The same rule's chance of saying 'beyond' when the true mean sits on the threshold: one tail."""
    return (1 - confidence) / 2


def sequential_rate_errors(rule: SequentialRateRule, design_rate: float) -> tuple[float, float]:
    """(false failure at design_rate, false support at the threshold) of a group-sequential rate rule: exact over all
    its looks (lib.framework.sequential.outcome_chances)."""
    require_probability("design rate", design_rate)
    return false_failure(rule, design_rate), outcome_chances(rule, rule.threshold).get("supported", 0.0)


def mcnemar_misses(n: int, first_rate: float, second_rate: float, alpha: float) -> float:
    """The one-sided exact McNemar test (lib.framework.stats.paired_rate_difference) of 'first is true more often' over n
    paired runs, at alpha: the chance it is not significant when the marginal rates are first_rate > second_rate,
    at the least favourable pairing (the most discordant runs the marginals allow). Exact: the discordant count
    is binomial, and the test is a binomial test given it."""
    require_count("runs", n)
    only_first = min(first_rate, 1 - second_rate)
    only_second = only_first - (first_rate - second_rate)
    discordant = np.arange(n + 1)
    # the smallest count of 'first only' that is significant, given the discordant count (n + 1: none is)
    critical = np.array([stats.binom.isf(alpha, d, 0.5) + 1 if d else 1 for d in discordant])
    critical = np.where(stats.binom.sf(critical - 1, discordant, 0.5) <= alpha, critical, critical + 1)
    share = only_first / (only_first + only_second)
    significant = stats.binom.sf(critical - 1, discordant, share)
    return float(1 - np.sum(stats.binom.pmf(discordant, n, only_first + only_second) * significant))


def simulated_rate(hits: int, draws: int) -> tuple[float, float]:
    """A simulated error rate and the upper end of its exact one-sided 95% bound (Clopper–Pearson)."""
    require_count("draws", draws)
    upper = stats.binomtest(hits, draws).proportion_ci(0.90, method="exact").high
    return hits / draws, float(upper)


def t_bound_beyond(n: int, confidence: float, effect: float) -> float:
    """The rule of t_bound_misses: the chance it does say 'beyond' when the true mean lies effect standard deviations
    (of one value) beyond the threshold; effect may be 0 (on it: t_bound_size) or negative (short of it). Exact under
    normality: the survival function of the same noncentral t, so small chances keep their digits."""
    require_count("values", n, minimum=2)
    quantile = stats.t.ppf(0.5 + confidence / 2, n - 1)
    return noncentral_t_cdf(quantile, n - 1, effect * np.sqrt(n), upper=True)


NONCENTRAL_LIMIT = 20.0  # beyond this |noncentrality| scipy.stats.nct gives nan or wrong tails (e.g. 9e-54 for ~1e-300)
TAIL = 1e-15  # the chi-square mass left out on each side of the integral


def noncentral_t_cdf(x: float, df: int, noncentrality: float, upper: bool = False) -> float:
    """P(T ≤ x) (or P(T > x) with upper) for T noncentral t: scipy.stats.nct where it is reliable (|noncentrality| ≤
    NONCENTRAL_LIMIT), else E[Φ(±(x·√(V/df) − noncentrality))] over V ~ chi-square(df), integrated by the trapezoid
    rule between its TAIL quantiles, plus the TAIL mass on each side: an upper bound within 2e-15, so a chance far
    below what a rule states reads as at most 2e-15 instead of nan."""
    if abs(noncentrality) <= NONCENTRAL_LIMIT:
        return float((stats.nct.sf if upper else stats.nct.cdf)(x, df, noncentrality))
    v = np.linspace(stats.chi2.ppf(TAIL, df), stats.chi2.isf(TAIL, df), 4001)
    weight = stats.chi2.pdf(v, df) * np.gradient(v)
    weight *= (1 - 2 * TAIL) / weight.sum()
    z = x * np.sqrt(v / df) - noncentrality
    return float(min(1.0, weight @ (stats.norm.sf(z) if upper else stats.norm.cdf(z)) + 2 * TAIL))


def t_intervals_apart_misses(n: int, confidence: float, gap: float, sd_low: float, sd_high: float,
                             points: int = 1500) -> float:
    """A rule 'the higher sample's two-sided t interval (at confidence) lies wholly above the lower sample's', two
    independent normal samples of n values each: the chance it does not when the true means differ by gap (higher
    minus lower) and the values' standard deviations are sd_low and sd_high. Exact under normality up to the
    quadrature: the difference of means is normal, each sample SD a scaled chi with n − 1 degrees of freedom,
    independent of the means; the chance is integrated over the two SDs (trapezoid rule over the chi-square
    quantiles 1e-15 to 1 − 1e-15)."""
    require_count("values", n, minimum=2)
    df = n - 1
    quantile = stats.t.ppf(0.5 + confidence / 2, df)
    chi2 = np.linspace(stats.chi2.ppf(1e-15, df), stats.chi2.isf(1e-15, df), points)
    weight = stats.chi2.pdf(chi2, df) * np.gradient(chi2)
    weight /= weight.sum()
    scale = np.sqrt(chi2 / df)
    half_widths = quantile * (sd_high * scale[:, None] + sd_low * scale[None, :]) / np.sqrt(n)
    spread = np.sqrt((sd_low**2 + sd_high**2) / n)
    misses = stats.norm.cdf((half_widths - gap) / spread)
    return float(np.clip(weight @ misses @ weight, 0.0, 1.0))


def mcnemar_at(n: int, only_first: float, only_second: float, alpha: float) -> tuple[float, float]:
    """The one-sided exact McNemar test of mcnemar_misses, at a given pairing: each of n paired runs is 'first only'
    with probability only_first and 'second only' with only_second (the rest concordant). Returns (the chance it is
    significant, the chance it is not), each summed directly so that a small one keeps its digits."""
    require_count("runs", n)
    if only_first < 0 or only_second < 0 or only_first + only_second > 1 + 1e-12:
        raise ValueError(f"discordant probabilities must be non-negative and sum to at most 1, got {only_first!r}, "
                         f"{only_second!r}")
    discordant_rate = min(1.0, only_first + only_second)
    if discordant_rate == 0:
        return 0.0, 1.0
    discordant = np.arange(n + 1)
    critical = _mcnemar_critical(n, alpha)
    share = only_first / discordant_rate
    weights = stats.binom.pmf(discordant, n, discordant_rate)
    significant = np.where(discordant > 0, stats.binom.sf(critical - 1, discordant, share), 0.0)
    not_significant = np.where(discordant > 0, stats.binom.cdf(critical - 1, discordant, share), 1.0)
    return float(np.sum(weights * significant)), float(np.sum(weights * not_significant))


@functools.cache
def _mcnemar_critical(n: int, alpha: float) -> np.ndarray:
    """Per discordant count d = 0..n, the smallest 'first only' count significant at alpha (as mcnemar_misses)."""
    discordant = np.arange(n + 1)
    critical = np.where(discordant > 0, stats.binom.isf(alpha, discordant, 0.5) + 1, 1).astype(int)
    return np.where(stats.binom.sf(critical - 1, discordant, 0.5) <= alpha, critical, critical + 1)


def rate_bound_errors(n: int, confidence: float, threshold: float, true_rate: float) -> tuple[float, float]:
    """A rule 'the one-sided lower Clopper–Pearson bound at confidence (lib.framework.stats.rate_interval at 2·confidence − 1)
    of k successes in n exceeds threshold': (the chance it does, the chance it does not) at true_rate. Exact:
    binomial beyond the smallest count whose bound clears the threshold."""
    require_count("trials", n)
    require_probability("confidence", confidence)
    k = np.arange(n + 1)
    lower = np.where(k > 0, stats.beta.ppf(1 - confidence, np.maximum(k, 1), n - k + 1), 0.0)
    clears = np.nonzero(lower > threshold)[0]
    first = int(clears[0]) if clears.size else n + 1
    return float(stats.binom.sf(first - 1, n, true_rate)), float(stats.binom.cdf(first - 1, n, true_rate))


def hypergeom_lower_critical(alpha: float, n: int, totals: np.ndarray) -> np.ndarray:
    """Per total t of dead nets among 2n (n a side), the largest treated count k with hypergeom.cdf(k) <= alpha (−1
    where none): found from the normal approximation's quantile by whole steps, each a vectorized exact cdf (as
    scipy's ppf would find it, far faster over many totals)."""
    totals = np.asarray(totals)
    cdf = lambda k: stats.hypergeom.cdf(k, 2 * n, n, totals)
    spread = np.sqrt(totals * (2 * n - totals) / (4 * (2 * n - 1)))
    k = np.clip(np.floor(totals / 2 + stats.norm.ppf(alpha) * spread), -1, n)
    for _ in range(2 * n + 2):  # down while cdf(k) > alpha, then up while cdf(k + 1) <= alpha
        high = (k >= 0) & (cdf(k) > alpha)
        if not high.any():
            break
        k = k - high
    for _ in range(2 * n + 2):
        low = (k < totals) & (cdf(k + 1) <= alpha)
        if not low.any():
            break
        k = k + low
    return k


@functools.cache
def fisher_less_rejects(n: int, control_rate: float, treated_rate: float, alpha: float) -> float:
    """The one-sided Fisher exact test (scipy.stats.fisher_exact, alternative 'less') of 'treated is dead less often
    than control', n independent nets a side, at level alpha: the chance it rejects at the true rates. Exact: the
    sum over both binomial counts (to 10 standard deviations, beyond which the mass is negligible) of the test's
    decision; given the total t of dead nets the p-value is the hypergeometric lower tail of the treated count, so
    the test rejects up to a critical count per total."""
    require_count("nets", n)

    def counts(rate):
        spread = 10 * np.sqrt(n * rate * (1 - rate)) + 2
        return np.arange(max(0, int(n * rate - spread)), min(n, int(n * rate + spread)) + 1)

    control, treated = counts(control_rate), counts(treated_rate)
    totals = np.arange(control[0] + treated[0], control[-1] + treated[-1] + 1)
    critical = hypergeom_lower_critical(alpha, n, totals)
    c, t = np.meshgrid(control, treated, indexing="ij")
    rejects = t <= critical[c + t - totals[0]]
    weights = np.outer(stats.binom.pmf(control, n, control_rate), stats.binom.pmf(treated, n, treated_rate))
    return float(np.sum(weights * rejects))


def equivalent_counts(n: int, alpha: float, centre: float, margin: float) -> tuple[int, int]:
    """The counts k of n whose one-sided Clopper–Pearson bounds at level alpha both lie strictly inside
    (centre − margin, centre + margin): the two one-sided tests of lib.framework.stats.rate_equivalence, as (first,
    last), first > last when none."""
    require_count("trials", n)
    reach = margin + 10 * np.sqrt(max(centre * (1 - centre), 1 / n) / n)  # counts beyond it are far outside
    k = np.arange(max(0, int(n * (centre - reach))), min(n, int(np.ceil(n * (centre + reach)))) + 1)
    lower = np.where(k > 0, stats.beta.ppf(alpha, np.maximum(k, 1), n - k + 1), 0.0)
    upper = np.where(k < n, stats.beta.isf(alpha, k + 1, np.maximum(n - k, 1)), 1.0)
    inside = k[(lower > centre - margin) & (upper < centre + margin)]
    return (int(inside[0]), int(inside[-1])) if inside.size else (1, 0)


def rate_equivalence_errors(n: int, alpha: float, centre: float, margin: float) -> tuple[float, float]:
    """The equivalence rule 'a rate matches centre within ±margin' (two one-sided exact tests at alpha, n trials):
    (the chance it does not say 'equivalent' at the centre, the larger chance it says so at centre ± margin, the sides
    inside [0, 1]). Exact: binomial over the counts it calls equivalent."""
    first, last = equivalent_counts(n, alpha, centre, margin)
    accepts = lambda rate: float(stats.binom.cdf(last, n, rate) - stats.binom.cdf(first - 1, n, rate)) if first <= last else 0.0
    edges = [rate for rate in (centre - margin, centre + margin) if 0 <= rate <= 1]
    return 1.0 - accepts(centre), max((accepts(rate) for rate in edges), default=0.0)


def t_upper_bound_size_skewed(n: int, confidence: float, shape: float, draws: int, seed) -> tuple[float, float]:
    """The rule 'the two-sided t interval's upper bound lies below a threshold' on right-skewed values, gamma with the
    given shape (skewness 2/√shape), when their true mean sits on the threshold: the chance it says 'below', by
    simulation (seeded), as (estimate, upper end of its exact one-sided 95% bound). Normal values give one tail,
    t_bound_size; skewed ones more, since a low sample mean comes with a low sample spread."""
    require_count("values", n, minimum=2)
    rng = np.random.default_rng(seed)
    quantile = stats.t.ppf(0.5 + confidence / 2, n - 1)
    hits, chunk = 0, max(1, 2_000_000 // n)
    for start in range(0, draws, chunk):
        values = rng.gamma(shape, 1.0, (min(chunk, draws - start), n))
        upper = values.mean(axis=1) + quantile * values.std(axis=1, ddof=1) / np.sqrt(n)
        hits += int(np.sum(upper < shape))
    return simulated_rate(hits, draws)


def bounded_mean_critical(n: int, alpha: float, threshold: float) -> float:
    """The mean of n values in [0, 1] below which lib.framework.stats.bounded_mean_upper at alpha lies below
    threshold: the x < threshold with n·KL(x ‖ threshold) = ln(1/alpha) (0 if even a mean of 0 does not reach it)."""
    require_count("values", n)
    gap = lambda x: n * bernoulli_divergence(x, threshold) - np.log(1 / alpha)
    return float(optimize.brentq(gap, 0.0, threshold * (1 - 1e-12))) if gap(0.0) > 0 else 0.0
