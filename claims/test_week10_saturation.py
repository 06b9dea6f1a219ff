"""Family C, Week10 (IN3050/4050): saturation against width (exercise 2.7).

The protocol is in claims/week10_common.py.
"""
from functools import partial

import numpy as np
import pytest

from claims.week10_common import CONFIDENCE, INITS
from lib.framework import plots
from lib.framework.findings import Claim
from lib.framework.rules import ERRORS, Rule
from lib.framework.seeding import seed_for
from lib.framework.stats import bootstrap_interval, mean_interval
from lib.protocols.calibrations.common import FROM_99
from lib.protocols.calibrations.week10 import wide_tanh_errors
from lib.protocols.week10 import INIT_LABELS, tanh_shares_cached

FAN_INS = tuple(int(n) for n in np.unique(np.geomspace(2, 1000, 12).round()))
WIDE_INITS = 1000
LIKELY = 1 / 2  # "likely to stay in the center range": more than half the units there
GROWTH_FACTOR = 2.0  # the suite's constant factor: a saturated share at most twice a narrower layer's is no growth


# --- uniform-init-saturates-wide-tanh -----------------------------------------------------------

WIDE_TANH = Claim(
    "uniform-init-saturates-wide-tanh",
    "with U(−1, 1) weights the sum inside tanh grows with the number of inputs, so the share of saturated units "
    "grows with width (2.7's hint); with Glorot normal \"the activations are likely to stay in the center range of "
    "the activation function where the gradient is large\" as the layers widen: most units in the centre range at "
    "every width, and no growth of the saturated share with width",
    "Week10 2.7",
    Rule(
        "square layers of fan-in n on a log grid from 2 to 1,000, 1,000 inits each, unit-variance inputs. U(−1, 1): "
        "the mean saturated share (|tanh| > 0.99) never falls from one n to the next and its 99.9% interval at "
        "n = 1,000 lies above the one at n = 2. Glorot normal: the notebook's 'center range of the activation "
        "function where the gradient is large' is read as tanh′ ≥ 1/2 (half the gradient's largest value), and "
        "'likely to stay' as more than half the units: at every n the mean share in the centre range has its 99.9% "
        "lower bound above 1/2; and the saturated share does not grow with width: at every n the mean saturated "
        "share over the mean at n = 1,000 has its 99.9% BCa bootstrap interval above 1/2 (the widest layer "
        "saturates at most twice as often as a narrower one, the suite's constant factor). " + ERRORS + ". Earlier "
        "rule: Glorot's saturated share 'flat' within a factor of 2 (its ratio inside [1/2, 2] at every n), the "
        "catalogue's wording, not the notebook's. " + FROM_99,
        design="at the theory's curves: U(−1, 1)'s E[2Φ(−atanh 0.99 / ‖w‖)], Glorot's centre share "
        "E[2Φ(atanh(1/√2)·√n / ‖x‖) − 1] (0.58 at n = 2 to 0.62), and Glorot's saturated share at most its "
        "widest layer's (ratio 1)",
        boundary="at equal U(−1, 1) shares at fan-in 2 and 1,000, a Glorot centre share of 1/2 at one n, or a "
        "Glorot ratio of 1/2 at one n",
        errors=partial(wide_tanh_errors, FAN_INS, WIDE_INITS),
        stated=(1e-12, 0.0005),
    ),
)


@pytest.fixture(scope="module")
def shares(seeds, experiment_cache):
    """shares(init, n, scale=1, growth=0): the saturated and centre shares of 1,000 inits (scale, growth: controls)."""
    sequence = seeds(WIDE_TANH.id)

    def measure(init, n, scale=1.0, growth=0.0):
        label = f"{init}/{n}" + (f"/scale {scale}/growth {growth}" if (scale, growth) != (1.0, 0.0) else "")
        return tanh_shares_cached(experiment_cache, init, n, WIDE_INITS, seed_for(sequence, label), scale, growth)

    return measure


def grows(estimates: list) -> bool:
    """A mean that never falls from one n to the next, its interval at the widest above the one at the narrowest."""
    return all(b.value >= a.value for a, b in zip(estimates, estimates[1:])) and estimates[-1].low > estimates[0].high


def mean_ratio(first, second, axis=-1):
    return first.mean(axis=axis) / second.mean(axis=axis)


def relative_to_widest(saturated: list, seed: int, store) -> list:
    """Per fan-in, mean saturated share over the one at the widest fan-in, with a 99.9% BCa bootstrap interval (kept in
    store, the cache's folder)."""
    return [bootstrap_interval((s, saturated[-1]), mean_ratio, CONFIDENCE, seed, store) for s in saturated[:-1]]


def centred(estimates: list, likely: float = LIKELY) -> bool:
    """At every n, the mean share in the centre range has its lower bound above `likely`."""
    return all(e.low > likely for e in estimates)


def no_growth(ratios: list, factor: float = GROWTH_FACTOR) -> bool:
    """At every narrower n, the saturated share's ratio to the widest layer's has its lower bound above 1/factor."""
    return all(r.low > 1 / factor for r in ratios)


