"""The group-sequential rate rule, on simulated binomial draws (not networks)."""
import math

import numpy as np
import pytest

from lib.framework.sequential import (STAGES, SequentialBandRule, SequentialRateRule, decide_sequentially, doubling_stages,
                                      false_failure, outcome_chances, simulate_verdicts, undecided_at_the_cap)

RULE = SequentialRateRule(threshold=0.90)  # 1,000 to 32,000 runs, alpha 0.005 spent over 6 looks
DRAWS = 20_000


def test_one_standard_error_above_the_threshold_is_decided_supported_within_the_cap():
    one_se_above = 0.90 + math.sqrt(0.90 * 0.10 / 1000)
    verdicts = simulate_verdicts(RULE, one_se_above, DRAWS, np.random.default_rng(1))
    assert verdicts["supported"] >= 0.95 and verdicts["refuted"] < 0.001


def test_at_the_threshold_it_wrongly_says_supported_no_more_often_than_alpha():
    """Simulated at the threshold: each wrong verdict within its level, up to three standard errors of the draws."""
    verdicts = simulate_verdicts(RULE, 0.90, DRAWS, np.random.default_rng(2))
    slack = 3 * math.sqrt(RULE.alpha / DRAWS)
    assert verdicts["supported"] <= RULE.alpha + slack and verdicts["refuted"] <= RULE.alpha + slack


def test_the_level_is_spent_not_left_unused_and_full_alpha_at_every_look_would_overshoot_it():
    """Exact spending uses nearly all of alpha over the looks (dividing it equally, Bonferroni, left about a third
    unspent); taking the full alpha at each of the six looks instead says 'supported' at the threshold too often."""
    for alpha in (0.005, 0.05):
        spent = outcome_chances(SequentialRateRule(threshold=0.90, alpha=alpha), 0.90)["supported"]
        assert 0.9 * alpha < spent <= alpha
    naive = SequentialRateRule(threshold=0.90, alpha=0.05, stages=(1000,))
    looks_each_at_full = 1 - np.prod([1 - outcome_chances(SequentialRateRule(threshold=0.90, alpha=0.05, stages=(n,)),
                                                          0.90)["supported"] for n in STAGES])
    assert looks_each_at_full > 0.05 and outcome_chances(naive, 0.90)["supported"] <= 0.05


def test_the_exact_outcome_chances_agree_with_simulation():
    for rate in (0.90, 0.905, 0.91):
        simulated = simulate_verdicts(RULE, rate, DRAWS, np.random.default_rng(4))
        exact = outcome_chances(RULE, rate)
        for outcome in ("supported", "refuted", "inconclusive"):
            assert abs(simulated[outcome] - exact.get(outcome, 0.0)) <= 4 * math.sqrt(0.25 / DRAWS)
    assert false_failure(RULE, 0.915) < 1e-4


def test_it_stops_at_the_first_decisive_look_and_keeps_every_look():
    asked = []

    def successes_at(n):
        asked.append(n)
        return round(0.91 * n)  # 0.91: inconclusive at 1,000 runs, supported once the runs are enough

    decision = decide_sequentially(RULE, successes_at)
    assert decision.verdict == "supported" and asked == [look.runs for look in decision.looks]
    assert asked[0] == 1000 and asked == sorted(asked) and len(asked) < len(RULE.stages)
    assert [look.verdict for look in decision.looks[:-1]] == ["inconclusive"] * (len(asked) - 1)


@pytest.mark.parametrize("rate, verdict", [(0.95, "supported"), (0.80, "refuted")])
def test_a_clear_rate_is_decided_at_the_first_look(rate, verdict):
    decision = decide_sequentially(RULE, lambda n: round(rate * n))
    assert decision.verdict == verdict and decision.runs == 1000


