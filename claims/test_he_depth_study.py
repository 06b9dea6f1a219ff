"""Family A, training: He et al. 2015's Figs. 2 and 3 read as one depth study under their §3 training (slow): under
Xavier a deeper ReLU MLP starts reducing its held-out error later; under He it converges at every depth. The protocol
is in claims/he_common.py; 22 and 30 layers are the nets of test_deep_relu_training.py's two claims.
"""
import numpy as np
import pytest
from scipy import stats as scipy_stats

from claims.he_common import (
    DEPTH_STUDY_ID,
    DEPTHS,
    PROTOCOL,
    SHALLOWER,
    depth_curves,
    most_nets,
)
from lib.protocols.he_training import CONVERGED, NETS, STARTED, converges, start_epochs
from lib.framework import plots
from lib.framework.findings import Claim, paper
from lib.framework.rules import ERRORS, Rule
from lib.framework.stats import rate_interval
from lib.protocols.calibrations.he import MOST, COUNT_LEVEL, TREND_ALPHA, depth_study_errors


DEPTH_STUDY = Claim(
    DEPTH_STUDY_ID,
    "under Xavier a deeper ReLU MLP starts reducing its held-out error later; under He most nets converge at every "
    "depth (He et al.'s Figs. 2 and 3 read as one depth study, under their §3 training)",
    "He et al. 2015, Figs. 2 and 3",
    Rule(
        f"the protocol of he-trains-deep-relu-xavier-stalls at {', '.join(map(str, DEPTHS))} weight layers, the same "
        "training and window at every depth (22 and 30 are those two claims' own nets). Per net, the first epoch "
        f"whose held-out error is below {STARTED} (never = epochs + 1). 'Later with depth': Kendall's tau-b between "
        f"depth and Xavier's epoch over the {len(DEPTHS)} × {NETS} nets is positive, one-sided test at alpha "
        f"{TREND_ALPHA} (scipy.stats.kendalltau); 'He converges at every depth': at each depth at least {MOST} of "
        f"{NETS} He nets end below {CONVERGED} held-out error (exact binomial against one half, size "
        f"{COUNT_LEVEL:.2g} at each). Both must hold. The paper shows two depths, so the study says no more than "
        "'later' and 'converges': where Xavier stalls is he-trains-deep-relu-xavier-stalls's. " + ERRORS + ". "
        "Earlier rules read training loss under a constant rate of 1e-2, with He's part on 99% t intervals of 8 "
        "nets' last losses, which one diverged net could turn; replaced by §3's training and counts of nets",
        design="at the pilot's start epochs of Xavier's nets at each depth (resampled) and its chances that a He net "
        "does not converge (Jeffreys' estimates)",
        boundary="no association of Xavier's epoch with depth, or a chance of one half that a He net converges at "
        "one depth",
        errors=depth_study_errors,
        stated=(0.004, 0.005),
    ),
    slow=True,
)


def later_with_depth(xavier: dict, he: dict) -> tuple[bool, dict]:
    """xavier, he: depth → held-out errors [nets, epochs + 1]."""
    epochs = {d: start_epochs(e) for d, e in xavier.items()}
    depth = np.concatenate([[d] * len(e) for d, e in epochs.items()])
    trend = scipy_stats.kendalltau(depth, np.concatenate(list(epochs.values())), alternative="greater")
    p_value = float(trend.pvalue) if np.isfinite(trend.pvalue) else 1.0
    converged = {d: int(converges(e).sum()) for d, e in he.items()}
    parts = {"xavier_later_with_depth": p_value < TREND_ALPHA,
             "he_converges_at_every_depth": all(most_nets(c) for c in converged.values())}
    return all(parts.values()), {"xavier_start_epochs": {d: e.tolist() for d, e in epochs.items()},
                                 "kendall_tau": float(np.nan_to_num(trend.statistic)), "kendall_p": p_value,
                                 "he_converged": {d: rate_interval(c, NETS, 0.99) for d, c in converged.items()},
                                 "parts": parts}


