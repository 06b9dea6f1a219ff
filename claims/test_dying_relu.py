"""Family B: dying ReLU (Lab3 problems 2 and 3; Lu et al. 2020, "Dying ReLU and Initialization").

Protocol (CLAIMS.md B, LuProtocol's defaults): 10 weight layers (9 hidden of width 2, a linear
output), 1-D input and output, 3,000 points a run from U(−√7, √7), minibatch 64, MSE, Adam
lr 1e-3, 100 epochs, He-normal weights and zero biases, 1,000 runs per setting, each with its own
init, data and shuffles. Run k uses the same seeds in every setting, so settings differ only in
what the protocol changes. Collapse: the output's range over a 2,001-point grid of the domain is at
most 1e-3 of the target's range there (lib/collapse.py), reported at several tolerances too.
The 100 epochs: the ReLU collapse fraction is flat from about epoch 30 and the healthy runs' median
loss from about epoch 100 (figure collapse_vs_epoch of lu-relu-collapse-over-90).
"""
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
import torch

from lib import plots
from lib.calibration import sentence, stated
from lib.collapse import (HEADLINE_TOLERANCE, TOLERANCES, born_dead_cached, collapse_count, collapsed, collapsed_fractions,
                          collapsed_runs, dead_layers, first_dead_layer, output_range)
from lib.findings import Claim, ClaimRefuted, combine_verdicts
from lib.lu import LAB_SNAPSHOTS, LuProtocol, lab_runs
from lib.seeding import seed_for
from lib.sequential import STAGES, SequentialRateRule, decide_sequentially
from lib.stats import (lower_in_every_group, mean_interval, matches_rate, paired_rate_difference, rate_interval,
                       rate_verdict)
from lib.targets import FORMULAS, get_target, grid
from lib.theory import born_dead_probability

pytestmark = pytest.mark.claims

TARGETS = ("f1", "f2", "f3")
RELU = LuProtocol()
LEAKY = RELU.but(activation="leaky_relu")
CONFIDENCE = 0.95
EPOCH_SNAPSHOTS = LAB_SNAPSHOTS
# 'refuted' for any one of the three targets refutes the claim: that side is taken at 0.05 / 3 (Bonferroni)
OVER_90_RULE = SequentialRateRule(threshold=0.90, stages=STAGES, alpha=0.05, refute_alpha=0.05 / len(TARGETS))
DESIGN_RATE = 0.91  # the design margin from the claim's words: "over 90%" is stated in whole percent, so 91%
GRID = grid()


@pytest.fixture(scope="module")
def lu(seeds, device, experiment_cache):
    """lu(protocol, first_run=0) -> LuRun (lib.lu.lab_runs): run k has the same seeds in every setting, each block
    trained once."""
    return lab_runs(experiment_cache, seeds("dying-relu"), device)


def sequential_collapse(lu, protocol: LuProtocol, rule: SequentialRateRule):
    """Decide 'collapse rate > threshold' sequentially: the protocol's runs (the first stage), then the runs up to
    each next stage, each block trained once."""
    first_run = dict(zip(rule.stages, [0, *rule.stages]))

    @cache
    def block(last: int) -> int:
        run = lu(protocol.but(runs=last - first_run[last]), first_run[last]) if first_run[last] else lu(protocol)
        return collapse_count(run)

    return decide_sequentially(rule, lambda n: sum(block(stage) for stage in rule.stages if stage <= n))


def collapse_estimate(run, tolerance: float = HEADLINE_TOLERANCE, net=None):
    return rate_interval(collapse_count(run, tolerance, net), run.protocol.runs, CONFIDENCE)


def at_tolerances(run) -> dict:
    counts = collapsed_fractions(run.final, GRID, run.target_range)
    return {f"{t:g}": rate_interval(k, run.protocol.runs, CONFIDENCE) for t, k in counts.items()}


def setup_for(protocol: LuProtocol, run_settings, **extra) -> dict:
    return {**protocol.record(), "collapse_tolerance": HEADLINE_TOLERANCE, "grid_points": len(GRID),
            "confidence": CONFIDENCE, "root_seed": run_settings["seed"], **extra}


# --- lu-relu-collapse-over-90 -------------------------------------------------------------------

