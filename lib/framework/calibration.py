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
reference run (seed 20101), rounded up to two significant digits, and are named in each entry beside the value the
reference findings measure (lib.framework.nuisance).

Each claim declares its rule once, in its own module (lib.framework.rules.Rule: words, design, boundary, the
computation, the stated figures). `python -m lib.calibration [-k SUBSTRING] [--json FILE] [--findings FILE]` collects
the claims from the claims folder, computes every rule's figures, prints them against the stated ones with the
family-wise bounds, each nuisance value beside its measurement in the findings (docs/reference/findings.json unless
given), and exits 1 where a stated figure is below its computation, a measurement contradicts a design, a claim states
more than the suite's standard (false support 0.005, false failure 0.01), or the suite's sums exceed 0.05.
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
from lib.framework.nuisance import Nuisance
from lib.framework.rules import TOLERANCE, figure, round_up

SEED = 20261126  # numpy SeedSequence entropy of every simulation (recorded in --json)
REFERENCE_FINDINGS = Path("docs/reference/findings.json")  # where measured nuisance values are read by default


@dataclass(frozen=True)
class Calibration:
    """A claim's computed error rates: the design margin and boundary in words, the nuisance values used, its parts,
    and what its rule states."""

    claim: str
    design: str
    boundary: str
    parts: tuple
    stated: tuple
    nuisance: tuple = ()  # (Nuisance, Measured or None) pairs
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
    def assumptions(self) -> str:
        return "; ".join(dict.fromkeys(assumption(p.method) for p in self.parts))

    @property
    def contradicted(self) -> list:
        """The (nuisance, measured) pairs whose measurement contradicts the design."""
        return [(n, m) for n, m in self.nuisance if m is not None and m.contradicts(n.assumed)]

    @property
    def intervals(self) -> list:
        return [(p.name, p.interval) for p in self.parts if p.interval is not None]


def calibrate(claim: Claim, findings: dict | None = None) -> Calibration:
    """The claim's rule's figures, computed at its design and boundary, each nuisance value beside its measurement
    in findings (by claim id; none read without them)."""
    parts, nuisance = claim.rule.errors()
    measured = tuple((n, n.measure(findings) if findings is not None else None) for n in nuisance)
    return Calibration(claim.id, claim.rule.design, claim.rule.boundary, tuple(parts), tuple(claim.rule.stated),
                       measured, claim.slow)


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


def nuisance(name: str, raw: float, read=None) -> tuple[float, Nuisance]:
    """(the rounded-up value, the Nuisance: assumed from the reference run, measured by read from the findings)."""
    value = up(raw)
    return value, Nuisance(name, value, f"the reference run's {raw:.4g}, rounded up", read)


def declared(name: str, value: float, why: str, read=None) -> tuple[float, Nuisance]:
    """(a declared nuisance value, its Nuisance)."""
    return value, Nuisance(name, value, f"declared: {why}", read)


T_NONCENTRAL = "exact: noncentral t"
BCA = "normal-theory approximation of the BCa interval: noncentral t on the log scale"
BINOMIAL = "exact: binomial"
DETERMINISTIC = "deterministic: a fixed grid and derandomized examples"


def band_misses(n: int, confidence: float, above_low: float, below_high: float) -> float:
    """P(a t interval is not inside a band) when the truth lies above_low SDs above its low edge and below_high SDs
    below its high edge: the union of the two one-sided misses."""
    return er.t_bound_misses(n, confidence, above_low) + er.t_bound_misses(n, confidence, below_high)


def assumption(method: str) -> str:
    """What a part's computation assumes of the data, read from its method."""
    if method.startswith("deterministic"):
        return "none (deterministic)"
    if "Hoeffding" in method:
        return "values in [0, 1] (distribution-free)"
    if "gamma" in method:
        return "normal values (t); size checked on skewed (gamma) values"
    if "noncentral t" in method or "two t intervals" in method:
        return "normal values (t)"
    if "BCa" in method or "normal" in method:
        return "approximately normal (large-sample)"
    if method.startswith("simulated"):
        return "as simulated"
    return "exact (counts)"


# --- the command ---------------------------------------------------------------------------------

CLAIM_SUPPORT, CLAIM_FAILURE, SUITE_LIMIT = 0.005, 0.01, 0.05  # the suite's standard (docs/methodology.md)


