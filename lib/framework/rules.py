"""A claim's verdict rule, declared once beside the claim: its words, the design its two error rates are computed at,
the computation itself, and the figures it states.

The rule writes its own text for the finding and the catalogue: its words with the closing sentence of its error rates
where ERRORS stands (at the end if it stands nowhere). `python -m lib.calibration` computes each rule's figures and
fails where a stated one is below its computation (lib.framework.calibration).
"""
import math
from dataclasses import dataclass
from typing import Callable

ERRORS = "\x00errors\x00"  # where a rule's words place the sentence of its error rates
TOLERANCE = 1e-9  # relative: floating-point noise, e.g. (1 − 0.99) / 2 = 0.0050000000000000044
FLOOR = 1e-12  # the smallest positive figure a rule states


@dataclass(frozen=True)
class Part:
    """One part of a rule: its false-failure chance at the design margin, its false-support chance at the boundary
    (None for a guard, a part with no boundary of its own), how each was computed, and for a simulated figure its
    (estimate, upper 95% bound); false_failure is then the upper bound."""

    name: str
    false_failure: float
    false_support: float | None
    method: str
    interval: tuple | None = None


@dataclass(frozen=True)
class Rule:
    """A verdict rule fixed before measuring.

    - words: the rule in words, ERRORS where the sentence of its error rates goes;
    - design: where its false failure is computed (a margin from the claim's words or from theory);
    - boundary: where its false support is computed (the edge of what the claim says);
    - errors: () -> (parts, nuisance lines), the computation at the design and the boundary;
    - stated: (false failure, false support) as the rule states them: the computation rounded up (statement()).
    """

    words: str
    design: str
    boundary: str
    errors: Callable[[], tuple]
    stated: tuple[float, float]

    @property
    def false_failure(self) -> float:
        return self.stated[0]

    @property
    def false_support(self) -> float:
        return self.stated[1]

    def sentence(self) -> str:
        """The closing sentence: the stated figures with the design margin and boundary they hold at."""
        false_failure, false_support = self.stated
        if false_failure == 0 and false_support == 0:
            return f"False failure and false support: 0, {self.design} (lib.calibration)"
        return (f"False failure: ≤ {figure(false_failure)} {self.design}; false support: ≤ {figure(false_support)} "
                f"{self.boundary} (lib.calibration)")

    def text(self) -> str:
        """The rule as the finding and the catalogue give it."""
        if ERRORS in self.words:
            return self.words.replace(ERRORS, self.sentence())
        return f"{self.words.rstrip()} {self.sentence()}"


def deterministic(words: str, why: str) -> Rule:
    """A rule with no chance in it (a fixed grid, derandomized examples, an exact computation): both figures 0."""
    parts = [Part(why, 0.0, 0.0, f"deterministic: {why}")]
    return Rule(words, f"deterministic: {why}", "", lambda: (parts, []), (0.0, 0.0))


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


def figure(value: float) -> str:
    """A stated figure as a rule writes it: 0, 0.05, 0.008, 3e-4, 1e-12."""
    if value == 0:
        return "0"
    if value >= 1e-3:
        return f"{value:g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"