OVER_90 = Claim(
    "lu-relu-collapse-over-90",
    "over 90% of the 1,000 ReLU runs collapse (per target function)",
    "Lab3 2, Lu et al. 2020",
    f"per target, {OVER_90_RULE.describe()}; the claim holds if it is supported for f1, f2 and f3. The lab's "
    "1,000-run answer (one-sided 95% bound) is reported as such. " + sentence("lu-relu-collapse-over-90") + ". "
    "Earlier rules: a design rate of 0.915, taken from the measured rates, and a cap of 16,000 runs, too few to "
    "confirm 0.91; the refuted side at 0.05 for each target, uncorrected",
    false_failure=stated("lu-relu-collapse-over-90")[0], false_support=stated("lu-relu-collapse-over-90")[1],
)


def over_90_verdict(decisions: dict) -> str:
    return combine_verdicts(d.verdict for d in decisions.values())


def lab_answer(count: int, runs: int) -> dict:
    """The lab's own reading of its 1,000 runs: the 95% interval and the one-sided verdict at that size alone."""
    return {"collapse": rate_interval(count, runs, CONFIDENCE), "verdict": rate_verdict(count, runs, 0.90, CONFIDENCE)}


def test_lu_relu_collapse_over_90(lu, finding, artifacts, run_settings):
    runs = {t: lu(RELU.but(target=t)) for t in TARGETS}
    decisions = {t: sequential_collapse(lu, RELU.but(target=t), OVER_90_RULE) for t in TARGETS}
    measured = {t: {"sequential": decisions[t], "lab_1000_runs": lab_answer(collapse_count(r), RELU.runs),
                    "at_tolerances": at_tolerances(r)} for t, r in runs.items()}
    save_collapse_figures(lu, artifacts, runs)
    finding.conclude(OVER_90.finding(
        over_90_verdict(decisions), sequential_summary(decisions, measured), measured,
        {"statistic": "collapse fraction", "test": "group-sequential one-sided exact binomial vs 0.90",
         "interval": f"one-sided Clopper–Pearson: lower at {OVER_90_RULE.alpha:g}/{len(OVER_90_RULE.stages)}, upper at "
                     f"{OVER_90_RULE.refute_level:.3g}/{len(OVER_90_RULE.stages)}",
         "stages": list(OVER_90_RULE.stages)},
        setup_for(RELU, run_settings, targets=list(TARGETS), runs_used={t: d.runs for t, d in decisions.items()})))


def sequential_summary(decisions: dict, measured: dict) -> str:
    """Per target: the lab's 1,000-run answer, then the sequential verdict with the runs it took and its interval."""
    return "; ".join(f"{t}: 1,000 runs {m['lab_1000_runs']['collapse'].text()}, {decisions[t].verdict} at "
                     f"{decisions[t].runs:,} runs ({decisions[t].final.text()})" for t, m in measured.items())


def save_collapse_figures(lu, artifacts, runs):
    leaky = {t: lu(LEAKY.but(target=t)) for t in TARGETS}
    bars = {t: {"ReLU": collapse_estimate(runs[t]), "Leaky ReLU (0.01)": collapse_estimate(leaky[t])} for t in TARGETS}
    artifacts.save(OVER_90.id, "collapse_fraction", plots.rate_bars(
        {t: {k: (e.value, e.low, e.high) for k, e in v.items()} for t, v in bars.items()},
        "collapsed fraction (95% CI)", "Collapse after training, 1,000 runs each", reference=0.9))
    epochs = list(EPOCH_SNAPSHOTS)
    lines = {}
    for label, group in (("ReLU", runs), ("Leaky", leaky)):
        for t, run in group.items():
            estimates = [collapse_estimate(run, net=run.training.snapshots[e]) for e in epochs]
            lines[f"{label} {t}"] = [(e.value, e.low, e.high) for e in estimates]
    artifacts.save(OVER_90.id, "collapse_vs_epoch", plots.rate_lines(
        epochs, lines, "epoch", "collapsed fraction", "Collapse fraction during training"))
    healthy_loss = {}
    for t, run in runs.items():
        healthy = ~collapsed(run.final, GRID, run.target_range)
        healthy_loss[f"{t} healthy runs"] = np.median(run.training.losses[:, healthy], axis=1)[np.newaxis]
    artifacts.save(OVER_90.id, "healthy_loss_vs_epoch", plots.curves(
        healthy_loss, "epoch", "median training MSE, runs that did not collapse", "Healthy runs level off",
        x=np.arange(1, RELU.epochs + 1), log=True))
    run = runs["f1"]
    spread = output_range(run.final, GRID)
    dead, alive = int(np.argmax(spread <= HEADLINE_TOLERANCE * run.target_range)), int(np.argmax(spread))
    with torch.no_grad():
        out = run.final.forward(torch.as_tensor(GRID).reshape(-1, 1))[:, :, 0].numpy()
    artifacts.save(OVER_90.id, "example_fits_f1", plots.fits(
        GRID, get_target("f1")(GRID), {f"collapsed run {dead}": out[dead], f"healthy run {alive}": out[alive]},
        f"f1 = {FORMULAS['f1']}: a collapsed and a healthy ReLU run"))


