"""Each claim's two error rates, computed from its rule's design: what the suite states in every rule text.

- **False failure**: the chance the claim's test does not say 'supported' while the claim is true, with the truth at
  the claim's *design margin*: a location taken from the claim's words or from theory, never from a measurement;
  where neither gives one, an explicit design effect declared in words below.
- **False support**: the chance the test says 'supported' while the truth sits on the claim's *boundary* (the edge of
  what the claim says).

A claim is made of parts, all needed for 'supported'. Any failing part fails the claim, so its false failure is at
most the sum of the parts' (union bound); 'supported' needs every part, so at the boundary (reached by any one part)
its false support is at most the largest part's (intersection-union). Each part is computed exactly where a formula
exists (binomial, noncentral t), else by simulating the rule on synthetic data drawn at the margin (seeded with SEED,
so the output is the same every run). Nuisance parameters (the spread of a per-network quantity) come from a
reference run (seed 20101, artifacts/findings.json and the experiment cache of 2026-11-26), rounded up to two
significant digits, and are named in each entry.

STATED holds what the rules state: each computed figure rounded up to one significant digit (a computed 0 for a
deterministic claim states 0; a positive figure below 1e-12 states 1e-12). The science registers each claim's
calibration (@calibrates) and stated figures (lib.protocols.calibrations); the claims read them through stated() and
sentence(), and `python -m lib.calibration [-k SUBSTRING] [--json FILE]` prints stated against computed, the
suite-wide bounds, and exits 1 where a stated figure is below what its computation gives.
"""
import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from lib.framework import error_rates as er
from lib.framework.atomic import write_text

SEED = 20261126  # numpy SeedSequence entropy of every simulation here (recorded in --json)
FLOOR = 1e-12  # the smallest positive figure a rule states


# --- parts and claims ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One part of a claim's rule: its false-failure chance at the design margin, its false-support chance at the
    boundary (None for a guard, a part with no boundary of its own), how each was computed, and for a simulated
    figure its (estimate, upper 95% bound); false_failure is then the upper bound."""

    name: str
    false_failure: float
    false_support: float | None
    method: str
    interval: tuple | None = None


@dataclass(frozen=True)
class Calibration:
    """A claim's computed error rates: the design margin and boundary in words, the nuisance values used, its parts."""

    claim: str
    design: str
    boundary: str
    parts: tuple
    nuisance: tuple = ()
    slow: bool = False

    @property
    def false_failure(self) -> float:
        return min(1.0, sum(p.false_failure for p in self.parts))

    @property
    def false_support(self) -> float:
        return max([p.false_support for p in self.parts if p.false_support is not None], default=0.0)

    @property
    def deterministic(self) -> bool:
        return all(p.method.startswith("deterministic") for p in self.parts)

    @property
    def methods(self) -> str:
        return "; ".join(dict.fromkeys(p.method for p in self.parts))

    @property
    def intervals(self) -> list:
        return [(p.name, p.interval) for p in self.parts if p.interval is not None]


@dataclass(frozen=True)
class Entry:
    claim: str
    design: str
    boundary: str
    compute: Callable
    slow: bool = False


REGISTRY: dict[str, Entry] = {}


def calibrates(claim: str, design: str, boundary: str, slow: bool = False):
    """Register compute() -> (parts, nuisance) as the calibration of claim, with its design margin and boundary."""
    def register(compute):
        if claim in REGISTRY:
            raise ValueError(f"claim {claim!r} is calibrated twice")
        REGISTRY[claim] = Entry(claim, design, boundary, compute, slow)
        return compute
    return register


def calibrate(claim: str) -> Calibration:
    entry = REGISTRY[claim]
    parts, nuisance = entry.compute()
    return Calibration(claim, entry.design, entry.boundary, tuple(parts), tuple(nuisance), entry.slow)


# --- what the rules state ------------------------------------------------------------------------

TOLERANCE = 1e-9  # relative: floating-point noise, e.g. (1 − 0.99) / 2 = 0.0050000000000000044


def round_up(value: float, digits: int = 1) -> float:
    """value rounded up to `digits` significant digits (3.2e-4 -> 4e-4; 3e-4 stays 3e-4, as does 3e-4 plus
    floating-point noise below TOLERANCE)."""
    if value <= 0:
        return 0.0
    exponent = math.floor(math.log10(value)) - digits + 1
    mantissa = math.ceil(value / 10.0**exponent / (1 + TOLERANCE))
    return float(f"{mantissa}e{exponent}")


def statement(computed: float, deterministic: bool) -> float:
    """What a rule states for a computed figure: rounded up to one significant digit, at least FLOOR unless the
    figure is 0 by determinism."""
    if deterministic and computed == 0:
        return 0.0
    return max(FLOOR, round_up(computed))


STATED: dict[str, tuple[float, float]] = {}  # claim id -> (stated false failure, stated false support), filled by
# the claims' calibrations (lib.protocols.calibrations)


def stated(claim: str) -> tuple[float, float]:
    """(false failure, false support) that claim's rule states."""
    if claim not in STATED:
        raise KeyError(f"no stated error rates for claim {claim!r}; register its calibration (@calibrates) and its stated figures (STATED)")
    return STATED[claim]


