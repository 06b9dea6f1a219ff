"""Family B's shared protocol and helpers (Lab3 problems 2 and 3; Lu et al. 2020), for test_lu_headline.py,
test_lu_anatomy.py and test_lu_tables.py (test_rai.py uses the same runs).

Protocol (docs/claims.md B, LuProtocol's defaults): 10 weight layers (9 hidden of width 2, a linear
output), 1-D input and output, 3,000 points a run from U(−√7, √7), minibatch 64, MSE, Adam
lr 1e-3, 100 epochs, He-normal weights and zero biases, 1,000 runs per setting, each with its own
init, data and shuffles. Run k uses the same seeds in every setting, so settings differ only in
what the protocol changes. Collapse: the output's range over a 2,001-point grid of the domain is at
most 1e-3 of the target's range there (lib/protocols/collapse.py), reported at several tolerances too.
The 100 epochs: the ReLU collapse fraction is flat from about epoch 30 and the healthy runs' median
loss from about epoch 100 (figure collapse_vs_epoch of lu-relu-collapse-over-90).
"""
from functools import cache

from lib.framework.sequential import STAGES, SequentialRateRule, decide_sequentially
from lib.framework.stats import rate_interval, rate_verdict
from lib.protocols.collapse import HEADLINE_TOLERANCE, collapse_count, collapsed_fractions
from lib.protocols.lu import LAB_SNAPSHOTS, LuProtocol, blocks
from lib.protocols.targets import grid

TARGETS = ("f1", "f2", "f3")
RELU = LuProtocol()
LEAKY = RELU.but(activation="leaky_relu")
CONFIDENCE = 0.95
EPOCH_SNAPSHOTS = LAB_SNAPSHOTS
# 'refuted' for any one of the three targets refutes the claim: that side is taken at 0.005 / 3 (Bonferroni)
OVER_90_RULE = SequentialRateRule(threshold=0.90, stages=STAGES, alpha=0.005, refute_alpha=0.005 / len(TARGETS))
GRID = grid()


def sequential_collapse(lu, protocol: LuProtocol, rule: SequentialRateRule):
    """Decide 'collapse rate > threshold' sequentially: the protocol's runs (the first stage), then the runs up to
    each next stage, trained and counted in blocks of at most lib.protocols.lu.BLOCK_RUNS (memory stays bounded however
    high the rule's cap), each block once."""
    first_run = dict(zip(rule.stages, [0, *rule.stages]))

    @cache
    def block(last: int) -> int:
        if not first_run[last]:
            return collapse_count(lu(protocol))
        return sum(collapse_count(lu(protocol.but(runs=runs), start))
                   for start, runs in blocks(first_run[last], last - first_run[last]))

    return decide_sequentially(rule, lambda n: sum(block(stage) for stage in rule.stages if stage <= n))


def collapse_estimate(run, tolerance: float = HEADLINE_TOLERANCE, net=None):
    return rate_interval(collapse_count(run, tolerance, net), run.protocol.runs, CONFIDENCE)


def at_tolerances(run) -> dict:
    counts = collapsed_fractions(run.final, GRID, run.target_range)
    return {f"{t:g}": rate_interval(k, run.protocol.runs, CONFIDENCE) for t, k in counts.items()}


def setup_for(protocol: LuProtocol, run_settings, **extra) -> dict:
    return {**protocol.record(), "collapse_tolerance": HEADLINE_TOLERANCE, "grid_points": len(GRID),
            "confidence": CONFIDENCE, "root_seed": run_settings["seed"], **extra}


def lab_answer(count: int, runs: int) -> dict:
    """The lab's own reading of its 1,000 runs: the 95% interval and the one-sided verdict at that size alone."""
    return {"collapse": rate_interval(count, runs, CONFIDENCE), "verdict": rate_verdict(count, runs, 0.90, CONFIDENCE)}