def test_control_a_rate_just_below_90_percent_is_not_over_90_and_a_lower_bar_would_pass_it(lu):
    """Negative control near the threshold: 8 weight layers at width 2 collapse at about 0.88 (the depth × width
    table), so the over-90 rule must not say 'supported' for f1; the same runs pass a bar lowered to 80%, so a
    rule made too lax fails this control."""
    cell = RELU.but(target="f1", weight_layers=8)
    assert sequential_collapse(lu, cell, OVER_90_RULE).verdict != "supported"
    assert sequential_collapse(lu, cell, replace(OVER_90_RULE, threshold=0.80)).verdict == "supported"


def test_control_leaky_nets_do_not_pass_as_over_90(lu):
    """Negative control: the same rule on Leaky ReLU runs (slope 0.01 instead of 0) must not say 'over 90%'."""
    decisions = {t: sequential_collapse(lu, LEAKY.but(target=t), OVER_90_RULE) for t in TARGETS}
    assert over_90_verdict(decisions) != "supported"


# --- leaky-relu-reduces-collapse ----------------------------------------------------------------

REDUCES = Claim(
    "leaky-relu-reduces-collapse",
    "with Leaky ReLU (slope 0.01, the sheet's φ), everything else equal, the collapse fraction is lower; by how "
    "much, and is collapse gone?",
    "Lab3 3",
    "per target, run k of ReLU and of Leaky ReLU share their init, data and shuffle seeds, so the runs are paired: "
    "a one-sided exact McNemar test (the discordant runs) of 'ReLU collapses more often than Leaky ReLU' at alpha "
    "0.05; the claim holds if it is significant for f1, f2 and f3. 'Gone' means no Leaky run collapsed. "
    + sentence("leaky-relu-reduces-collapse") + ". "
    "Earlier rule: Fisher's exact test, which treats the paired runs as independent",
    false_failure=stated("leaky-relu-reduces-collapse")[0], false_support=stated("leaky-relu-reduces-collapse")[1],
)


def reduces_verdict(relu_collapsed: dict, leaky_collapsed: dict) -> tuple[bool, dict]:
    """Per target, paired runs' collapsed flags: McNemar's test in every target (lib.stats.lower_in_every_group)."""
    return lower_in_every_group(relu_collapsed, leaky_collapsed, CONFIDENCE)


def test_leaky_relu_reduces_collapse(lu, finding, artifacts, run_settings):
    relu = {t: lu(RELU.but(target=t)) for t in TARGETS}
    leaky = {t: lu(LEAKY.but(target=t)) for t in TARGETS}
    ok, tests = reduces_verdict({t: collapsed_runs(r) for t, r in relu.items()},
                                {t: collapsed_runs(r) for t, r in leaky.items()})
    measured = {t: {"relu": collapse_estimate(relu[t]), "leaky": collapse_estimate(leaky[t]),
                    "reduction": tests[t][0], "mcnemar_p": tests[t][1], "leaky_at_tolerances": at_tolerances(leaky[t])}
                for t in TARGETS}
    gone = all(collapse_count(r) == 0 for r in leaky.values())
    lines = {}
    for name, group in (("ReLU", relu), ("Leaky", leaky)):
        for t in TARGETS:
            lines[f"{name} {t}"] = [(e.value, e.low, e.high) for e in at_tolerances(group[t]).values()]
    artifacts.save(REDUCES.id, "collapse_vs_tolerance", plots.rate_lines(
        list(TOLERANCES), lines, "tolerance (fraction of the target's range)", "collapsed fraction",
        "Collapse fraction against the tolerance", log_x=True))
    by_how_much = "; ".join(f"{t}: {m['relu'].text()} → {m['leaky'].text()}, reduction {m['reduction'].text()}"
                            for t, m in measured.items())
    answer = "collapse is gone" if gone else "collapse is not gone: Leaky ReLU runs still collapse"
    finding.conclude(REDUCES.finding(
        "supported" if ok else "refuted", f"{by_how_much}; {answer} (it keeps falling with more epochs: "
        "see collapse_vs_epoch of lu-relu-collapse-over-90)", measured | {"collapse_gone": gone},
        {"statistic": "difference of collapse fractions, paired runs", "test": "one-sided exact McNemar",
         "interval": "Wald for paired proportions, 95%"}, setup_for(LEAKY, run_settings, compared_with="relu")))


