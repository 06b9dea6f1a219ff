"""Error rates of the suite's verdict rules, computed: exactly where a formula exists, else by simulation.

Each function returns the probability that a rule gives the wrong answer at a stated truth: a false failure
(the rule does not say 'supported' while the truth sits at the claim's design margin) or a false support (the rule
says 'supported' while the truth sits on the claim's boundary).
"""
import numpy as np
from scipy import stats

from lib.naming import require_count, require_probability
from lib.sequential import SequentialRateRule, decision_counts, false_failure_bound


def t_bound_misses(n: int, confidence: float, effect: float) -> float:
    """A rule 'the two-sided t interval (at confidence, over n values) lies beyond a threshold on one side': the
    chance it does not, when the true mean lies effect standard deviations (of one value) beyond it. Exact under
    normality: the standardized distance is noncentral t with n − 1 degrees of freedom (scipy.stats.nct)."""
    require_count("values", n, minimum=2)
    quantile = stats.t.ppf(0.5 + confidence / 2, n - 1)
    return float(stats.nct.cdf(quantile, n - 1, effect * np.sqrt(n)))


def t_bound_size(confidence: float) -> float:
    """The same rule's chance of saying 'beyond' when the true mean sits on the threshold: one tail."""
    return (1 - confidence) / 2


def sequential_rate_errors(rule: SequentialRateRule, design_rate: float) -> tuple[float, float]:
    """(false failure at design_rate, false support at the threshold) of a group-sequential rate rule: the exact
    union bounds over its looks (lib.sequential)."""
    require_probability("design rate", design_rate)
    support = sum(stats.binom.sf(decision_counts(rule, n)[0] - 1, n, rule.threshold) for n in rule.stages)
    return false_failure_bound(rule, design_rate), float(min(1.0, support))


def mcnemar_misses(n: int, first_rate: float, second_rate: float, alpha: float) -> float:
    """The one-sided exact McNemar test (lib.stats.paired_rate_difference) of 'first is true more often' over n
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


def binomial_two_sided_rejects(n: int, expected: float, true_rate: float, alpha: float) -> float:
    """The two-sided exact binomial test (scipy.stats.binomtest, 'minlike' p-values) of 'the rate is expected' over
    n trials, at level alpha: the chance it rejects when the true rate is true_rate."""
    require_count("trials", n)
    k = np.arange(n + 1)
    pmf = stats.binom.pmf(k, n, expected)
    ascending = np.sort(pmf)
    # p(k): the mass of every outcome no likelier than k (scipy's relative tolerance 1e-7 for ties)
    no_likelier = np.searchsorted(ascending, pmf * (1 + 1e-7), side="right")
    p_values = np.minimum(1.0, np.concatenate([[0.0], np.cumsum(ascending)])[no_likelier])
    return float(stats.binom.pmf(k, n, true_rate)[p_values <= alpha].sum())


def simulated_rate(hits: int, draws: int) -> tuple[float, float]:
    """A simulated error rate and the upper end of its exact one-sided 95% bound (Clopper–Pearson)."""
    require_count("draws", draws)
    upper = stats.binomtest(hits, draws).proportion_ci(0.90, method="exact").high
    return hits / draws, float(upper)
