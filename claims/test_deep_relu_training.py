"""Family A, training: He et al. 2015 Figs. 2 and 3 under their §3 training, a 30-layer ReLU MLP where Xavier stalls
and He converges, and a 22-layer one where both converge, He starting sooner (slow). The protocol, the per-net
definitions and the window are in claims/he_common.py; the depth study joining the two is test_he_depth_study.py.
"""
import numpy as np
import pytest

from claims.he_common import (
    BOTH_CONVERGE_ID,
    PROTOCOL,
    SHALLOWER,
    STALLS_ID,
    depth_curves,
    most_nets,
    sooner_p,
)
from lib.protocols.he_training import CHANCE_ERROR, CONVERGED, NETS, STARTED, converges, stalls, start_epochs
from lib.framework import plots
from lib.framework.findings import Claim, paper
from lib.framework.rules import ERRORS, Rule
from lib.framework.stats import rate_interval
from lib.protocols.calibrations.he import MOST, COUNT_LEVEL, SOONER_ALPHA, both_converge_errors, stalls_errors


FIG3 = paper("30-layer model: Xavier \"completely stalls … It does not converge even given more epochs\"; theirs "
             "converges", "the Fig. 3 caption (ImageNet, top-1 error against epochs)",
             "primary", "He et al. 2015, Fig. 3")
FIG2 = paper("22-layer model: \"Both our initialization (red) and 'Xavier' (blue) lead to convergence, but ours "
             "starts reducing error earlier\"", "the Fig. 2 caption (ImageNet, top-1 error of 3,000 random val "
             "samples against epochs)", "primary", "He et al. 2015, Fig. 2")
EARLIER_RULES = ("Earlier rules read 99% t intervals of 8 nets' last training losses under a constant rate of 1e-2 "
                 "without weight decay, where one stalled or diverged net could turn a seed's verdict; they were "
                 "replaced by §3's training and by counts of nets on the held-out error Figs. 2 and 3 plot")

CLAIM = Claim(
    STALLS_ID,
    "a 30-layer ReLU MLP (width 100) trained as in He et al.'s §3 on the MNIST sample: with Xavier most nets stall "
    "at chance held-out error, with He most converge",
    "He et al. 2015 Fig. 3",
    Rule(
        f"per net, on its held-out error (claims/he_common.py): Xavier 'stalls' (never below {CONVERGED} in the "
        f"window) in at least {MOST} of {NETS} nets, and He 'converges' (below {CONVERGED} after the last epoch) in "
        f"at least {MOST} of {NETS}; each count is an exact binomial test of 'most nets' against a chance of one half "
        f"(size {COUNT_LEVEL:.2g}), and both must hold. {NETS} nets of each: the fewest with which each He claim's "
        "false failure at the pilot's design is at most 0.01 (the pilot trained 16). " + ERRORS + ". " + EARLIER_RULES,
        design="at the pilot's chances that a 30-layer Xavier net does not stall and that a He net does not converge "
        "(root seed 0, 16 nets of each, Jeffreys' estimates)",
        boundary="at a chance of one half that a Xavier net stalls or that a He net converges",
        errors=stalls_errors,
        stated=(0.0007, 0.004),
    ),
    slow=True,
)


def stalls_and_converges(xavier_error: np.ndarray, he_error: np.ndarray) -> tuple[bool, dict]:
    """The rule on held-out errors [nets, epochs + 1] of each initializer."""
    stalled, converged = int(stalls(xavier_error).sum()), int(converges(he_error).sum())
    parts = {"xavier_stalls": most_nets(stalled), "he_converges": most_nets(converged)}
    return all(parts.values()), {"xavier_stalled": rate_interval(stalled, NETS, 0.99),
                                 "he_converged": rate_interval(converged, NETS, 0.99), "parts": parts}


def error_figure(curves: dict, weight_layers: int, reference: float):
    return plots.curves({"Xavier": curves["glorot_normal"].held_out_error, "He": curves["he_normal"].held_out_error},
                        "epoch", "held-out error (1,000 digits)", f"{weight_layers}-layer ReLU MLP, He et al. §3 "
                        "training", reference=reference, x=np.arange(PROTOCOL["epochs"] + 1))