def test_control_another_block_of_relu_runs_shows_no_reduction(lu):
    """Negative control at the rule's boundary: ReLU runs 1,001–2,000 (the same protocol, other seeds, so the same
    collapse rate) in place of the Leaky runs must not show a reduction in every target."""
    relu = {t: collapsed_runs(lu(RELU.but(target=t))) for t in TARGETS}
    other = {t: collapsed_runs(lu(RELU.but(target=t), RELU.runs)) for t in TARGETS}
    assert not reduces_verdict(relu, other)[0]


def test_control_slope_zero_shows_no_reduction(lu):
    """Negative control: a 'Leaky' ReLU with slope 0 is ReLU, run for run: no reduction (f1)."""
    relu = {"f1": collapsed_runs(lu(RELU.but(target="f1")))}
    zero = {"f1": collapsed_runs(lu(LEAKY.but(target="f1", slope=0.0)))}
    assert (zero["f1"] == relu["f1"]).all()
    assert not reduces_verdict(relu, zero)[0]


# --- relu-born-dead-theory ----------------------------------------------------------------------

BORN_ALPHA = 0.001
BORN_DEAD = Claim(
    "relu-born-dead-theory",
    "at initialization with zero biases, a positive input ray dies in a hidden layer of width N with probability "
    "2^−N, independently per layer, so P(net constant on x > 0) = 1 − (1 − 2^−N)^H; simulation must match it",
    "Lu et al. 2020 (born dead)",
    "for every width N in {2, 3, 5, 10} and hidden depth H in {1, 2, 5, 9, 20, 50}, 20,000 He-normal nets: the "
    f"two-sided exact binomial test of the simulated rate against the formula does not reject at the "
    f"Bonferroni-corrected level {BORN_ALPHA} / 24. " + sentence("relu-born-dead-theory"),
    false_failure=stated("relu-born-dead-theory")[0], false_support=stated("relu-born-dead-theory")[1],
)
WIDTHS, DEPTHS, BORN_RUNS = (2, 3, 5, 10), (1, 2, 5, 9, 20, 50), 20_000


@pytest.fixture(scope="module")
def born_dead_counts(seeds, experiment_cache):
    sequence = seeds(BORN_DEAD.id)
    return {(n, h): int(born_dead_cached(experiment_cache, n, h, BORN_RUNS, "he_normal",
                                         seed_for(sequence, f"N={n},H={h}")).sum())
            for n in WIDTHS for h in DEPTHS}


def matches_theory(counts: dict, theory) -> tuple[bool, dict]:
    p_values = {cell: matches_rate(k, BORN_RUNS, theory(*cell)) for cell, k in counts.items()}
    return all(p > BORN_ALPHA / len(counts) for p in p_values.values()), p_values


