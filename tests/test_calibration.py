"""lib.framework.calibration: every claim's stated error rates come from their computation, collected from the claims
themselves; the lib.framework.error_rates primitives agree with brute-force simulations of the rules they describe."""
import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from lib.framework import calibration, error_rates as er
from lib.framework.rules import ERRORS, Rule, figure, round_up, statement
from lib.framework.stats import paired_rate_difference, rate_interval

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ROOT / "claims"
DRAWS = 20_000


def within(simulated_hits: int, draws: int, exact: float, sigmas: float = 4.5) -> bool:
    """The simulated rate agrees with the exact chance within sigmas binomial standard errors (plus a little slack
    for a chance near 0 or 1)."""
    return abs(simulated_hits / draws - exact) <= sigmas * math.sqrt(max(exact * (1 - exact), 1 / draws) / draws)


@pytest.fixture(scope="module")
def claims() -> list:
    return calibration.collect(CLAIMS)


# --- the command ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def command(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration") / "calibration.json"
    result = subprocess.run([sys.executable, "-m", "lib.calibration", "--json", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    return result, json.loads(out.read_text()) if out.exists() else None


def test_the_command_prints_a_row_for_every_claim_and_exits_0_with_no_problem(command, claims):
    """No claim states less than its computation or more than the suite's standard, no measurement contradicts a
    design, and the sums are within theirs: the command reports no problem and exits 0."""
    result, record = command
    assert [line for line in result.stderr.splitlines() if line.startswith("FAIL")] == [], result.stderr
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    ids = {c.id for c in claims}
    assert ids and ids <= rows
    assert "(slow)" in next(line for line in result.stdout.splitlines() if "lu-collapse-protocol-sensitivity" in line)
    assert "Family-wise false support ≤" in result.stdout and "family-wise false failure ≤" in result.stdout
    assert {c["claim"] for c in record["claims"]} == ids and record["seed"] == calibration.SEED


def test_each_stated_figure_is_its_computation_rounded_up(command):
    """No rule's stated figures are stale or loose: each is statement() of what the command computed."""
    _, record = command
    for c in record["claims"]:
        computed = (statement(c["false_failure"], c["deterministic"]), statement(c["false_support"], c["deterministic"]))
        assert tuple(c["stated"]) == computed, c["claim"]


def test_the_suite_wide_bounds_are_the_sums_of_the_stated_figures(command, claims):
    _, record = command
    assert record["suite_false_failure"] == pytest.approx(sum(c.false_failure for c in claims))
    assert record["suite_false_support"] == pytest.approx(sum(c.false_support for c in claims))


def test_a_stated_figure_below_its_computation_fails_the_check(claims):
    claim = next(c for c in claims if c.id == "he-preserves-relu")
    assert calibration.check([calibration.calibrate(claim)]) == []
    ff, fs = claim.rule.stated
    for stated in ((ff / 10, fs), (ff, fs / 2)):
        lowered = dataclasses.replace(claim, rule=dataclasses.replace(claim.rule, stated=stated))
        assert len(calibration.check([calibration.calibrate(lowered)])) == 1


def test_every_claim_meets_the_suite_standard(command):
    """False support ≤ 0.005 and false failure ≤ 0.01 a claim, the sums ≤ 0.05; every nuisance entry carries its
    assumed and measured values (None where nothing measures it)."""
    _, record = command
    for c in record["claims"]:
        assert c["stated"][1] <= 0.005 and c["stated"][0] <= 0.01, c["claim"]
        assert not any(n["contradicts"] for n in c["nuisance"]), c["claim"]
        assert all({"assumed", "measured"} <= set(n) for n in c["nuisance"]), c["claim"]
    assert record["suite_false_support"] <= 0.05 and record["suite_false_failure"] <= 0.05


def test_a_claim_above_the_standard_and_a_contradicted_nuisance_fail_the_check(claims):
    from lib.framework.nuisance import Measured, Nuisance

    claim = next(c for c in claims if c.id == "relu-born-dead-theory")
    lax = dataclasses.replace(claim, rule=dataclasses.replace(claim.rule, stated=(0.004, 0.01)))
    assert calibration.check([calibration.calibrate(lax)]) != []
    spread = Nuisance("a spread", 0.10, "declared", lambda findings: Measured(0.11, "a run"))
    within_slack = Nuisance("a spread", 0.10, "declared", lambda findings: Measured(0.1019, "a run"))
    stall = Nuisance("a stall chance", 0.001, "declared", lambda findings: Measured(3 / 168, "a run", (3, 168)))
    one_stall = Nuisance("a stall chance", 0.001, "declared", lambda findings: Measured(1 / 168, "a run", (1, 168)))
    for nuisance, contradicts in ((spread, True), (within_slack, False), (stall, True), (one_stall, False)):
        with_it = dataclasses.replace(claim, rule=dataclasses.replace(
            claim.rule, errors=lambda n=nuisance: (claim.rule.errors()[0], [n])))
        assert bool(calibration.check([calibration.calibrate(with_it, {})])) == contradicts, nuisance


def test_a_spread_read_back_from_an_interval_is_the_spread_behind_it():
    from lib.framework.nuisance import cv_t, log_t, t_spread
    from lib.framework.stats import geometric_mean_interval, mean_interval

    values = np.random.default_rng(5).normal(2.0, 0.3, 50)
    linear = mean_interval(values, 0.999).as_dict()
    assert t_spread(linear) == pytest.approx(values.std(ddof=1), rel=1e-4)
    assert cv_t(linear) == pytest.approx(values.std(ddof=1) / values.mean(), rel=1e-4)
    assert log_t(geometric_mean_interval(np.exp(values), 0.99).as_dict()) == pytest.approx(values.std(ddof=1), rel=1e-4)


def test_the_equivalence_rule_errors_agree_with_simulation():
    """relu-born-dead-theory's two one-sided tests: the exact chances at the formula and one margin off."""
    from lib.framework.stats import rate_equivalence

    rng, n, draws = np.random.default_rng(6), 2000, 4000
    fails, passes = er.rate_equivalence_errors(n, 0.01, 0.3, 0.04)
    at_centre = sum(not rate_equivalence(k, n, 0.3, 0.04, 0.01)[0] for k in rng.binomial(n, 0.3, draws))
    off = sum(rate_equivalence(k, n, 0.3, 0.04, 0.01)[0] for k in rng.binomial(n, 0.34, draws))
    assert within(int(at_centre), draws, fails) and within(int(off), draws, passes)
    assert passes <= 0.01


def test_k_selects_claims_and_an_unmatched_k_is_an_error(capsys):
    assert calibration.main(["-k", "born", "--claims", str(CLAIMS)]) == 0
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:] if line and not line[0].isdigit()]
    assert rows == ["rai-born-dead-less-often", "relu-born-dead-theory"]
    assert calibration.main(["-k", "no-such-claim", "--claims", str(CLAIMS)]) == 2