def check(calibrations: list[Calibration], whole_suite: bool = True) -> list[str]:
    """The problems: a stated figure below its computation, a nuisance value the findings contradict, a claim above
    the suite's standard, and (for the whole suite) the suite's sums above its limit."""
    problems = []
    for c in calibrations:
        ff, fs = c.stated
        if c.false_failure > ff * (1 + TOLERANCE):
            problems.append(f"{c.claim}: stated false failure {figure(ff)} below the computed {c.false_failure:.3g}")
        if c.false_support > fs * (1 + TOLERANCE):
            problems.append(f"{c.claim}: stated false support {figure(fs)} below the computed {c.false_support:.3g}")
        for n, m in c.contradicted:
            problems.append(f"{c.claim}: the design assumes {n.name} = {n.assumed:g}, and {m.source} measured "
                            f"{m.value:.3g}: its stated rates describe another protocol")
        if fs > CLAIM_SUPPORT or ff > CLAIM_FAILURE:
            problems.append(f"{c.claim}: states false support {figure(fs)} and false failure {figure(ff)}; the suite's "
                            f"standard is at most {CLAIM_SUPPORT:g} and {CLAIM_FAILURE:g}")
    ff, fs = suite_bounds(calibrations)
    if whole_suite and (fs > SUITE_LIMIT or ff > SUITE_LIMIT):
        problems.append(f"the suite: family-wise false support {fs:.3g} and false failure {ff:.3g}; the suite's standard "
                        f"is at most {SUITE_LIMIT:g} each")
    return problems


def table(calibrations: list[Calibration], parts: bool = False) -> str:
    width = max(len(c.claim) for c in calibrations) + (7 if any(c.slow for c in calibrations) else 0)
    lines = [f"{'claim':<{width}}  {'stated ff':>9}  {'computed ff':>11}  {'stated fs':>9}  {'computed fs':>11}  "
             "assumes | method"]
    for c in calibrations:
        ff, fs = c.stated
        name = c.claim + (" (slow)" if c.slow else "")
        simulated = "".join(f" [{n}: {low:.2g}, upper {high:.2g}]" for n, (low, high) in c.intervals)
        lines.append(f"{name:<{width}}  {figure(ff):>9}  {c.false_failure:>11.3g}  {figure(fs):>9}  "
                     f"{c.false_support:>11.3g}  {c.assumptions} | {c.methods}{simulated}")
        if parts:
            for p in c.parts:
                support = "—" if p.false_support is None else f"{p.false_support:.3g}"
                lines.append(f"    {p.name}: ff {p.false_failure:.3g}, fs {support} ({p.method})")
            lines += [f"    nuisance: {n.line(m)}" for n, m in c.nuisance]
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
                        "false_support": c.false_support, "assumption": c.assumptions,
                        "nuisance": [nuisance_record(n, m) for n, m in c.nuisance],
                        "parts": [asdict(p) | {"assumption": assumption(p.method)} for p in c.parts]}
                       for c in calibrations]}


def nuisance_record(nuisance: Nuisance, measured) -> dict:
    return {"name": nuisance.name, "assumed": nuisance.assumed, "basis": nuisance.basis,
            "measured": None if measured is None else measured.value,
            "source": None if measured is None else measured.source,
            "contradicts": measured is not None and measured.contradicts(nuisance.assumed)}


def main(argv=None, claims_folder: Path = Path("claims")) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.calibration", description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="substring", default="", help="only the claims whose id contains SUBSTRING")
    parser.add_argument("--json", type=Path, help="also write every figure to FILE (atomically)")
    parser.add_argument("--parts", action="store_true", help="print each claim's parts and nuisance values")
    parser.add_argument("--claims", type=Path, default=claims_folder, metavar="DIR",
                        help=f"the folder of claim modules to collect (default: {claims_folder})")
    parser.add_argument("--findings", type=Path, default=REFERENCE_FINDINGS, metavar="FILE",
                        help=f"the findings.json to read the measured nuisance values from (default: {REFERENCE_FINDINGS})")
    args = parser.parse_args(argv)
    try:
        claims = [c for c in collect(args.claims) if args.substring in c.id]
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    if not claims:
        print(f"no claim id contains {args.substring!r}", file=sys.stderr)
        return 2
    try:
        findings = {f["id"]: f for f in json.loads(args.findings.read_text())["findings"]}
    except OSError as error:
        parser.exit(2, f"{parser.prog}: error: cannot read findings {str(args.findings)!r}: {error.strerror}\n")
    except (ValueError, KeyError, TypeError) as error:
        parser.exit(2, f"{parser.prog}: error: cannot read findings {str(args.findings)!r}: not a findings.json "
                       f"({error})\n")
    calibrations = [calibrate(c, findings) for c in claims]
    print(table(calibrations, args.parts))
    ff, fs = suite_bounds(calibrations)
    print(f"\n{len(calibrations)} claims ({sum(c.slow for c in calibrations)} slow). Family-wise false support ≤ {fs:.3g} "
          f"(the sum of the stated levels); family-wise false failure ≤ {ff:.3g} (the sum of the stated false failures): "
          "Bonferroni's union bound, valid under any dependence between the claims")
    if args.json:
        write_text(args.json, json.dumps(record(calibrations), indent=1))
    problems = check(calibrations, whole_suite=not args.substring)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0