def test_relu_born_dead_theory(born_dead_counts, finding, artifacts, run_settings):
    ok, p_values = matches_theory(born_dead_counts, born_dead_probability)
    measured = {f"N={n},H={h}": {"simulated": rate_interval(k, BORN_RUNS, 0.99), "theory": born_dead_probability(n, h),
                                 "p_value": p_values[n, h]} for (n, h), k in born_dead_counts.items()}
    lines = {f"N={n}": [(e.value, e.low, e.high) for e in (measured[f"N={n},H={h}"]["simulated"] for h in DEPTHS)]
             for n in WIDTHS}
    theory = {f"N={n}": np.array([born_dead_probability(n, h) for h in DEPTHS]) for n in WIDTHS}
    artifacts.save(BORN_DEAD.id, "born_dead_vs_depth", plots.rate_lines(
        list(DEPTHS), lines, "hidden layers H", "P(constant on x > 0) at init", "Born dead: simulation (points, 99% CI) and "
        "1 − (1 − 2^−N)^H (lines)", log_x=True, theory=theory))
    worst = min(p_values, key=p_values.get)
    finding.conclude(BORN_DEAD.finding(
        "supported" if ok else "refuted",
        f"all {len(p_values)} cells match (smallest p = {p_values[worst]:.3g} at N={worst[0]}, H={worst[1]}); "
        f"N=2, H=9: {measured['N=2,H=9']['simulated'].text()} vs theory {born_dead_probability(2, 9):.4f}",
        measured, {"test": "two-sided exact binomial per cell", "alpha": BORN_ALPHA, "correction": "Bonferroni"},
        {"runs_per_cell": BORN_RUNS, "weights": "he_normal", "biases": "zeros", "input": "x = 1 (any x > 0)",
         "root_seed": run_settings["seed"]}))


def test_control_wrong_theory_is_rejected(born_dead_counts):
    """Negative control: a wrong per-layer death rate, 2^−(N−1), must be rejected by the same test."""
    wrong = lambda n, h: 1.0 - (1.0 - 2.0 ** -(n - 1)) ** h
    assert not matches_theory(born_dead_counts, wrong)[0]


# --- collapse-is-decided-at-birth ---------------------------------------------------------------

AT_BIRTH = Claim(
    "collapse-is-decided-at-birth",
    "what share of the collapsed runs were already dead at initialization, and what share died in training",
    "Lu et al. 2020",
    "Lu et al.'s reading, that collapse is mostly decided at birth: per target, among the ReLU runs collapsed after "
    "training, the share already collapsed at initialization (the same rule on the initial net) has its one-sided "
    "lower 95% bound above 1/2. " + sentence("collapse-is-decided-at-birth"),
    false_failure=stated("collapse-is-decided-at-birth")[0], false_support=stated("collapse-is-decided-at-birth")[1],
)


def at_birth_verdict(born: np.ndarray, final: np.ndarray) -> tuple[bool, object]:
    share = rate_interval(int((born & final).sum()), max(int(final.sum()), 1), 2 * CONFIDENCE - 1)
    return share.low > 0.5, share


def test_collapse_is_decided_at_birth(lu, finding, artifacts, run_settings):
    measured, holds = {}, []
    for t in TARGETS:
        run = lu(RELU.but(target=t))
        born = collapsed(run.initial, GRID, run.target_range)
        final = collapsed(run.final, GRID, run.target_range)
        ok, share = at_birth_verdict(born, final)
        holds.append(ok)
        layer = first_dead_layer(dead_layers(run.final, GRID))
        measured[t] = {"born_collapsed_share_of_collapsed": share, "collapsed": int(final.sum()),
                       "born_collapsed": int(born.sum()), "died_in_training": int((final & ~born).sum()),
                       "revived_in_training": int((born & ~final).sum()),
                       "first_dead_layer_histogram": np.bincount(layer[final], minlength=RELU.weight_layers).tolist()}
    artifacts.save(AT_BIRTH.id, "born_vs_trained", plots.rate_bars(
        {t: {"born collapsed": _share(m["born_collapsed"]), "collapsed after training": _share(m["collapsed"])}
         for t, m in measured.items()}, "fraction of runs (95% CI)", "Collapsed at initialization and after training"))
    summary = "; ".join(f"{t}: {m['born_collapsed_share_of_collapsed'].text()} of {m['collapsed']} collapsed were born so, "
                        f"{m['died_in_training']} died in training, {m['revived_in_training']} revived" for t, m in measured.items())
    finding.conclude(AT_BIRTH.finding(
        "supported" if all(holds) else "refuted", summary, measured,
        {"statistic": "share of collapsed runs that were collapsed at init", "interval": "one-sided Clopper–Pearson 95%"},
        setup_for(RELU, run_settings, targets=list(TARGETS))))


