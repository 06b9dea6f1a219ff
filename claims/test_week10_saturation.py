"""Family C, Week10 (IN3050/4050): saturation against width (exercise 2.7).

The protocol is in claims/week10_common.py.
"""

import numpy as np
import pytest

from claims.week10_common import CONFIDENCE, INITS
from lib.framework import plots
from lib.framework.findings import Claim
from lib.framework.rules import ERRORS, Rule
from lib.framework.seeding import seed_for
from lib.framework.stats import bootstrap_interval, mean_interval
from lib.protocols.calibrations.week10 import wide_tanh_errors
from lib.protocols.week10 import INIT_LABELS, saturated_share_cached


# --- uniform-init-saturates-wide-tanh -----------------------------------------------------------

WIDE_TANH = Claim(
    "uniform-init-saturates-wide-tanh",
    "with U(−1, 1) weights the pre-activation variance grows with fan-in, so the share of saturated tanh units grows "
    "with width; Glorot normal keeps it flat",
    "Week10 2.7",
    Rule(
        "fan-in n on a log grid from 2 to 1,000, 1,000 inits each, unit-variance inputs: under U(−1, 1) the mean "
        "saturated share (|tanh| > 0.99) never falls from one n to the next and its 99% interval at n = 1,000 lies above "
        "the one at n = 2; under Glorot normal 'flat' is a relative equivalence test: at every n the mean share over "
        "the mean share at n = 1,000 has its 99% BCa bootstrap interval inside [1/2, 2] (within the suite's 'constant "
        "factor' of 2). " + ERRORS + ". Earlier "
        "rule: Glorot's point estimates within 2 percentage points of each other, an absolute band that passes a curve "
        "falling 65%",
        design="at the theory's U(−1, 1) curve E[2Φ(−atanh 0.99 / ‖w‖)] and Glorot's share flat (the claim's words: "
        "ratio 1 at every fan-in)",
        boundary="at equal U(−1, 1) shares at fan-in 2 and 1,000, or a Glorot ratio of 2 or 1/2",
        errors=wide_tanh_errors,
        stated=(1e-12, 0.005),
    ),
)
FAN_INS = tuple(int(n) for n in np.unique(np.geomspace(2, 1000, 12).round()))
WIDE_INITS = 1000


@pytest.fixture(scope="module")
def saturation(seeds, experiment_cache):
    sequence = seeds(WIDE_TANH.id)
    return {(init, n): saturated_share_cached(experiment_cache, init, n, WIDE_INITS, seed_for(sequence, f"{init}/{n}"))
            for init in INITS for n in FAN_INS}


def grows(estimates: list) -> bool:
    return all(b.value >= a.value for a, b in zip(estimates, estimates[1:])) and estimates[-1].low > estimates[0].high


FLAT_FACTOR = 2.0


def mean_ratio(first, second, axis=-1):
    return first.mean(axis=axis) / second.mean(axis=axis)


def relative_to_widest(shares: list, seed: int, store) -> list:
    """Per fan-in, mean share over the mean share at the widest fan-in, with a 99% BCa bootstrap interval (kept in
    store, the cache's folder)."""
    return [bootstrap_interval((s, shares[-1]), mean_ratio, CONFIDENCE, seed, store) for s in shares[:-1]]


def flat(ratios: list) -> bool:
    """Every ratio's interval inside [1/FLAT_FACTOR, FLAT_FACTOR]."""
    return all(1 / FLAT_FACTOR < r.low and r.high < FLAT_FACTOR for r in ratios)


@pytest.mark.claim(WIDE_TANH, refuted=True)
def test_uniform_init_saturates_wide_tanh(saturation, finding, artifacts, run_settings, seeds):
    estimates = {i: [mean_interval(saturation[i, n], CONFIDENCE) for n in FAN_INS] for i in INITS}
    ratios = relative_to_widest([saturation["glorot_normal", n] for n in FAN_INS], seed_for(seeds(WIDE_TANH.id), "ratios"),
                                run_settings["cache"])
    ok = grows(estimates["uniform"]) and flat(ratios)
    artifacts.save("saturated_share_vs_fan_in", plots.rate_lines(
        list(FAN_INS), {INIT_LABELS[i]: [(e.value, e.low, e.high) for e in estimates[i]] for i in INITS},
        "fan-in n", "share of saturated tanh units", "Exercise 2.7: saturation against width", log_x=True))
    u, g = estimates["uniform"], estimates["glorot_normal"]
    summary = (f"U(−1,1): {u[0].text()} at n={FAN_INS[0]} → {u[-1].text()} at n={FAN_INS[-1]}; Glorot: "
               f"{g[0].text()} → {g[-1].text()}, share over n={FAN_INS[-1]}'s from {ratios[0].text()} at "
               f"n={FAN_INS[0]} (flat: inside [1/2, 2])")
    finding.conclude(WIDE_TANH.finding(
        "supported" if ok else "refuted", summary,
        {**{INIT_LABELS[i]: {str(n): e for n, e in zip(FAN_INS, estimates[i])} for i in INITS},
         "glorot_share_over_widest": {str(n): r for n, r in zip(FAN_INS, ratios)}},
        {"statistic": "mean saturated share per fan-in", "interval": "Student t, 99%"},
        {"fan_ins": list(FAN_INS), "initializations": WIDE_INITS, "inputs": "N(0, 1), 64 samples",
         "units_drawn": 8, "saturated": "|tanh| > 0.99", "root_seed": run_settings["seed"]}))


@pytest.mark.claim(WIDE_TANH, control=True)
def test_control_rules_swap_with_the_initializers(saturation, run_settings):
    """Negative control: Glorot's curve must not pass as 'grows', nor U(−1, 1)'s as 'flat'."""
    estimate = lambda init: [mean_interval(saturation[init, n], CONFIDENCE) for n in FAN_INS]
    assert not grows(estimate("glorot_normal"))
    assert not flat(relative_to_widest([saturation["uniform", n] for n in FAN_INS], 0, run_settings["cache"]))
