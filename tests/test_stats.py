"""Statistics wrappers: verdict rules for rates, interval coverage of known values."""
import numpy as np
import pytest

from lib.findings import combine_verdicts
from lib.stats import geometric_mean_interval, mean_interval, rate_interval, rate_verdict


@pytest.mark.parametrize("successes, verdict", [(950, "supported"), (850, "refuted"), (905, "inconclusive")])
def test_rate_verdict_against_90_percent(successes, verdict):
    assert rate_verdict(successes, 1000, 0.90, confidence=0.95) == verdict


def test_clopper_pearson_matches_a_known_value():
    estimate = rate_interval(0, 10, 0.95)
    assert estimate.low == 0 and estimate.high == pytest.approx(0.3085, abs=1e-4)


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
