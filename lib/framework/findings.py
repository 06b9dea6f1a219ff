"""A claim, the finding a test records about it, and how a finding reads as text."""
import json
from dataclasses import asdict, dataclass, field

from lib.framework.rules import Rule
from lib.framework.stats import constant_note

VERDICTS = ("supported", "refuted", "inconclusive")


def combine_verdicts(verdicts) -> str:
    """A claim made of parts: 'supported' if every part is, 'refuted' if any part is, else 'inconclusive'."""
    verdicts = list(verdicts)
    if "refuted" in verdicts:
        return "refuted"
    return "supported" if verdicts and set(verdicts) == {"supported"} else "inconclusive"


class ClaimRefuted(Exception):
    """Raised when a claim's finding says 'refuted': the one exception a refuted claim's xfail names in raises=, so
    that a crash or an inconclusive verdict in such a claim still turns the run red."""

    def __init__(self, finding: "Finding"):
        super().__init__(finding.text())
        self.finding = finding


@dataclass(frozen=True)
class Claim:
    """A claim of docs/claims.md, in its source's words, and its verdict rule, fixed before anything is measured
    (lib.framework.rules.Rule: the rule's words, its design, its error rates). slow: a long study, skipped unless
    --claims-slow."""

    id: str
    statement: str
    source: str
    rule: Rule
    slow: bool = False

    @property
    def false_failure(self) -> float:
        """P(the test fails while the claim is true), at the margin the rule is designed for."""
        return self.rule.false_failure

    @property
    def false_support(self) -> float:
        """P(the test says 'supported' while the claim is false), at the claim's boundary."""
        return self.rule.false_support

    def finding(self, verdict: str, summary: str, measured: dict, test: dict, setup: dict, **extra) -> "Finding":
        """The finding of this claim with what was measured."""
        measured, test, setup = (json.loads(json.dumps(d, default=_plain)) for d in (measured, test, setup))
        return Finding(id=self.id, statement=self.statement, source=self.source, rule=self.rule.text(),
                       false_failure=self.false_failure, false_support=self.false_support, verdict=verdict,
                       summary=summary, measured=measured, test=test, setup=setup, **extra)


NUMBER = (int, float)
FIELD_TYPES = {"id": str, "statement": str, "source": str, "rule": str, "verdict": str, "summary": str,
               "measured": dict, "test": dict, "setup": dict, "false_failure": NUMBER, "false_support": NUMBER,
               "tables": list, "artifacts": list, "seconds": NUMBER, "experiments": str, "run": dict}


def _names(kind) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


@dataclass
class Finding:
    """One record per claim: the same in findings.json, FINDINGS.md, the terminal and a failure."""

    id: str
    statement: str
    source: str
    rule: str
    verdict: str
    summary: str  # the key measured value in one line
    measured: dict
    test: dict
    setup: dict
    false_failure: float = 0.0  # the claim's stated false-failure probability (0: deterministic)
    false_support: float = 0.0  # the claim's stated false-support probability (lib.framework.calibration)
    tables: list = field(default_factory=list)  # [{"title", "columns", "rows"}], e.g. a sensitivity study
    artifacts: list = field(default_factory=list)  # figure paths, relative to the artifacts folder
    seconds: float = 0.0
    experiments: str = ""  # where its experiments came from: "computed", "from the cache", … (lib/framework/cache.py)
    run: dict = field(default_factory=dict)  # the run it came from: id, root seed, time, commit, command (lib/framework/record.py)

    def __post_init__(self):
        for name, kind in FIELD_TYPES.items():
            if not isinstance(getattr(self, name), kind):
                raise ValueError(f"finding field {name!r} is {type(getattr(self, name)).__name__}, not {_names(kind)}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; known: {', '.join(VERDICTS)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_plain)

    @classmethod
    def from_json(cls, text: str) -> "Finding":
        return cls(**json.loads(text))

    def text(self) -> str:
        """The finding as a failure message: claim, verdict, measured, rule, setup, figures."""
        lines = [
            f"[{self.id}] {self.verdict.upper()}: {self.summary}",
            f"  claim:  {self.statement} ({self.source})",
            f"  rule:   {self.rule}",
            f"  false-failure probability: {self.false_failure:.1e}; false-support probability: "
            f"{self.false_support:.1e}",
            f"  test:   {format_value(self.test)}",
            f"  setup:  {format_value(self.setup)}",
        ]
        lines += [f"  {key}: {format_value(value)}" for key, value in self.measured.items()]
        lines += [f"  figure: {path}" for path in self.artifacts]
        return "\n".join(lines)


PAPER_KINDS = ("primary", "secondary", "derivation")


def paper(value: str, what: str, kind: str, where: str) -> dict:
    """The source's own number beside ours, for measured["paper"]: the value, what it is, whether it is read from the
    paper itself (primary), from a summary of it (secondary) or derived (derivation), and where it comes from."""
    if kind not in PAPER_KINDS:
        raise ValueError(f"unknown kind of published number {kind!r}; known: {', '.join(PAPER_KINDS)}")
    return {"value": value, "what": what, "kind": kind, "where": where}


def paper_text(finding: "Finding") -> str:
    """The published number of a finding in one line ('' when it quotes none)."""
    quoted = finding.measured.get("paper")
    if not isinstance(quoted, dict):
        return ""
    return f"{quoted['value']} ({quoted['kind']}: {quoted['where']})"


def format_value(value) -> str:
    """A recorded value as text: an estimate as 'value [low, high] (n = …)', a mapping as k = v pairs."""
    if isinstance(value, dict) and {"value", "low", "high", "n"} <= value.keys():
        if value.get("constant"):
            return f"{value['value']:.4g} ({constant_note(value['n'])})"
        return f"{value['value']:.4g} [{value['low']:.4g}, {value['high']:.4g}] (n = {value['n']})"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {format_value(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and all(isinstance(v, float) for v in value):
        return "[" + ", ".join(f"{v:.4g}" for v in value) + "]"
    return json.dumps(value) if not isinstance(value, str) else value


def _plain(value):
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot record {type(value).__name__} in a finding")