def _share(count: int):
    e = rate_interval(count, RELU.runs, CONFIDENCE)
    return e.value, e.low, e.high


def test_control_detector_blind_at_birth_turns_the_verdict(lu):
    """Negative control: a detector that never calls an initial net collapsed must make the verdict fail."""
    run = lu(RELU.but(target="f1"))
    final = collapsed(run.final, GRID, run.target_range)
    assert not at_birth_verdict(np.zeros_like(final), final)[0]


# --- collapsed-net-outputs-target-mean ----------------------------------------------------------

TARGET_MEAN = Claim(
    "collapsed-net-outputs-target-mean",
    "a collapsed ReLU net outputs (close to) the mean of its training targets",
    "Lu et al. 2020",
    "per target, over the collapsed runs, the mean of |constant output − mean of that run's training targets| has "
    "its 99% upper bound below 1% of the target's range on the domain. " + sentence("collapsed-net-outputs-target-mean"),
    false_failure=stated("collapsed-net-outputs-target-mean")[0], false_support=stated("collapsed-net-outputs-target-mean")[1],
)


def collapsed_constants(run, net) -> tuple[np.ndarray, np.ndarray]:
    """The collapsed networks' constant outputs (their output at x = 0) and their runs' training-target means."""
    is_collapsed = collapsed(net, GRID, run.target_range)
    with torch.no_grad():
        constant = net.forward(torch.zeros(1, 1, dtype=net.weights[0].dtype))[:, 0, 0].numpy()
    return constant[is_collapsed], run.target_mean[is_collapsed]


def target_mean_verdict(run, net) -> tuple[bool, object]:
    constant, target_mean = collapsed_constants(run, net)
    estimate = mean_interval(np.abs(constant - target_mean) / run.target_range, 0.99)
    return estimate.high < 0.01, estimate


def test_collapsed_net_outputs_target_mean(lu, finding, artifacts, run_settings):
    measured, holds, hist = {}, [], {}
    for t in TARGETS:
        run = lu(RELU.but(target=t))
        ok, estimate = target_mean_verdict(run, run.final)
        holds.append(ok)
        measured[t] = {"relative_deviation": estimate, "target_range": run.target_range}
        hist[t] = collapsed_constants(run, run.final)
    artifacts.save(TARGET_MEAN.id, "constant_vs_target_mean", _scatter(hist))
    summary = "; ".join(f"{t}: |c − ȳ| / range = {m['relative_deviation'].text()}" for t, m in measured.items())
    finding.conclude(TARGET_MEAN.finding(
        "supported" if all(holds) else "refuted", summary, measured,
        {"statistic": "mean relative deviation over collapsed runs", "interval": "Student t, 99%"},
        setup_for(RELU, run_settings, targets=list(TARGETS))))


def _scatter(points: dict):
    figure, ax = plots.plt.subplots(figsize=(5, 5))
    for t, (constant, mean) in points.items():
        ax.scatter(mean, constant, s=6, label=t)
    low, high = ax.get_xlim()
    ax.plot([low, high], [low, high], color="grey", linewidth=1)
    ax.set_xlabel("mean of the run's training targets")
    ax.set_ylabel("the collapsed net's constant output")
    ax.set_title("Collapsed nets output the target mean")
    ax.legend()
    return figure


def test_control_untrained_collapsed_nets_do_not_output_the_mean(lu):
    """Negative control: collapsed nets before training (output 0, the zero bias) must fail the rule."""
    run = lu(RELU.but(target="f1"))
    assert not target_mean_verdict(run, run.initial)[0]


# --- collapse-grows-with-depth-shrinks-with-width -----------------------------------------------

DEPTH_WIDTH = Claim(
    "collapse-grows-with-depth-shrinks-with-width",
    "collapse probability rises with depth and falls with width (a depth × width table, 1,000 runs a cell)",
    "Lu et al. 2020",
    "f1, ReLU, the default protocol but depth and width: for every width, the deepest cell collapses more often "
    "than the shallowest, and for every depth the narrowest more often than the widest (one-sided exact McNemar "
    "tests, alpha 0.05 each: run k of every cell shares its data and shuffle seeds, so cells are paired); no "
    "adjacent pair significantly reversed (McNemar, Bonferroni over the 31 adjacent pairs: alpha 0.05 / 31, "
    "family-wise 0.05). " + sentence("collapse-grows-with-depth-shrinks-with-width") + ". Earlier rule: Fisher's "
    "exact tests, as if the cells were independent, and 31 reversal tests at 0.05 each, uncorrected",
    false_failure=stated("collapse-grows-with-depth-shrinks-with-width")[0], false_support=stated("collapse-grows-with-depth-shrinks-with-width")[1],
)
TABLE_DEPTHS, TABLE_WIDTHS = (2, 4, 6, 8, 10), (2, 3, 4, 5)