@pytest.fixture(scope="module")
def depth_study(seeds, device, experiment_cache):
    return {d: depth_curves(seeds, device, experiment_cache, d) for d in DEPTHS}


@pytest.mark.claim(DEPTH_STUDY)
def test_he_xavier_later_with_depth(depth_study, finding, artifacts, run_settings):
    xavier = {d: c["glorot_normal"].held_out_error for d, c in depth_study.items()}
    he = {d: c["he_normal"].held_out_error for d, c in depth_study.items()}
    ok, measured = later_with_depth(xavier, he)
    measured["paper"] = paper("22 layers: both converge, theirs \"starts reducing error earlier\"; 30 layers: Xavier "
                              "\"completely stalls\"", "the captions of Figs. 2 and 3 together (ImageNet, top-1 "
                              "error of 3,000 random val samples)", "primary", "He et al. 2015, Figs. 2 and 3")
    never = PROTOCOL["epochs"] + 1
    rows = [[d, " ".join(map(str, measured["xavier_start_epochs"][d])), " ".join(map(str, start_epochs(he[d]))),
             f"{round(measured['he_converged'][d].value * NETS)} of {NETS}"] for d in DEPTHS]
    artifacts.save("start_epoch_vs_depth", plots.rate_lines(
        list(DEPTHS), {name: [(float(np.median(start_epochs(e[d]))),) * 3 for d in DEPTHS]
                       for name, e in (("Xavier", xavier), ("He", he))},
        "weight layers", f"median first epoch below {STARTED} held-out error", "Depth study, He et al. §3 training"))
    failed = [part for part, holds in measured["parts"].items() if not holds]
    summary = (f"Xavier's first epoch below {STARTED} held-out error by depth ({never} = never): "
               + "; ".join(f"{d}: {np.median(e):g}" for d, e in measured["xavier_start_epochs"].items())
               + f" (medians), Kendall tau {measured['kendall_tau']:.2f}, p = {measured['kendall_p']:.2g}; He nets "
               "converged: " + ", ".join(f"{d}: {round(c.value * NETS)} of {NETS}"
                                         for d, c in measured["he_converged"].items())
               + (f"; does not hold: {', '.join(failed)}" if failed else ""))
    finding.conclude(DEPTH_STUDY.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": f"first epoch below {STARTED} held-out error per net; counts of converged nets",
         "test": "one-sided Kendall tau-b; exact binomial per depth", "interval": "Clopper–Pearson, 99%"},
        {**PROTOCOL, "weight_layers": list(DEPTHS), "root_seed": run_settings["seed"]},
        tables=[{"title": f"Depth study: first epoch below {STARTED} held-out error per net ({never} = never)",
                 "columns": ["weight layers", "Xavier", "He", "He nets converged"], "rows": rows}]))


@pytest.mark.claim(DEPTH_STUDY, control=True)
def test_control_depth_rule_fails_on_the_reverse_trend_and_passes_on_the_trend(depth_study):
    """Controls on the 22-layer He nets: their curves delayed by three more epochs per depth step and read as
    Xavier's must pass 'later with depth'; delayed by three fewer per step (earlier with depth: a rule testing
    two-sided or the wrong way would take it) they must fail it."""
    he = {d: depth_study[SHALLOWER]["he_normal"].held_out_error for d in DEPTHS}

    def delayed(steps: dict) -> dict:
        return {d: np.concatenate([np.repeat(he[d][:, :1], steps[d], axis=1), he[d][:, :he[d].shape[1] - steps[d]]],
                                  axis=1) for d in DEPTHS}

    assert later_with_depth(delayed({d: 3 * i for i, d in enumerate(DEPTHS)}), he)[0]
    assert not later_with_depth(delayed({d: 3 * (len(DEPTHS) - 1 - i) for i, d in enumerate(DEPTHS)}), he)[0]