def counted(estimate, what: str) -> str:
    return f"{round(estimate.value * estimate.n)} of {estimate.n} {what} (99% {estimate.low:.2f}–{estimate.high:.2f})"


@pytest.fixture(scope="module")
def curves(seeds, device, experiment_cache):
    return depth_curves(seeds, device, experiment_cache, PROTOCOL["weight_layers"])


@pytest.mark.claim(CLAIM)
def test_he_trains_deep_relu_xavier_stalls(curves, finding, artifacts, run_settings):
    ok, measured = stalls_and_converges(curves["glorot_normal"].held_out_error, curves["he_normal"].held_out_error)
    measured["paper"] = FIG3
    artifacts.save("held_out_error", error_figure(curves, PROTOCOL["weight_layers"], CONVERGED))
    failed = [part for part, holds in measured["parts"].items() if not holds]
    summary = (f"held-out error: Xavier {counted(measured['xavier_stalled'], 'nets stalled')}, He "
               f"{counted(measured['he_converged'], 'nets converged')} (below {CONVERGED} after "
               f"{PROTOCOL['steps']:,} steps; chance {CHANCE_ERROR}); 'most' is at least {MOST} of {NETS}"
               + (f"; does not hold: {', '.join(failed)}" if failed else ""))
    finding.conclude(CLAIM.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "counts of nets, held-out error of 1,000 digits", "interval": "Clopper–Pearson, 99%",
         "test": f"exact binomial: at least {MOST} of {NETS} against one half"},
        {**PROTOCOL, "root_seed": run_settings["seed"]}))


@pytest.mark.claim(CLAIM, control=True)
def test_control_swapped_initializers_or_escaped_nets_are_refuted(curves):
    """Controls: with the initializers swapped (He's nets read as Xavier's) the rule must fail; and with
    NETS − MOST + 1 of the Xavier nets replaced by He nets that did not stall, at most MOST − 1 stall and 'Xavier
    stalls' must fail, where a rule asking for one net fewer would pass."""
    xavier, he = curves["glorot_normal"].held_out_error, curves["he_normal"].held_out_error
    assert not stalls_and_converges(he, xavier)[0]
    swapped = NETS - MOST + 1
    escaped = he[~stalls(he)][:swapped]
    assert len(escaped) == swapped, f"the He nets are to converge; fewer than {swapped} left chance"
    mixed = np.concatenate([xavier[swapped:], escaped])
    assert not stalls_and_converges(mixed, he)[1]["parts"]["xavier_stalls"]


# --- he-22-layer-both-converge (Fig. 2) ---------------------------------------------------------

BOTH_CONVERGE = Claim(
    BOTH_CONVERGE_ID,
    "a 22-layer ReLU MLP trained as in He et al.'s §3 converges under both Xavier and He initialization, He starting "
    "to reduce its error sooner",
    "He et al. 2015 Fig. 2",
    Rule(
        "the protocol of he-trains-deep-relu-xavier-stalls at 22 weight layers (same data, seeds, training and "
        f"window). 'Converges': at least {MOST} of {NETS} nets of each initializer end below {CONVERGED} held-out "
        f"error (exact binomial against one half, size {COUNT_LEVEL:.2g} each). 'Sooner': per pair of nets (the "
        f"Xavier and He nets of one init seed share their seed and shuffles), the first epoch whose held-out error "
        f"is below {STARTED} (never = epochs + 1); He's is earlier in more pairs than chance allows: an exact "
        f"one-sided sign test over the pairs that differ, at alpha {SOONER_ALPHA:g}. All three must hold. "
        + ERRORS + ". " + EARLIER_RULES,
        design="at the pilot's chances that a 22-layer net does not converge and that a pair is He-earlier, tied "
        "or Xavier-earlier (root seed 0, 16 nets of each, Jeffreys' estimates)",
        boundary="at a chance of one half that a net converges, or He no sooner than Xavier in a pair",
        errors=both_converge_errors,
        stated=(0.003, 0.005),
    ),
    slow=True,
)


