"""Family C's shared setup (IN3050/4050 Week10, exercises 1.2–2.8), for test_week10_activations.py,
test_week10_gradients.py and test_week10_saturation.py.

Protocol (docs/claims.md C): the notebook's model, input 2 → 3 × [Dense(2) + activation] → Dense(2) linear,
zero biases, RandomUniform(−1, 1) or GlorotNormal weights; data from the course helper's
generateData(n = 100); per-sample MSE gradients with respect to each layer's weights. Statistical
claims run over 2,000 independent initializations (99.9% intervals); exact claims are hypothesis
property tests, whose verdict is the property's, and whose recorded numbers (worst deviation, shares)
come from a fixed dense grid or a seeded sample, so a finding reads the same in every run, xdist too
(hypothesis draws some examples from constants in the loaded modules, which differ per process).
"""

import json
from importlib import metadata

import numpy as np
import torch

from lib.framework.memo import function_code, remembered
from lib.protocols.calibrations.common import CONFIDENCE as LEVEL

EXAMPLES = 500
ROUNDING = 1e-15  # absolute slack for float64 rounding: about 4.5 machine epsilons, on values of at most 1
INITIALIZATIONS, SAMPLES, CONFIDENCE = 2000, 100, LEVEL
ACTIVATIONS, INITS = ("sigmoid", "tanh", "relu"), ("uniform", "glorot_normal")
LAYERS = ["W1", "W2", "W3", "W4 (out)"]
NOTEBOOK_SEED = 100
SETUP = {"model": "2-2-2-2-2, hidden activation, linear output, zero biases", "samples": SAMPLES,
         "loss": "per-sample MSE, mean over the 2 outputs"}


def run_property(check, strategy, cache) -> tuple[int, dict | None]:
    """Run check over EXAMPLES inputs drawn from strategy(hypothesis.strategies); (examples run, the falsifying
    example or None). The outcome is an experiment of the cache (kind `property`), kept under the code of check and
    strategy and hypothesis's version (lib.framework.memo): with derandomize, no database and no deadline, that code decides it."""
    key = lambda: {"check": function_code(check), "strategy": function_code(strategy), "examples": EXAMPLES,
                   "hypothesis": metadata.version("hypothesis")}
    compute = lambda: {"outcome": np.array(json.dumps(_property_outcome(check, strategy)))}
    examples, failure = json.loads(str(remembered(cache, "property", key, compute, check.__qualname__)["outcome"]))
    return examples, failure


def _property_outcome(check, strategy) -> tuple[int, dict | None]:
    from hypothesis import given, settings, strategies  # imported here: the import alone takes about 1.4 s

    seen = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, report_multiple_bugs=False)
    @given(strategy(strategies))
    def prop(value):
        seen.append(value)
        check(value)

    try:
        prop()
    except AssertionError as error:
        return len(seen), {"falsifying_example": repr(seen[-1])[:200], "error": str(error)[:200]}
    return len(seen), None


def property_finding(claim, examples, failure, measured: dict, setup: dict, run_settings):
    """A property's finding: refuted by any counterexample; measured holds the grid's deterministic numbers."""
    verdict = "supported" if failure is None else "refuted"
    outcome = "no counterexample" if failure is None else f"counterexample: {failure['falsifying_example']}"
    summary = f"{examples} generated examples, {outcome}; " + ", ".join(f"{k} {v:.3g}" for k, v in measured.items())
    return claim.finding(verdict, summary, {"examples": examples, **measured, **({"failure": failure} if failure else {})},
                         {"kind": "hypothesis property test", "max_examples": EXAMPLES, "grid_points": GRID_POINTS},
                         {**setup, "root_seed": run_settings["seed"]})


GRID_POINTS = 200_001


def dense_grid(limit: float) -> torch.Tensor:
    """GRID_POINTS evenly spaced float64 values over [−limit, limit], 0 included."""
    return torch.linspace(-limit, limit, GRID_POINTS, dtype=torch.float64)


def floats(st, low: float, high: float):
    """Finite floats in [low, high], from st (hypothesis.strategies)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def vectors(st, low: float, high: float):
    """Lists of 1 to 50 such floats."""
    return st.lists(floats(st, low, high), min_size=1, max_size=50)

