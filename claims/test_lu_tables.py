"""Family B, dying ReLU (Lu et al. 2020): the depth × width table and the protocol-sensitivity study (slow).

The protocol is in claims/lu_common.py.
"""
from functools import partial

import numpy as np
import pytest

from claims.lu_common import CONFIDENCE, RELU, lab_answer, sequential_collapse, setup_for
from lib.framework import plots
from lib.framework.findings import Claim
from lib.framework.rules import ERRORS, Rule
from lib.framework.sequential import SequentialRateRule, doubling_stages
from lib.framework.stats import paired_rate_difference, rate_interval
from lib.protocols.calibrations.lu import (ADJACENT_STEP, DEPTH_STEP, DESIGN_RATE, REQUIRED_ALPHA, depth_width_errors,
                                          sensitivity_errors)
from lib.protocols.collapse import collapsed_runs
from lib.protocols.lu import LuProtocol


# --- collapse-grows-with-depth-shrinks-with-width -----------------------------------------------


DEPTH_WIDTH = Claim(
    "collapse-grows-with-depth-shrinks-with-width",
    "collapse probability rises with depth and falls with width (a depth × width table, 1,000 runs a cell)",
    "Lu et al. 2020",
    Rule(
        "f1, ReLU, the default protocol but depth and width: for every width, the deepest cell collapses more often "
        "than the shallowest, and for every depth the narrowest more often than the widest (one-sided exact McNemar "
        f"tests, alpha {REQUIRED_ALPHA:g} each: run k of every cell shares its data and shuffle seeds, so cells are "
        "paired); no adjacent pair significantly reversed (McNemar, Bonferroni over the 31 adjacent pairs: alpha "
        "0.05 / 31, family-wise 0.05). " + ERRORS + ". Earlier rules: Fisher's exact tests, as if the cells were "
        "independent, and 31 reversal tests at 0.05 each, uncorrected; the required tests at 0.05 each, until the "
        "suite decided each claim at 0.005 (Benjamin et al. 2018)",
        design=f"at a declared table in which each required pair differs by {DEPTH_STEP:g} and each adjacent pair by "
        f"{ADJACENT_STEP:g} in the claimed direction, at the least favourable rates and pairing",
        boundary="at equal rates in the deepest and shallowest cells of one width",
        errors=depth_width_errors,
        stated=(0.006, 0.005),
    ),
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
    ok = all(p < REQUIRED_ALPHA for p in depth_p + width_p) and not reversed_pairs
    return ok, {"depth_p_per_width": depth_p, "width_p_per_depth": width_p, "reversed_adjacent_pairs": reversed_pairs,
                "reversal_alpha": 0.05 / len(adjacent)}


@pytest.mark.claim(DEPTH_WIDTH)
def test_collapse_grows_with_depth_shrinks_with_width(lu, finding, artifacts, run_settings):
    table = collapse_table(lu)
    counts = table.sum(axis=2)
    ok, tests = monotone_verdict(table)
    fractions = counts / RELU.runs
    artifacts.save("collapse_heatmap", plots.heatmap(
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
    """[depth, width, run]: whether run k of each cell of the table collapsed (its final networks alone are kept;
    the lab's own cell, 10 × 2, is the headline's runs)."""
    cell = lambda protocol: lu(protocol) if protocol == RELU else lu(protocol, snapshots=())
    return np.array([[collapsed_runs(cell(RELU.but(weight_layers=d, width=w))) for w in TABLE_WIDTHS]
                     for d in TABLE_DEPTHS])


@pytest.mark.claim(DEPTH_WIDTH, control=True)
def test_control_one_depth_with_width_reversed_is_not_monotone(lu):
    """Negative control near the rule's threshold: the measured table with its narrowest and widest cells swapped
    at the deepest row only (one of the nine required comparisons turned round) must fail the rule."""
    table = collapse_table(lu)
    table[-1, [0, -1]] = table[-1, [-1, 0]]
    assert not monotone_verdict(table)[0]


# --- sensitivity of the headline to the protocol (slow) -----------------------------------------

EPOCH_VARIANTS = (0, 1, 5, 20)  # trained for that many epochs: the same seeds and steps as the default's first epochs
VARIANTS = 5 + len(EPOCH_VARIANTS)  # the default, four one-change variants, and the epoch variants
# 'over 90%' is stated in whole percent: a rate within half a point of 0.90 is 90% at the claim's own precision
AT_90 = (0.895, 0.905)
SENSITIVITY_CAP = 256_000  # where every count takes one of the three outcomes (below)
# one variant not above 90% refutes the claim: that side is taken at 0.005 / VARIANTS (Bonferroni); at 256,000 runs
# every count takes one of the three outcomes (lib.framework.sequential.undecided_at_the_cap, tests/test_sequential.py)
SENSITIVITY_RULE = SequentialRateRule(threshold=0.90, stages=doubling_stages(SENSITIVITY_CAP), alpha=0.005,
                                      refute_alpha=0.005 / VARIANTS, at_band=AT_90)
OUTCOMES = {"supported": "above 90%", "refuted": "below 90%", "at": "at 90%", "inconclusive": "undecided"}
SENSITIVITY = Claim(
    "lu-collapse-protocol-sensitivity",
    "the headline 'over 90% of ReLU runs collapse' (f1) holds under each reading of the lab's unstated protocol "
    "choices: zero or symmetric-uniform biases, He normal or uniform weights, 0 to 100 epochs, Adam or plain SGD, "
    "'10-layer' as 10 weight layers or 10 hidden layers",
    "Lab3 2, Lu et al. 2020",
    Rule(
        "each variant, one change from the default at a time, is decided sequentially with three outcomes named before "
        f"measuring ({SENSITIVITY_RULE.describe()}): 'above 90%', 'below 90%', or 'at 90%', both bounds inside "
        f"[{AT_90[0]}, {AT_90[1]}]: 'over 90%' is stated in whole percent, so a rate within half a point of 0.90 is 90% "
        f"at the claim's own precision. At {SENSITIVITY_RULE.stages[-1]:,} runs every count takes one of the three. "
        "The claim holds if every variant is above 90%, and is refuted if any is below or at 90%: a rate that is 90% at "
        "the claim's precision is not 'over 90%', so a variant at 90% is evidence against a robust headline, not for "
        "it. " + ERRORS + ". Earlier rule: the same looks capped at 16,000 runs, "
        "and a variant still undecided there counted as refuted, a relabelling adopted after its rates (0.897, 0.900) "
        "were seen; the third outcome, named before the measurements that followed, and the 128,000-run cap replaced it. "
        "Earlier levels: 0.05 and 0.05 / 9 divided equally over the looks, until the suite decided each claim at 0.005 "
        "(Benjamin et al. 2018) and spent it exactly across the looks; the cap rose from 128,000 to 256,000 runs so "
        "that every count still takes one of the three outcomes",
        design=f"at a true collapse rate of {DESIGN_RATE} in every variant",
        boundary="at a true rate of 0.90 in one variant",
        errors=partial(sensitivity_errors, SENSITIVITY_RULE),
        stated=(3e-06, 0.005),
    ),
    slow=True,
)


def protocol_variants() -> dict[str, LuProtocol]:
    base = RELU.but(target="f1")
    return {"default (zero biases, He normal, Adam, 100 epochs, 10 weight layers)": base,
            "biases U(±1/√fan_in) (PyTorch default)": base.but(bias_init="torch_default"),
            "weights He uniform": base.but(weight_init="he_uniform"),
            "plain SGD, lr 1e-3": base.but(optimizer="sgd"),
            "10 hidden layers (11 weight layers)": base.but(weight_layers=11),
            **{f"{e} epochs": base.but(epochs=e) for e in EPOCH_VARIANTS}}


def sensitivity_verdict(outcomes: dict) -> str:
    """'supported' if every variant is above 90%, 'refuted' if any is below or at 90%, else 'inconclusive'."""
    if any(o in ("below 90%", "at 90%") for o in outcomes.values()):
        return "refuted"
    return "supported" if all(o == "above 90%" for o in outcomes.values()) else "inconclusive"


@pytest.mark.claim(SENSITIVITY, refuted=True)
def test_lu_collapse_protocol_sensitivity(lu, finding, run_settings):
    decisions = {name: sequential_collapse(lu, p, SENSITIVITY_RULE) for name, p in protocol_variants().items()}
    assert len(decisions) == VARIANTS
    outcomes = {name: OUTCOMES[d.verdict] for name, d in decisions.items()}
    rows = [[name, f"{lab_answer(d.looks[0].successes, RELU.runs)['collapse'].text()}", f"{d.runs:,}",
             d.final.text(), outcomes[name]] for name, d in decisions.items()]
    differing = [f"{name} ({d.final.value:.4f} at {d.runs:,} runs: {outcomes[name]})" for name, d in decisions.items()
                 if outcomes[name] != "above 90%"]
    summary = f"not above 90% under: {'; '.join(differing)}" if differing else "every variant: above 90%"
    finding.conclude(SENSITIVITY.finding(
        sensitivity_verdict(outcomes), summary,
        {"variants": {name: {"verdict": outcomes[name], "sequential": d} for name, d in decisions.items()}},
        {"statistic": "collapse fraction per variant", "test": "group-sequential one-sided exact binomial vs 0.90"},
        setup_for(RELU, run_settings, target="f1", variants=list(decisions)),
        tables=[{"title": "Sensitivity of lu-relu-collapse-over-90 (f1) to the protocol, one change at a time",
                 "columns": ["variant", "1,000 runs (95% CI)", "runs used", "final (bounds at the look's spent levels)", "outcome"], "rows": rows}]))


@pytest.mark.claim(SENSITIVITY, control=True, slow=False)
def test_control_sensitivity_outcomes_turn_the_verdict():
    """Controls of the claim-level rule: every variant above 90% is 'supported'; one variant at 90% (a rate of 0.900
    decided as such), or one below, turns it to 'refuted'."""
    above = {f"v{i}": "above 90%" for i in range(VARIANTS)}
    assert sensitivity_verdict(above) == "supported"
    assert sensitivity_verdict(above | {"v0": "at 90%"}) == "refuted"
    assert sensitivity_verdict(above | {"v3": "below 90%"}) == "refuted"
