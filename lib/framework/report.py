"""findings.json, FINDINGS.md and the terminal table from the record of findings (lib/framework/record.py)."""
import json
from pathlib import Path

from lib.framework.findings import Finding, format_value, paper_text
from lib.framework.record import staleness
from lib.framework.rules import figure, round_up


def suite_false_failure(findings: list[Finding]) -> str:
    """The family-wise statement: the chance that any of these claims says 'supported' while on its boundary is at
    most the sum of their levels (their stated false support), and that any true claim fails at most the sum of their
    false failures: Bonferroni's union bound, which holds whatever the dependence between the claims."""
    failure = min(1.0, sum(f.false_failure for f in findings))
    support = min(1.0, sum(f.false_support for f in findings))
    return (f"family-wise false support ≤ {round_up(support, 2):g}, the sum of the {len(findings)} claims' levels "
            f"(each claim's false support, beside it); family-wise false failure ≤ {round_up(failure, 2):g} "
            "(Bonferroni's union bound, valid under any dependence between the claims: python -m lib.calibration)")


def sentence_case(text: str) -> str:
    """text with its first letter capital and the rest as written (str.capitalize lowers proper names)."""
    return text[:1].upper() + text[1:]


def findings_json(findings: list[Finding], environment: dict) -> str:
    records = [json.loads(f.to_json()) for f in sorted(findings, key=lambda f: f.id)]
    return json.dumps({"environment": environment, "findings": records}, indent=2) + "\n"


def verdict_text(finding: Finding, run: dict) -> str:
    """The verdict, marked when the finding is not from this run."""
    stale = staleness(finding, run)
    return f"{finding.verdict} ({stale})" if stale else finding.verdict


def findings_markdown(findings: list[Finding], run: dict) -> str:
    """A table of all findings, then a section per claim; figure paths are relative to the artifacts folder."""
    findings = sorted(findings, key=lambda f: f.id)
    lines = ["# Findings", "", f"Run of {run['time']}, root seed {run['root_seed']}, commit {run['commit']}: "
             f"`{run['command']}`. " + sentence_case(suite_false_failure(findings)) + ".", "",
             "| id | verdict | level | measured | the paper's number | source |", "|---|---|---|---|---|---|"]
    lines += [f"| [`{f.id}`](#{f.id}) | {_cell(verdict_text(f, run))} | {figure(f.false_support)} | {_cell(f.summary)} | "
              f"{_cell(paper_text(f))} | {f.source} |" for f in findings]
    for f in findings:
        lines += ["", f"## {f.id}", "", f"**{verdict_text(f, run)}**: {f.summary}", "",
                  f"- claim: {f.statement} ({f.source})", f"- rule: {f.rule}",
                  f"- false-failure probability: {f.false_failure:.1e}; false-support probability: {f.false_support:.1e}",
                  f"- test: {format_value(f.test)}", f"- setup: {format_value(f.setup)}",
                  f"- seconds: {f.seconds:.1f} (experiments: {f.experiments or 'none'})"]
        lines += [f"- {key}: {format_value(value)}" for key, value in f.measured.items()]
        for table in f.tables:
            lines += ["", f"**{table['title']}**", "", _table(table["columns"], table["rows"])]
        lines += [""] + [f"![{Path(p).name}]({p})" for p in f.artifacts]
    return "\n".join(lines) + "\n"


def terminal_table(findings: list[Finding], run: dict) -> list[str]:
    findings = sorted(findings, key=lambda f: f.id)
    width = max((len(f.id) for f in findings), default=2)
    lines = [f"{f.id:<{width}}  {f.verdict:<12}  level {figure(f.false_support):<6}  {f.summary}"
             + (f"  [{staleness(f, run)}]" if staleness(f, run) else "") for f in findings]
    return lines + [suite_false_failure(findings)]


def _table(columns, rows) -> str:
    head = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(head + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows])


def _cell(value) -> str:
    """A value safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|")