def both_converge_he_sooner(xavier_error: np.ndarray, he_error: np.ndarray) -> tuple[bool, dict]:
    epochs = {"xavier": start_epochs(xavier_error), "he": start_epochs(he_error)}
    p_value = sooner_p(epochs["he"], epochs["xavier"])
    converged = {"xavier": int(converges(xavier_error).sum()), "he": int(converges(he_error).sum())}
    parts = {"xavier_converges": most_nets(converged["xavier"]), "he_converges": most_nets(converged["he"]),
             "he_sooner": bool(p_value < SOONER_ALPHA)}
    return all(parts.values()), {
        "xavier_converged": rate_interval(converged["xavier"], NETS, 0.99),
        "he_converged": rate_interval(converged["he"], NETS, 0.99),
        "start_epochs": epochs, "he_earlier_pairs": int(np.sum(epochs["he"] < epochs["xavier"])),
        "xavier_earlier_pairs": int(np.sum(epochs["xavier"] < epochs["he"])), "sign_test_p": p_value, "parts": parts}


@pytest.fixture(scope="module")
def curves_22(seeds, device, experiment_cache):
    return depth_curves(seeds, device, experiment_cache, SHALLOWER)


@pytest.mark.claim(BOTH_CONVERGE)
def test_he_22_layer_both_converge(curves_22, finding, artifacts, run_settings):
    ok, measured = both_converge_he_sooner(curves_22["glorot_normal"].held_out_error,
                                           curves_22["he_normal"].held_out_error)
    measured["paper"] = FIG2
    artifacts.save("held_out_error", error_figure(curves_22, SHALLOWER, CONVERGED))
    failed = [part for part, holds in measured["parts"].items() if not holds]
    summary = (f"held-out error: {counted(measured['xavier_converged'], 'Xavier nets')} and "
               f"{counted(measured['he_converged'], 'He nets')} converged (below {CONVERGED} after "
               f"{PROTOCOL['steps']:,} steps); first epoch below {STARTED}: He earlier in "
               f"{measured['he_earlier_pairs']} pairs, Xavier in {measured['xavier_earlier_pairs']} (sign test "
               f"p = {measured['sign_test_p']:.2g}); medians Xavier {np.median(measured['start_epochs']['xavier']):g}, "
               f"He {np.median(measured['start_epochs']['he']):g}"
               + (f"; does not hold: {', '.join(failed)}" if failed else ""))
    finding.conclude(BOTH_CONVERGE.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "counts of nets; first epoch below 0.8 held-out error", "interval": "Clopper–Pearson, 99%",
         "test": f"exact binomial (at least {MOST} of {NETS}); exact one-sided sign test over paired nets"},
        {**PROTOCOL, "weight_layers": SHALLOWER, "root_seed": run_settings["seed"]}))


def delayed(error: np.ndarray, epochs: int) -> np.ndarray:
    """Held-out error curves [nets, epochs + 1] shifted later by epochs (the first value repeated)."""
    return np.concatenate([np.repeat(error[:, :1], epochs, axis=1), error[:, :error.shape[1] - epochs]], axis=1)


@pytest.mark.claim(BOTH_CONVERGE, control=True)
def test_control_the_rule_turns_when_he_is_sooner_in_too_few_pairs_or_xavier_stalls(curves_22, curves):
    """Controls on the 22-layer He nets: read against themselves delayed by five epochs, they pass every part (the
    rule can say 'supported'); read so that He is five epochs earlier in all but 6 pairs and five epochs later in
    those 6 (15 of 21: sign test p = 0.039), 'sooner' must fail, where a rule at alpha 0.05 would pass it; and the
    30-layer nets, where Xavier stalls, fail 'converges'."""
    he = curves_22["he_normal"].held_out_error
    assert both_converge_he_sooner(delayed(he, 5), he)[0]
    later, split = delayed(he, 5), len(he) - 6
    he_role, xavier_role = np.concatenate([he[:split], later[split:]]), np.concatenate([later[:split], he[split:]])
    _, measured = both_converge_he_sooner(xavier_role, he_role)
    assert not measured["parts"]["he_sooner"] and measured["sign_test_p"] < 0.05
    assert not both_converge_he_sooner(curves["glorot_normal"].held_out_error, curves["he_normal"].held_out_error)[0]