@pytest.mark.parametrize("arguments, message", [
    ({"stages": (200, 50)}, "stages must be strictly increasing network counts, got (200, 50)"),
    ({"stages": (50, 50, 800)}, "stages must be strictly increasing network counts, got (50, 50, 800)"),
    ({"stages": (1, 200)}, "stage size must be an integer >= 2, got 1"),
    ({"stages": (50, 200.5)}, "stage size must be an integer >= 2, got 200.5"),
    ({"stages": ()}, "stages must be a non-empty tuple of network counts, got ()"),
    ({"low": 1.2}, "band must have 0 <= low < high, got low 1.2 and high 1.1"),
    ({"low": -0.1}, "band must have 0 <= low < high, got low -0.1 and high 1.1"),
    ({"high": math.inf}, "band high must be a finite number, got inf"),
    ({"low": math.nan}, "band low must be a finite number, got nan"),
    ({"alpha": 0}, "alpha must be a number strictly between 0 and 1, got 0"),
    ({"alpha": 1.5}, "alpha must be a number strictly between 0 and 1, got 1.5"),
])
def test_a_band_rule_refuses_bad_stages_bounds_and_alpha(arguments, message):
    with pytest.raises(ValueError) as error:
        SequentialBandRule(**{"low": 0.9, "high": 1.1, **arguments})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_band_rule_with_no_lower_edge_is_accepted():
    """0 is a positive quantity's lowest edge: 'below 0.9' is the band [0, 0.9]."""
    rule = SequentialBandRule(0.0, 0.9)
    assert rule.decide(rule.bounds(np.linspace(0.5, 0.6, 50))) == "supported"


# --- the third outcome, 'at' the threshold (lu-collapse-protocol-sensitivity) -----------------------

AT_RULE = SequentialRateRule(0.90, stages=doubling_stages(256_000), alpha=0.005, refute_alpha=0.005 / 9,
                             at_band=(0.895, 0.905))


def test_at_the_study_cap_every_count_takes_one_of_the_three_outcomes_and_a_lower_cap_leaves_some_open():
    assert undecided_at_the_cap(AT_RULE) == []
    assert undecided_at_the_cap(SequentialRateRule(0.90, stages=AT_RULE.stages[:-1], alpha=0.005,
                                                   refute_alpha=0.005 / 9, at_band=(0.895, 0.905)))


def test_a_rate_of_exactly_the_threshold_is_decided_at_it():
    counts = lambda n: round(0.90 * n)
    decision = decide_sequentially(AT_RULE, counts)
    assert decision.verdict == "at" and decision.runs == 64_000


def test_the_false_failure_counts_the_at_outcome():
    """Just above the band a true rate can still be read 'at 90%', which is not 'supported': the chance grows by it."""
    without = SequentialRateRule(0.90, stages=AT_RULE.stages, alpha=0.005, refute_alpha=0.005 / 9)
    assert false_failure(AT_RULE, 0.905) > false_failure(without, 0.905) > 0


@pytest.mark.parametrize("band", [(0.91, 0.95), (0.85, 0.90), (0.9,), (-0.1, 0.95)])
def test_an_at_band_must_straddle_the_threshold(band):
    with pytest.raises(ValueError, match="at_band must be"):
        SequentialRateRule(0.90, at_band=band)


def test_a_rules_cap_is_a_parameter():
    assert doubling_stages(32_000) == STAGES == (1000, 2000, 4000, 8000, 16000, 32000)
    assert doubling_stages(128_000)[-2:] == (64_000, 128_000) and doubling_stages(1000) == (1000,)
    with pytest.raises(ValueError, match="cap 100000 is not first look 1000 times a power of two"):
        doubling_stages(100_000)
    with pytest.raises(ValueError, match="cap"):
        doubling_stages(0)


def test_the_default_spending_expects_fewer_runs_at_the_design_than_lan_demets_functions():
    """Why the default spends alpha in equal shares, one a look, carrying what a look leaves unspent: at the over-90
    rule's design rate (0.91) it stops sooner on average than Pocock's and O'Brien–Fleming's functions, and sooner
    than Bonferroni's split of the same shares, with both error rates within the level."""
    rules = {s: SequentialRateRule(0.90, alpha=0.005, spending=s) for s in ("even", "pocock", "obrien-fleming")}
    runs = {s: outcome_chances(rule, 0.91)["expected_runs"] for s, rule in rules.items()}
    assert runs["even"] < min(runs["pocock"], runs["obrien-fleming"])
    assert outcome_chances(rules["even"], 0.90)["supported"] <= 0.005 and false_failure(rules["even"], 0.91) < 0.002
    with pytest.raises(ValueError, match="unknown spending function 'linear'; give one of obrien-fleming, pocock, even"):
        SequentialRateRule(0.90, spending="linear")