def figure(value: float) -> str:
    """A stated figure as a rule writes it: 0, 0.05, 0.008, 3e-4, 1e-12."""
    if value == 0:
        return "0"
    if value >= 1e-3:
        return f"{value:g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def sentence(claim: str) -> str:
    """The rule text's closing sentence: the stated figures with the design margin and boundary they hold at."""
    false_failure, false_support = stated(claim)
    entry = REGISTRY[claim]
    if false_failure == 0 and false_support == 0:
        return f"False failure and false support: 0, {entry.design} (lib.calibration)"
    return (f"False failure: ≤ {figure(false_failure)} {entry.design}; false support: ≤ {figure(false_support)} "
            f"{entry.boundary} (lib.calibration)")


# --- helpers -------------------------------------------------------------------------------------

def up(value: float) -> float:
    """A nuisance value from the reference run, rounded up to two significant digits."""
    return round_up(value, 2)


def nuisance(name: str, raw: float) -> tuple[float, str]:
    """(the rounded-up value, its line for the report)."""
    value = up(raw)
    return value, f"{name}: the reference run's {raw:.4g}, rounded up to {value:g}"


T_NONCENTRAL = "exact: noncentral t"
BCA = "normal-theory approximation of the BCa interval: noncentral t on the log scale"
BINOMIAL = "exact: binomial"
DETERMINISTIC = "deterministic: a fixed grid and derandomized examples"
SIZE = er.t_bound_size(0.99)  # one side of a two-sided 99% t interval


def band_misses(n: int, confidence: float, above_low: float, below_high: float) -> float:
    """P(a t interval is not inside a band) when the truth lies above_low SDs above its low edge and below_high SDs
    below its high edge: the union of the two one-sided misses."""
    return er.t_bound_misses(n, confidence, above_low) + er.t_bound_misses(n, confidence, below_high)


# --- the command ---------------------------------------------------------------------------------

def run(claims: list[str]) -> list[Calibration]:
    return [calibrate(c) for c in claims]


def check(calibrations: list[Calibration]) -> list[str]:
    """The problems: a claim without a stated figure, or a stated figure below its computation."""
    problems = []
    for c in calibrations:
        if c.claim not in STATED:
            problems.append(f"{c.claim}: no stated figures")
            continue
        ff, fs = STATED[c.claim]
        if c.false_failure > ff * (1 + TOLERANCE):
            problems.append(f"{c.claim}: stated false failure {figure(ff)} below the computed {c.false_failure:.3g}")
        if c.false_support > fs * (1 + TOLERANCE):
            problems.append(f"{c.claim}: stated false support {figure(fs)} below the computed {c.false_support:.3g}")
    return problems


def table(calibrations: list[Calibration], parts: bool = False) -> str:
    width = max(len(c.claim) for c in calibrations) + (7 if any(c.slow for c in calibrations) else 0)
    lines = [f"{'claim':<{width}}  {'stated ff':>9}  {'computed ff':>11}  {'stated fs':>9}  {'computed fs':>11}  method"]
    for c in calibrations:
        ff, fs = STATED.get(c.claim, (math.nan, math.nan))
        name = c.claim + (" (slow)" if c.slow else "")
        simulated = "".join(f" [{n}: {low:.2g}, upper {high:.2g}]" for n, (low, high) in c.intervals)
        lines.append(f"{name:<{width}}  {figure(ff):>9}  {c.false_failure:>11.3g}  {figure(fs):>9}  "
                     f"{c.false_support:>11.3g}  {c.methods}{simulated}")
        if parts:
            for p in c.parts:
                support = "—" if p.false_support is None else f"{p.false_support:.3g}"
                lines.append(f"    {p.name}: ff {p.false_failure:.3g}, fs {support} ({p.method})")
            lines += [f"    nuisance: {n}" for n in c.nuisance]
    return "\n".join(lines)


def suite_bounds(calibrations: list[Calibration]) -> tuple[float, float]:
    """Sums of the stated figures: a bound on the chance that any true claim fails, and on the chance that any false
    claim is called supported (union bounds)."""
    return (sum(STATED[c.claim][0] for c in calibrations if c.claim in STATED),
            sum(STATED[c.claim][1] for c in calibrations if c.claim in STATED))


def record(calibrations: list[Calibration]) -> dict:
    ff, fs = suite_bounds(calibrations)
    return {"seed": SEED, "suite_false_failure": ff, "suite_false_support": fs,
            "claims": [{"claim": c.claim, "slow": c.slow, "deterministic": c.deterministic, "design": c.design,
                        "boundary": c.boundary,
                        "stated": list(STATED.get(c.claim, (None, None))), "false_failure": c.false_failure,
                        "false_support": c.false_support, "nuisance": list(c.nuisance),
                        "parts": [asdict(p) for p in c.parts]} for c in calibrations]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.calibration", description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="substring", default="", help="only the claims whose id contains SUBSTRING")
    parser.add_argument("--json", type=Path, help="also write every figure to FILE (atomically)")
    parser.add_argument("--parts", action="store_true", help="print each claim's parts and nuisance values")
    args = parser.parse_args(argv)
    claims = sorted(c for c in REGISTRY if args.substring in c)
    if not claims:
        print(f"no claim id contains {args.substring!r}", file=sys.stderr)
        return 2
    calibrations = run(claims)
    print(table(calibrations, args.parts))
    ff, fs = suite_bounds(calibrations)
    print(f"\n{len(calibrations)} claims ({sum(c.slow for c in calibrations)} slow). Suite-wide false failure (sum of "
          f"stated): {ff:.3g}; suite-wide false support (sum of stated): {fs:.3g}")
    if args.json:
        write_text(args.json, json.dumps(record(calibrations), indent=1))
    problems = check(calibrations)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