def test_collecting_finds_a_new_claim_file_and_refuses_an_id_declared_twice(tmp_path):
    """Adding a claim is one new file: the command finds it by collecting the folder; two claims with one id are an
    error, not a silent pick."""
    folder = tmp_path / "newclaims"
    folder.mkdir()
    declare = ('from lib.framework.findings import Claim\nfrom lib.framework.rules import deterministic\n'
               'CLAIM = Claim("{id}", "a claim", "nowhere", deterministic("a rule", "an exact check"))\n')
    (folder / "test_one.py").write_text(declare.format(id="one-new-claim"))
    assert [c.id for c in calibration.collect(folder)] == ["one-new-claim"]
    (folder / "test_two.py").write_text(declare.format(id="one-new-claim").replace("a claim", "another claim"))
    with pytest.raises(ValueError, match="declared twice"):
        calibration.collect(folder)


# --- the claims state what their computation gives -----------------------------------------------

def test_every_claim_states_its_figures_once_in_its_rule(claims):
    for claim in claims:
        text = claim.rule.text()
        assert text.count(claim.rule.sentence()) == 1 and text.count("False failure") == 1, claim.id
        assert ERRORS not in text and (claim.false_failure, claim.false_support) == claim.rule.stated, claim.id


def test_a_rule_places_its_sentence_where_its_words_say():
    rule = Rule("first. " + ERRORS + ". Earlier rule: x", "at d", "at b", lambda: ([], []), (0.001, 0.005))
    assert rule.text() == "first. False failure: ≤ 0.001 at d; false support: ≤ 0.005 at b (lib.calibration). Earlier rule: x"
    assert Rule("words.", "at d", "at b", lambda: ([], []), (0.0, 0.0)).text() == \
        "words. False failure and false support: 0, at d (lib.calibration)"


