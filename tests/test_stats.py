"""Statistics wrappers: verdict rules for rates, interval coverage of known values."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from lib.framework.findings import combine_verdicts
from lib.framework.stats import geometric_mean_interval, mean_interval, rate_interval, rate_verdict


@pytest.mark.parametrize("successes, verdict", [(950, "supported"), (850, "refuted"), (905, "inconclusive")])
def test_rate_verdict_against_90_percent(successes, verdict):
    assert rate_verdict(successes, 1000, 0.90, confidence=0.95) == verdict


def test_clopper_pearson_matches_a_known_value():
    estimate = rate_interval(0, 10, 0.95)
    assert estimate.low == 0 and estimate.high == pytest.approx(0.3085, abs=1e-4)


@settings(max_examples=300, deadline=None)
@given(trials=st.integers(1, 200_000), share=st.floats(0, 1), confidence=st.sampled_from([0.9, 0.95, 0.99, 1 - 0.05 / 6]))
def test_clopper_pearson_is_binomtests_exact_interval(trials, share, confidence):
    """The beta quantiles equal the bounds scipy's binomtest finds by root search (to its 1e-12 tolerance)."""
    successes = round(share * trials)
    ci = stats.binomtest(successes, trials).proportion_ci(confidence, method="exact")
    estimate = rate_interval(successes, trials, confidence)
    assert estimate.low == pytest.approx(ci.low, abs=1e-11) and estimate.high == pytest.approx(ci.high, abs=1e-11)


def test_intervals_cover_the_truth():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(400):
        e = mean_interval(rng.normal(2.0, 1.0, 30), 0.9)
        hits += e.low <= 2.0 <= e.high
    assert 0.85 < hits / 400 < 0.95
    ratios = np.exp(rng.normal(np.log(0.5), 0.1, 50))
    g = geometric_mean_interval(ratios, 0.99)
    assert g.low < 0.5 < g.high


def test_combine_verdicts():
    assert combine_verdicts(["supported", "supported"]) == "supported"
    assert combine_verdicts(["supported", "inconclusive"]) == "inconclusive"
    assert combine_verdicts(["inconclusive", "refuted", "supported"]) == "refuted"
    assert combine_verdicts([]) == "inconclusive"


def test_lower_in_every_group_fails_when_one_group_is_not_lower():
    """An intersection-union rule: every group must be significantly lower; one unchanged group turns it."""
    from lib.framework.stats import lower_in_every_group
    rng = np.random.default_rng(0)
    higher = {g: rng.random(1000) < 0.9 for g in "abc"}
    reduced = {g: higher[g] & (rng.random(1000) < 0.5) for g in "abc"}
    assert lower_in_every_group(higher, reduced, 0.95, 0.05)[0]
    assert not lower_in_every_group(higher, {**reduced, "b": higher["b"].copy()}, 0.95, 0.05)[0]


def test_paired_rate_difference_counts_only_discordant_runs():
    from lib.framework.stats import paired_rate_difference
    first = np.array([True] * 30 + [False] * 70)
    second = first.copy()
    second[:10] = False  # 10 runs true only under the first
    estimate, p = paired_rate_difference(first, second, 0.95)
    assert estimate.value == pytest.approx(0.10) and estimate.low < 0.10 < estimate.high
    assert p == pytest.approx(0.5**10)  # all 10 discordant runs one way: exact McNemar
    assert paired_rate_difference(first, first, 0.95)[1] == 1.0
    with pytest.raises(ValueError, match="paired runs"):
        paired_rate_difference(first, second[:50], 0.95)


def test_equal_values_say_they_have_no_interval():
    """Equal values (or one) measure no spread: the estimate says so instead of reading '0 [0, 0]'."""
    from lib.framework.findings import format_value
    constant = mean_interval(np.full(50, 0.5), 0.99)
    assert constant.constant and constant.low == constant.value == constant.high == 0.5
    assert constant.text() == "0.5 (constant over n = 50: no interval)"
    assert mean_interval([0.1] * 7, 0.99).constant  # equal, though their float std is not exactly 0
    single = mean_interval([2.0], 0.99)
    assert single.constant and single.text() == "2 (one value: no interval)"
    assert constant.as_dict()["constant"] is True
    assert format_value(constant.as_dict()) == "0.5 (constant over n = 50: no interval)"
    assert format_value(single.as_dict()) == "2 (one value: no interval)"
    with pytest.raises(ValueError, match="at least one value, got none"):
        mean_interval([], 0.99)


def test_a_measured_interval_reads_and_records_as_before():
    from lib.framework.findings import format_value
    estimate = mean_interval([1.0, 2.0, 3.0, 4.0], 0.95)
    assert not estimate.constant and "constant" not in estimate.as_dict()
    assert list(estimate.as_dict()) == ["value", "low", "high", "n", "confidence"]
    assert estimate.text() == "2.5 [0.446, 4.55]"
    assert format_value(estimate.as_dict()) == "2.5 [0.4457, 4.554] (n = 4)"


def test_rate_ratio_and_less_often_read_two_independent_counts():
    from lib.framework.stats import less_often, rate_ratio
    ratio = rate_ratio(50, 100, 1000, 0.95)
    assert ratio.value == 0.5 and ratio.low < 0.5 < ratio.high
    assert rate_ratio(0, 100, 1000, 0.95) is None and rate_ratio(5, 0, 1000, 0.95) is None
    assert less_often(50, 100, 1000) < 1e-4 < less_often(100, 100, 1000)


def test_the_jacobian_of_a_scaled_identity_layer_at_zero_has_that_scale_as_every_singular_value():
    import torch
    from lib.nets.activations import get_activation
    from lib.nets.ensemble import StackedMLP
    from lib.protocols.jacobian import mean_singular_values, tanh_derivative
    weights = [torch.eye(4).repeat(2, 1, 1).double(), 0.5 * torch.eye(4).repeat(2, 1, 1).double()]
    biases = [torch.zeros(2, 1, 4).double()] * 2
    net = StackedMLP(weights, biases, [get_activation("tanh")] * 2)
    values = mean_singular_values(net, torch.zeros(3, 4).double(), [1], tanh_derivative)
    assert values.shape == (2, 1) and np.allclose(values, 0.5)


def test_the_bounded_mean_upper_bound_holds_on_skewed_values_and_meets_its_critical_mean():
    """Hoeffding's bound for values in [0, 1]: on values as skewed as xavier-preserves-tanh's shares (mostly 0) it is
    below the true mean no more often than its level, where a t bound is below it far more often."""
    from lib.framework.error_rates import bounded_mean_critical
    from lib.framework.stats import bounded_mean_upper, mean_interval

    rng, n, draws, alpha = np.random.default_rng(8), 200, 4000, 0.05
    true_mean = 0.01
    samples = np.minimum(rng.gamma(0.04, true_mean / 0.04, (draws, n)), 1.0)
    mean = samples.mean()  # the clipped values' own mean, a hair below 0.01
    hoeffding = np.mean([bounded_mean_upper(s, alpha).high < mean for s in samples])
    t_bound = np.mean([mean_interval(s, 1 - 2 * alpha).high < mean for s in samples])
    assert hoeffding <= alpha and t_bound > 2 * alpha
    critical = bounded_mean_critical(1000, 0.0005, 0.01)
    assert bounded_mean_upper(np.full(1000, critical * 0.999), 0.0005).high < 0.01
    assert bounded_mean_upper(np.full(1000, critical * 1.001), 0.0005).high > 0.01
    with pytest.raises(ValueError, match="needs values in"):
        bounded_mean_upper([0.5, 1.5], 0.05)