def glorot_verdict(shares, run_settings, seed, **variant) -> tuple[bool, list, list]:
    """(the Glorot parts hold, the centre-range estimates, the ratios to the widest layer) of a Glorot-like init."""
    measured = [shares("glorot_normal", n, **variant) for n in FAN_INS]
    centre = [mean_interval(m["centre"], CONFIDENCE) for m in measured]
    ratios = relative_to_widest([m["saturated"] for m in measured], seed, run_settings["cache"])
    return centred(centre) and no_growth(ratios), centre, ratios


@pytest.mark.claim(WIDE_TANH)
def test_uniform_init_saturates_wide_tanh(shares, finding, artifacts, run_settings, seeds):
    saturated = {i: [mean_interval(shares(i, n)["saturated"], CONFIDENCE) for n in FAN_INS] for i in INITS}
    glorot_holds, centre, ratios = glorot_verdict(shares, run_settings, seed_for(seeds(WIDE_TANH.id), "ratios"))
    ok = grows(saturated["uniform"]) and glorot_holds
    artifacts.save("saturated_share_vs_fan_in", plots.rate_lines(
        list(FAN_INS), {INIT_LABELS[i]: [(e.value, e.low, e.high) for e in saturated[i]] for i in INITS},
        "fan-in n", "share of saturated tanh units", "Exercise 2.7: saturation against width", log_x=True))
    artifacts.save("glorot_centre_share_vs_fan_in", plots.rate_lines(
        list(FAN_INS), {"Glorot normal": [(e.value, e.low, e.high) for e in centre]},
        "fan-in n", "share of units with tanh' ≥ 1/2", "Exercise 2.7: Glorot keeps units in the centre range",
        log_x=True))
    u, g = saturated["uniform"], saturated["glorot_normal"]
    summary = (f"U(−1,1) saturated: {u[0].text()} at n={FAN_INS[0]} → {u[-1].text()} at n={FAN_INS[-1]}; Glorot: "
               f"in the centre range {min(e.low for e in centre):.3g} or more (lower bounds; likely: above 1/2), "
               f"saturated {g[0].text()} → {g[-1].text()}, over n={FAN_INS[-1]}'s at least "
               f"{min(r.low for r in ratios):.3g} (no growth: above 1/2)")
    finding.conclude(WIDE_TANH.finding(
        "supported" if ok else "refuted", summary,
        {**{f"{INIT_LABELS[i]} saturated": {str(n): e for n, e in zip(FAN_INS, saturated[i])} for i in INITS},
         "Glorot normal centre range": {str(n): e for n, e in zip(FAN_INS, centre)},
         "glorot_saturated_over_widest": {str(n): r for n, r in zip(FAN_INS, ratios)}},
        {"statistic": "mean shares per fan-in", "interval": "Student t, 99.9%; ratios: BCa bootstrap, 99.9%"},
        {"fan_ins": list(FAN_INS), "initializations": WIDE_INITS, "inputs": "N(0, 1), 64 samples",
         "layers": "square (fan-in = fan-out = n)", "units_drawn": 8, "saturated": "|tanh| > 0.99",
         "centre_range": "tanh' ≥ 1/2, |z| ≤ atanh(1/√2)", "root_seed": run_settings["seed"]}))


@pytest.mark.claim(WIDE_TANH, control=True)
def test_control_rules_swap_with_the_initializers(shares, run_settings):
    """Negative control: Glorot's curve must not pass as 'grows', nor U(−1, 1)'s saturated share as 'no growth'."""
    assert not grows([mean_interval(shares("glorot_normal", n)["saturated"], CONFIDENCE) for n in FAN_INS])
    assert not no_growth(relative_to_widest([shares("uniform", n)["saturated"] for n in FAN_INS], 0,
                                            run_settings["cache"]))


@pytest.mark.claim(WIDE_TANH, control=True)
def test_control_glorot_scaled_out_of_the_centre_range_is_not_likely_to_stay_there(shares, run_settings):
    """Glorot's weights times 1.4 put a little more than half the units of a wide layer outside the centre range
    (2Φ(atanh(1/√2)/1.4) − 1 = 0.47 inside): 'likely to stay' must not pass them, and a looser reading ('more
    than 40% inside') would."""
    centre = [mean_interval(shares("glorot_normal", n, scale=1.4)["centre"], CONFIDENCE) for n in FAN_INS]
    assert not centred(centre) and centred(centre, likely=0.4)


@pytest.mark.claim(WIDE_TANH, control=True)
def test_control_a_saturated_share_that_grows_slowly_is_growth(shares, run_settings):
    """Glorot's weights times n^0.05 widen the sum slowly with width (its variance grows as n^0.1), so the saturated
    share grows a little over twice from n = 2 to 1,000: 'no growth' (at most a factor of 2) must not pass it, and a
    looser factor (3) would."""
    _, _, ratios = glorot_verdict(shares, run_settings, 0, growth=0.05)
    assert not no_growth(ratios) and no_growth(ratios, factor=3)