def test_figures_read_as_rules_write_them():
    assert round_up(3.2e-4) == 4e-4 and round_up(3e-4) == 3e-4
    assert round_up(0.0050000000000000044) == 0.005 and round_up(0.0159) == 0.02
    assert statement(0.0, deterministic=True) == 0 and statement(0.0, False) == 1e-12
    assert statement(3e-40, False) == 1e-12
    assert [figure(v) for v in (0.0, 0.05, 0.008, 4e-4, 1e-12)] == ["0", "0.05", "0.008", "4e-4", "1e-12"]


# --- the new primitives against brute force --------------------------------------------------------

def t_interval_ends(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """The two-sided t interval (lib.framework.stats.mean_interval's) of each row."""
    n = samples.shape[1]
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * samples.std(axis=1, ddof=1) / math.sqrt(n)
    mean = samples.mean(axis=1)
    return mean - half, mean + half


@pytest.mark.parametrize("n, effect", [(8, 0.8), (8, 0.0), (50, 0.3), (50, -0.1)])
def test_t_bound_beyond_matches_simulated_intervals(n, effect):
    rng = np.random.default_rng(1)
    low, _ = t_interval_ends(rng.normal(effect, 1.0, (DRAWS, n)), 0.99)  # threshold 0, truth effect SDs above it
    exact = er.t_bound_beyond(n, 0.99, effect)
    assert within(int((low > 0).sum()), DRAWS, exact)
    assert exact + er.t_bound_misses(n, 0.99, effect) == pytest.approx(1.0)


def test_the_noncentral_t_integral_agrees_with_scipy_and_stays_finite_far_out(monkeypatch):
    for df, nc in ((7, 3.0), (49, 5.0), (299, 8.0)):
        direct = [er.noncentral_t_cdf(2.6, df, nc), er.noncentral_t_cdf(2.6, df, -nc, upper=True)]
        monkeypatch.setattr(er, "NONCENTRAL_LIMIT", 0.0)
        integrated = [er.noncentral_t_cdf(2.6, df, nc), er.noncentral_t_cdf(2.6, df, -nc, upper=True)]
        monkeypatch.undo()
        assert integrated == pytest.approx(direct, rel=1e-6, abs=3e-15)
    for df in (7, 49, 299, 1999):  # scipy.stats.nct gives nan or 1e-54 where the chance is ~1e-300
        assert 0 <= er.noncentral_t_cdf(2.6, df, 40.0) <= 2e-15


@pytest.mark.parametrize("n, gap, sd_low, sd_high", [(10, 1.5, 1.0, 0.5), (50, 0.6, 1.0, 1.0), (50, 0.0, 0.4, 1.0)])
def test_t_intervals_apart_misses_matches_simulated_intervals(n, gap, sd_low, sd_high):
    rng = np.random.default_rng(2)
    _, low_high = t_interval_ends(rng.normal(0.0, sd_low, (DRAWS, n)), 0.99)
    high_low, _ = t_interval_ends(rng.normal(gap, sd_high, (DRAWS, n)), 0.99)
    assert within(int((high_low <= low_high).sum()), DRAWS, er.t_intervals_apart_misses(n, 0.99, gap, sd_low, sd_high))


def simulated_mcnemar(n: int, only_first: float, only_second: float, alpha: float, rng) -> int:
    """How many of DRAWS simulated sets of n paired runs give a significant one-sided exact McNemar test."""
    counts = rng.multinomial(n, [only_first, only_second, 1 - only_first - only_second], size=DRAWS)
    first, discordant = counts[:, 0], counts[:, 0] + counts[:, 1]
    p_values = np.where(discordant > 0, stats.binom.sf(first - 1, discordant, 0.5), 1.0)
    return int((p_values <= alpha).sum())


@pytest.mark.parametrize("only_first, only_second, alpha", [(0.10, 0.05, 0.05), (0.30, 0.32, 0.05 / 31),
                                                            (0.05, 0.05, 0.05)])
def test_mcnemar_at_matches_simulated_paired_runs(only_first, only_second, alpha):
    n = 200
    significant, not_significant = er.mcnemar_at(n, only_first, only_second, alpha)
    assert significant + not_significant == pytest.approx(1.0)
    hits = simulated_mcnemar(n, only_first, only_second, alpha, np.random.default_rng(3))
    assert within(hits, DRAWS, significant)


def test_mcnemar_at_is_the_rules_test_and_agrees_with_mcnemar_misses():
    first = np.array([True] * 9 + [False] * 2 + [True] * 5 + [False] * 4)  # 9 'first only', 2 'second only'
    second = np.array([False] * 9 + [True] * 2 + [True] * 5 + [False] * 4)
    _, p_value = paired_rate_difference(first, second, 0.95)
    assert p_value == pytest.approx(stats.binom.sf(9 - 1, 11, 0.5))
    for first_rate, second_rate in ((0.92, 0.82), (0.6, 0.4), (0.3, 0.1)):
        only_first = min(first_rate, 1 - second_rate)
        assert er.mcnemar_at(1000, only_first, only_first - (first_rate - second_rate), 0.05)[1] == pytest.approx(
            er.mcnemar_misses(1000, first_rate, second_rate, 0.05), rel=1e-9, abs=1e-15)  # the latter: 1 − a sum


@pytest.mark.parametrize("n, true_rate", [(200, 0.5), (200, 0.6), (900, 0.53)])
def test_rate_bound_errors_match_simulated_counts(n, true_rate):
    counts = np.random.default_rng(4).binomial(n, true_rate, DRAWS)
    clears = {k: rate_interval(k, n, 2 * 0.95 - 1).low > 0.5 for k in np.unique(counts)}
    supported, not_supported = er.rate_bound_errors(n, 0.95, 0.5, true_rate)
    assert supported + not_supported == pytest.approx(1.0)
    assert within(sum(clears[k] for k in counts), DRAWS, supported)


@pytest.mark.parametrize("control, treated, alpha", [(0.3, 0.25, 0.05), (0.12, 0.1, 0.01), (0.5, 0.5, 0.05)])
def test_fisher_less_rejects_matches_simulated_tables(control, treated, alpha):
    n, draws = 500, 4000
    rng = np.random.default_rng(7)
    hits = sum(stats.fisher_exact([[t, n - t], [c, n - c]], alternative="less").pvalue <= alpha
               for c, t in zip(rng.binomial(n, control, draws), rng.binomial(n, treated, draws)))
    assert within(int(hits), draws, er.fisher_less_rejects(n, control, treated, alpha))


def test_skewed_values_raise_the_size_of_an_upper_t_bound():
    """Near-normal gamma values (a huge shape) give the one tail of the normal theory; skewed ones (shape 1, skewness
    2) give more, which is why collapsed-net-outputs-target-mean states the skewed figure."""
    near_normal, _ = er.t_upper_bound_size_skewed(50, 0.99, 1e4, 40_000, 7)
    skewed, _ = er.t_upper_bound_size_skewed(50, 0.99, 1.0, 40_000, 7)
    assert within(int(near_normal * 40_000), 40_000, 0.005) and skewed > 0.01


def test_an_unreadable_findings_file_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        calibration.main(["-k", "born", "--claims", str(CLAIMS), "--findings", str(tmp_path / "missing.json")])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.count("\n") == 1
    assert "cannot read findings" in err and "missing.json" in err


def test_the_reports_give_each_claims_level_and_the_family_wise_sums_by_name(tmp_path):
    """The terminal table, FINDINGS.md and index.html: each claim's level (its false support) beside it, and the
    family-wise sums over the claims a run holds, naming Bonferroni's union bound."""
    from lib.framework.html_report import render
    from lib.framework.record import read_previous
    from lib.framework.report import findings_markdown, terminal_table

    copy = tmp_path / "findings.json"  # read_previous sets an unreadable file aside: never the reference itself
    copy.write_text((ROOT / "docs" / "reference" / "findings.json").read_text())
    findings, _ = read_previous(copy)
    assert findings
    run = findings[0].run
    total = round_up(sum(f.false_support for f in findings), 2)
    for text in (findings_markdown(findings, run), "\n".join(terminal_table(findings, run)), render(findings, run)):
        assert f"amily-wise false support ≤ {total:g}" in text and "Bonferroni's union bound" in text.replace("&#39;", "'")
    table = "\n".join(terminal_table(findings, run))
    assert all(f"level {figure(f.false_support)}" in table for f in findings)