def monotone_verdict(table: np.ndarray) -> tuple[bool, dict]:
    """table[depth index, width index, run]: whether run k of that cell collapsed; depth rising down the rows, width
    rising along the columns."""
    depths, widths = table.shape[:2]
    more = lambda a, b: paired_rate_difference(a, b, CONFIDENCE)[1]
    depth_p = [more(table[-1, w], table[0, w]) for w in range(widths)]
    width_p = [more(table[d, 0], table[d, -1]) for d in range(depths)]
    adjacent = [((d, w), (d + 1, w)) for d in range(depths - 1) for w in range(widths)]
    adjacent += [((d, w + 1), (d, w)) for d in range(depths) for w in range(widths - 1)]  # (less, more) expected
    reversed_pairs = [pair for pair in adjacent if more(table[pair[0]], table[pair[1]]) < 0.05 / len(adjacent)]
    ok = all(p < 0.05 for p in depth_p + width_p) and not reversed_pairs
    return ok, {"depth_p_per_width": depth_p, "width_p_per_depth": width_p, "reversed_adjacent_pairs": reversed_pairs,
                "reversal_alpha": 0.05 / len(adjacent)}


def test_collapse_grows_with_depth_shrinks_with_width(lu, finding, artifacts, run_settings):
    table = collapse_table(lu)
    counts = table.sum(axis=2)
    ok, tests = monotone_verdict(table)
    fractions = counts / RELU.runs
    artifacts.save(DEPTH_WIDTH.id, "collapse_heatmap", plots.heatmap(
        fractions, [f"{d} layers" for d in TABLE_DEPTHS], [f"width {w}" for w in TABLE_WIDTHS], "depth (weight layers)",
        "width", "ReLU collapse after training, f1, 1,000 runs a cell"))
    rows = [[d] + [rate_interval(k, RELU.runs, CONFIDENCE).text() for k in row] for d, row in zip(TABLE_DEPTHS, counts)]
    table = {"title": "Collapse fraction (95% CI), f1, by depth (weight layers) and width",
             "columns": ["depth"] + [f"width {w}" for w in TABLE_WIDTHS], "rows": rows}
    finding.conclude(DEPTH_WIDTH.finding(
        "supported" if ok else "refuted",
        f"depth {TABLE_DEPTHS[0]}→{TABLE_DEPTHS[-1]} at width 2: {fractions[0, 0]:.3f}→{fractions[-1, 0]:.3f}; "
        f"width 2→5 at depth 10: {fractions[-1, 0]:.3f}→{fractions[-1, -1]:.3f}",
        {"collapsed_counts": counts.tolist(), **tests}, {"test": "one-sided exact McNemar", "alpha": 0.05},
        setup_for(RELU, run_settings, depths=list(TABLE_DEPTHS), widths=list(TABLE_WIDTHS)), tables=[table]))


def collapse_table(lu) -> np.ndarray:
    """[depth, width, run]: whether run k of each cell of the table collapsed."""
    return np.array([[collapsed_runs(lu(RELU.but(weight_layers=d, width=w))) for w in TABLE_WIDTHS]
                     for d in TABLE_DEPTHS])


def test_control_one_depth_with_width_reversed_is_not_monotone(lu):
    """Negative control near the rule's threshold: the measured table with its narrowest and widest cells swapped
    at the deepest row only (one of the nine required comparisons turned round) must fail the rule."""
    table = collapse_table(lu)
    table[-1, [0, -1]] = table[-1, [-1, 0]]
    assert not monotone_verdict(table)[0]


# --- sensitivity of the headline to the protocol (slow) -----------------------------------------

