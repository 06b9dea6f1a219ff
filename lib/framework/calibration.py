"""Each claim's two error rates, computed from its rule's design: what every rule states.

- **False failure**: the chance the claim's test does not say 'supported' while the claim is true, with the truth at
  the claim's *design margin*: a location taken from the claim's words or from theory, never from a measurement;
  where neither gives one, an explicit design effect declared in words.
- **False support**: the chance the test says 'supported' while the truth sits on the claim's *boundary* (the edge of
  what the claim says).

A claim is made of parts, all needed for 'supported'. Any failing part fails the claim, so its false failure is at
most the sum of the parts' (union bound); 'supported' needs every part, so at the boundary (reached by any one part)
its false support is at most the largest part's (intersection-union). Each part is computed exactly where a formula
exists (binomial, noncentral t), else by simulating the rule on synthetic data drawn at the margin (seeded with SEED,
so the output is the same every run). Nuisance parameters (the spread of a per-network quantity) come from a
reference run (seed 20101), rounded up to two significant digits, and are named in each entry.

Each claim declares its rule once, in its own module (lib.framework.rules.Rule: words, design, boundary, the
computation, the stated figures). `python -m lib.calibration [-k SUBSTRING] [--json FILE]` collects the claims from
the claims folder, computes every rule's figures, prints them against the stated ones with the suite-wide bounds, and
exits 1 where a stated figure is below its computation.
"""
import argparse
import importlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from lib.framework import error_rates as er
from lib.framework.atomic import write_text
from lib.framework.findings import Claim
from lib.framework.rules import TOLERANCE, figure, round_up

SEED = 20261126  # numpy SeedSequence entropy of every simulation (recorded in --json)


@dataclass(frozen=True)
class Calibration:
    """A claim's computed error rates: the design margin and boundary in words, the nuisance values used, its parts,
    and what its rule states."""

    claim: str
    design: str
    boundary: str
    parts: tuple
    stated: tuple
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


def calibrate(claim: Claim) -> Calibration:
    """The claim's rule's figures, computed at its design and boundary."""
    parts, nuisance = claim.rule.errors()
    return Calibration(claim.id, claim.rule.design, claim.rule.boundary, tuple(parts), tuple(claim.rule.stated),
                       tuple(nuisance), claim.slow)


def collect(folder: Path) -> list[Claim]:
    """Every claim declared in the modules of a claims folder, in id order: each module is imported (as
    <folder>.<module>, the folder's parent on sys.path) and its Claim values gathered. One id declared twice, by two
    different claims, is a one-line ValueError."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ValueError(f"claims folder {str(folder)!r} does not exist")
    if str(folder.parent) not in sys.path:
        sys.path.insert(0, str(folder.parent))
    found: dict[str, Claim] = {}
    for path in sorted(folder.glob("*.py")):
        module = importlib.import_module(f"{folder.name}.{path.stem}")
        for claim in (v for v in vars(module).values() if isinstance(v, Claim)):
            if found.setdefault(claim.id, claim) is not claim and found[claim.id] != claim:
                raise ValueError(f"claim {claim.id!r} is declared twice ({path.name} and another module)")
    return [found[i] for i in sorted(found)]


# --- what the calibrations share -----------------------------------------------------------------

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

def check(calibrations: list[Calibration]) -> list[str]:
    """The problems: a stated figure below its computation."""
    problems = []
    for c in calibrations:
        ff, fs = c.stated
        if c.false_failure > ff * (1 + TOLERANCE):
            problems.append(f"{c.claim}: stated false failure {figure(ff)} below the computed {c.false_failure:.3g}")
        if c.false_support > fs * (1 + TOLERANCE):
            problems.append(f"{c.claim}: stated false support {figure(fs)} below the computed {c.false_support:.3g}")
    return problems


def table(calibrations: list[Calibration], parts: bool = False) -> str:
    width = max(len(c.claim) for c in calibrations) + (7 if any(c.slow for c in calibrations) else 0)
    lines = [f"{'claim':<{width}}  {'stated ff':>9}  {'computed ff':>11}  {'stated fs':>9}  {'computed fs':>11}  method"]
    for c in calibrations:
        ff, fs = c.stated
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
    return sum(c.stated[0] for c in calibrations), sum(c.stated[1] for c in calibrations)


def record(calibrations: list[Calibration]) -> dict:
    ff, fs = suite_bounds(calibrations)
    return {"seed": SEED, "suite_false_failure": ff, "suite_false_support": fs,
            "claims": [{"claim": c.claim, "slow": c.slow, "deterministic": c.deterministic, "design": c.design,
                        "boundary": c.boundary, "stated": list(c.stated), "false_failure": c.false_failure,
                        "false_support": c.false_support, "nuisance": list(c.nuisance),
                        "parts": [asdict(p) for p in c.parts]} for c in calibrations]}


def main(argv=None, claims_folder: Path = Path("claims")) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.calibration", description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="substring", default="", help="only the claims whose id contains SUBSTRING")
    parser.add_argument("--json", type=Path, help="also write every figure to FILE (atomically)")
    parser.add_argument("--parts", action="store_true", help="print each claim's parts and nuisance values")
    parser.add_argument("--claims", type=Path, default=claims_folder, metavar="DIR",
                        help=f"the folder of claim modules to collect (default: {claims_folder})")
    args = parser.parse_args(argv)
    try:
        claims = [c for c in collect(args.claims) if args.substring in c.id]
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    if not claims:
        print(f"no claim id contains {args.substring!r}", file=sys.stderr)
        return 2
    calibrations = [calibrate(c) for c in claims]
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
