"""A design's nuisance values (the spread of a per-network quantity, the chance a net stalls), each beside the value
measured in the reference findings, and the check that the measurement does not contradict the design.

A rule's error rates hold at its nuisance values. A value is assumed from a reference run (rounded up) or declared;
the measurement read back from the findings that the suite wrote says whether the assumption still describes the
protocol. A spread contradicts its design when the measured spread exceeds the assumed one by more than SLACK (the
findings keep six significant digits, so a spread backed out of an interval is good to well under that); a chance
contradicts it when the exact one-sided lower bound at 1 − CHANCE_LEVEL of the measured count lies above the assumed
chance.
"""
import math
from dataclasses import dataclass
from typing import Callable

from scipy import stats

SLACK = 0.02  # relative: a measured spread up to 2% above the assumed one is the same value, rounded
CHANCE_LEVEL = 0.01  # one-sided: a count contradicts an assumed chance when its 99% lower bound lies above it


@dataclass(frozen=True)
class Measured:
    """A measured nuisance value and where it was read: a spread, or a count out of trials (a chance)."""

    value: float
    source: str
    count: tuple[int, int] | None = None  # (events, trials) for a chance

    def contradicts(self, assumed: float) -> bool:
        if self.count is not None:
            events, trials = self.count
            lower = stats.beta.ppf(CHANCE_LEVEL, events, trials - events + 1) if events else 0.0
            return bool(lower > assumed)
        return not self.value <= assumed * (1 + SLACK)


@dataclass(frozen=True)
class Nuisance:
    """A nuisance value as a design assumes it, and how to read its measurement from the findings (a function of the
    findings by claim id, returning a Measured, or None where nothing measures it)."""

    name: str
    assumed: float
    basis: str
    read: Callable[[dict], Measured | None] | None = None

    def measure(self, findings: dict) -> Measured | None:
        if self.read is None:
            return None
        try:
            return self.read(findings)
        except KeyError:  # the claim or its value is not in these findings (a slow claim, a partial run)
            return None

    def line(self, measured: Measured | None) -> str:
        read = "not measured" if measured is None else f"measured {measured.value:.4g} ({measured.source})"
        mark = " CONTRADICTS THE DESIGN" if measured is not None and measured.contradicts(self.assumed) else ""
        return f"{self.name}: assumed {self.assumed:g} ({self.basis}); {read}{mark}"


# --- reading a spread back from an interval in the findings -------------------------------------

def value_at(findings: dict, claim: str, path: str):
    """The value at a '/'-separated path in a claim's measured values (a number indexes a list)."""
    value = findings[claim]["measured"]
    for key in path.split("/"):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def t_spread(estimate: dict, log: bool = False) -> float:
    """The per-item standard deviation behind a two-sided Student t interval of a mean over n items (on the logs
    for a geometric mean): half its width times √n over the t quantile."""
    low, high = (math.log(estimate["low"]), math.log(estimate["high"])) if log else (estimate["low"], estimate["high"])
    n = estimate["n"]
    return (high - low) / 2 * math.sqrt(n) / stats.t.ppf(0.5 + estimate["confidence"] / 2, n - 1)


def normal_se(estimate: dict, log: bool = False) -> float:
    """The standard error behind a two-sided interval read as normal (a BCa bootstrap interval): half its width over
    the normal quantile (on the logs with log)."""
    low, high = (math.log(estimate["low"]), math.log(estimate["high"])) if log else (estimate["low"], estimate["high"])
    return (high - low) / 2 / stats.norm.ppf(0.5 + estimate["confidence"] / 2)


def read_spread(claim: str, paths: list[str], of: Callable[[dict], float], what: str):
    """A reader: the largest of `of` over the estimates at paths in a claim's measured values, leaving out an
    estimate with no interval to read (constant values, or a bound at 0 on a log scale); None when none is left."""
    def read(findings: dict) -> Measured | None:
        estimates = [value_at(findings, claim, p) for p in paths]
        spreads = [of(e) for e in estimates if readable(e, of)]
        return Measured(max(spreads), f"{claim}: {what}") if spreads else None
    return read


def log_t(estimate: dict) -> float:
    return t_spread(estimate, log=True)


def cv_t(estimate: dict) -> float:
    """The coefficient of variation behind a t interval of a mean: its per-item SD over the mean."""
    return t_spread(estimate) / abs(estimate["value"])


def sd_log_bca(estimate: dict) -> float:
    """The per-item SD on the log scale behind a BCa interval over n items: its SE times √n."""
    return normal_se(estimate, log=True) * math.sqrt(estimate["n"])


def readable(estimate: dict, of) -> bool:
    """Whether an estimate has an interval to read a spread from: a width, positive bounds on a log scale, a
    positive value for a relative spread."""
    if estimate.get("constant") or not estimate["high"] > estimate["low"]:
        return False
    if of in (log_t, sd_log_bca):
        return estimate["low"] > 0
    return estimate["value"] > 0 if of is cv_t else True