EPOCH_VARIANTS = (0, 1, 5, 20)  # trained for that many epochs: the same seeds and steps as the default's first epochs
VARIANTS = 5 + len(EPOCH_VARIANTS)  # the default, four one-change variants, and the epoch variants
# one refuted variant refutes the claim: that side is taken at 0.05 / VARIANTS (Bonferroni)
# the study stops at 16,000 runs, not the headline's 32,000: its two variants at 90% would run to any cap (issue 16
# replaces the rule), and 32,000 took 6 of the suite's 20 minutes; the stated false failure says what that costs
SENSITIVITY_RULE = SequentialRateRule(threshold=0.90, stages=STAGES[:-1], alpha=0.05, refute_alpha=0.05 / VARIANTS)
SENSITIVITY = Claim(
    "lu-collapse-protocol-sensitivity",
    "the headline 'over 90% of ReLU runs collapse' (f1) holds under each reading of the lab's unstated protocol "
    "choices: zero or symmetric-uniform biases, He normal or uniform weights, 0 to 100 epochs, Adam or plain SGD, "
    "'10-layer' as 10 weight layers or 10 hidden layers",
    "Lab3 2, Lu et al. 2020",
    "each variant, one change from the default at a time, gets the headline's sequential rule with the refuted "
    f"side corrected over the {VARIANTS} variants ({SENSITIVITY_RULE.describe()}); the claim holds if every variant "
    "is 'supported', and is refuted otherwise: a "
    f"variant still undecided at {SENSITIVITY_RULE.stages[-1]:,} runs has a collapse rate within about half a point of "
    "0.90, under which 'over 90%' does not hold robustly. " + sentence("lu-collapse-protocol-sensitivity") + ". "
    "At 16,000 runs the rule cannot confirm a true 0.91 reliably, hence that false failure. Earlier rule: 8 "
    "variants counted of the 9 run, a design rate of 0.915 taken from the measured rates, the refuted side "
    "uncorrected",
    false_failure=stated("lu-collapse-protocol-sensitivity")[0], false_support=stated("lu-collapse-protocol-sensitivity")[1],
)


def protocol_variants() -> dict[str, LuProtocol]:
    base = RELU.but(target="f1")
    return {"default (zero biases, He normal, Adam, 100 epochs, 10 weight layers)": base,
            "biases U(±1/√fan_in) (PyTorch default)": base.but(bias_init="torch_default"),
            "weights He uniform": base.but(weight_init="he_uniform"),
            "plain SGD, lr 1e-3": base.but(optimizer="sgd"),
            "10 hidden layers (11 weight layers)": base.but(weight_layers=11),
            **{f"{e} epochs": base.but(epochs=e) for e in EPOCH_VARIANTS}}


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=ClaimRefuted, reason="finding: the over-90% headline (f1) is not robust: with PyTorch-default "
                   "biases, or at initialization (0 epochs), the collapse rate sits at 0.90 ± 0.005 even at the cap")
def test_lu_collapse_protocol_sensitivity(lu, finding, run_settings):
    decisions = {name: sequential_collapse(lu, p, SENSITIVITY_RULE) for name, p in protocol_variants().items()}
    assert len(decisions) == VARIANTS
    rows = [[name, f"{lab_answer(d.looks[0].successes, RELU.runs)['collapse'].text()}", f"{d.runs:,}",
             d.final.text(), d.verdict] for name, d in decisions.items()]
    differing = [f"{name} ({d.final.value:.3f} at {d.runs:,} runs, {d.verdict})" for name, d in decisions.items()
                 if d.verdict != "supported"]
    summary = f"the headline does not hold under: {'; '.join(differing)}" if differing else "every variant: supported"
    finding.conclude(SENSITIVITY.finding(
        "supported" if not differing else "refuted", summary,
        {name: {"sequential": d} for name, d in decisions.items()},
        {"statistic": "collapse fraction per variant", "test": "group-sequential one-sided exact binomial vs 0.90"},
        setup_for(RELU, run_settings, target="f1", variants=list(decisions)),
        tables=[{"title": "Sensitivity of lu-relu-collapse-over-90 (f1) to the protocol, one change at a time",
                 "columns": ["variant", "1,000 runs (95% CI)", "runs used", f"final (lower side {SENSITIVITY_RULE.alpha:g}/"
                             f"{len(SENSITIVITY_RULE.stages)})", "verdict"], "rows": rows}]))
