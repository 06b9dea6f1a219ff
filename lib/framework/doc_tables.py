"""The docs' tables of results and seed verdicts, generated from records so that none can go stale.

Each table stands in README.md or docs/*.md between `<!-- generated: NAME -->` and `<!-- end: NAME -->`:
`results-at-a-glance` and `results` from the reference run's findings (docs/reference/findings.json), `stability`
from the sweeps' records (docs/stability/*.json), and `rule-<claim id>` (the catalogue's rules) from the claims'
Rule objects. `python -m lib.doc_tables` rewrites every block; `--check` only
lists the blocks that differ from what it would write (exit 1), as tests/test_doc_tables.py does;
`--reference FILE` first copies a run's findings.json in as the reference; `--screenshot INDEX_HTML` takes
docs/report.png anew from a run's report, in headless Chromium.
"""
import argparse
import functools
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from lib.framework.atomic import write_text, write_with
from lib.framework.calibration import collect

PROJECT = Path(__file__).resolve().parents[2]
REFERENCE = Path("docs/reference/findings.json")
STABILITY = Path("docs/stability")
BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)
CLAIMS = Path("claims")
RULE = "rule-"  # a block named rule-<claim id>: that claim's rule as its Rule object writes it


def reference_findings(project: Path = PROJECT) -> list[dict]:
    return sorted(json.loads((project / REFERENCE).read_text())["findings"], key=lambda f: f["id"])


def results_at_a_glance(project: Path = PROJECT) -> str:
    rows = [[f"`{f['id']}`", f["source"], _verdict(f)] for f in reference_findings(project)]
    return _table(["claim", "source", "verdict"], rows)


def results(project: Path = PROJECT) -> str:
    findings = reference_findings(project)
    rows = [[f"`{f['id']}`", f["source"], _verdict(f), f["summary"], _paper(f)] for f in findings]
    run = findings[0]["run"] if findings else {}
    head = (f"Reference run: root seed {run.get('root_seed')}, `{run.get('command')}`; {len(findings)} claims, "
            f"{sum(f['verdict'] == 'supported' for f in findings)} supported.\n\n")
    return head + _table(["claim", "source", "verdict", "measured", "the paper's number"], rows)


def stability(project: Path = PROJECT) -> str:
    """Per record of docs/stability/, each claim's verdict counts over the record's root seeds."""
    parts = []
    for path in sorted((project / STABILITY).glob("*.json")):
        record = json.loads(path.read_text())
        verdicts = seed_verdicts(record)
        seeds = sorted({seed for claim in verdicts.values() for seed in claim}, key=int)
        superseded = record.get("superseded", {})  # claims whose rule changed after the sweep
        label = lambda claim: f"`{claim}`" + (" (an earlier rule)" if claim in superseded else "")
        rows = [[label(claim), *(str(Counter(by_seed.values())[v]) for v in ("supported", "refuted", "inconclusive")),
                 "yes" if len(set(by_seed.values())) == 1 else "**no**"] for claim, by_seed in sorted(verdicts.items())]
        parts.append(f"**`{path.relative_to(project).as_posix()}`**: root seeds {_ranges(seeds)}; "
                     f"`{_command(record)}`\n\n"
                     + _table(["claim", "supported", "refuted", "inconclusive", "the same at every seed"], rows))
    return "\n\n".join(parts)


def seed_verdicts(record: dict) -> dict:
    """{claim: {seed: verdict}} from a sweep's record: a record of many claims ({seed: {claim: finding}}) or of one
    (`claim`, {seed: finding})."""
    verdicts = {}
    for seed, value in record["seeds"].items():
        found = {record["claim"]: value} if "claim" in record else value
        for claim, finding in found.items():
            verdicts.setdefault(claim, {})[seed] = finding["verdict"]
    return verdicts


def rule(claim_id: str, project: Path = PROJECT) -> str:
    """A claim's rule, as its Rule object writes it for findings, with the figures it states."""
    claims = _claims(project)
    if claim_id not in claims:
        raise ValueError(f"no claim {claim_id!r} under {project / CLAIMS}; known: {', '.join(sorted(claims))}")
    return f"> **The rule.** {claims[claim_id].rule.text()}"


@functools.cache
def _claims(project: Path) -> dict:
    """The claims under project's claims folder by id, collected once for all its rule blocks."""
    return {c.id: c for c in collect(project / CLAIMS)}


TABLES = {"results-at-a-glance": results_at_a_glance, "results": results, "stability": stability}


def documents(project: Path = PROJECT) -> list[Path]:
    return [project / "README.md", *sorted((project / "docs").glob("*.md"))]


def regenerate(text: str, project: Path = PROJECT) -> str:
    """text with every generated block's body written anew."""
    def body(match):
        name = match["name"]
        if name.startswith(RULE):
            return f"{match.group(1)}{rule(name.removeprefix(RULE), project)}\n{match.group(4)}"
        if name not in TABLES:
            raise ValueError(f"unknown generated table {name!r}; known: {', '.join(TABLES)}, {RULE}<claim id>")
        return f"{match.group(1)}{TABLES[name](project)}\n{match.group(4)}"

    return BLOCK.sub(body, text)


def stale(project: Path = PROJECT) -> list[str]:
    """The documents (relative paths) whose generated blocks differ from what regenerate writes today."""
    return [path.relative_to(project).as_posix() for path in documents(project)
            if regenerate(path.read_text(), project) != path.read_text()]


def take_reference(findings_json: Path, project: Path = PROJECT) -> None:
    """Copy a run's findings in as the reference, without the machine's own paths."""
    data = json.loads(findings_json.read_text())
    data["environment"].pop("artifacts", None)
    (project / REFERENCE).parent.mkdir(parents=True, exist_ok=True)
    write_text(project / REFERENCE, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def screenshot(report: Path, project: Path = PROJECT, width: int = 1280, height: int = 1400) -> Path:
    """docs/report.png: the report at report (a run's index.html) as headless Chromium draws it."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise ValueError("no Chromium on this machine: install Debian's chromium package to take the screenshot")
    target = project / "docs" / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        drawn = Path(profile) / "report.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={width},{height}",
                        "--virtual-time-budget=5000", f"--screenshot={drawn}", Path(report).resolve().as_uri()],
                       capture_output=True, timeout=120, check=True)
        png = drawn.read_bytes()
    write_with(target, lambda stream: stream.write(png))
    return target


def _verdict(finding: dict) -> str:
    return f"**{finding['verdict']}**" if finding["verdict"] != "supported" else finding["verdict"]


def _paper(finding: dict) -> str:
    quoted = finding["measured"].get("paper")
    return f"{quoted['value']} ({quoted['kind']})" if isinstance(quoted, dict) else ""


def _command(record: dict) -> str:
    command = record.get("command") or record.get("commands", [""])[-1]
    return command.replace("`", "'")


def _ranges(seeds: list) -> str:
    """'1–20, 20101' for seeds 1 to 20 and 20101."""
    numbers, spans = sorted(int(s) for s in seeds), []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}–{b}" if b > a else str(a) for a, b in spans)


def _table(columns: list, rows: list) -> str:
    cell = lambda value: str(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.doc_tables", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only list the documents whose tables are not current")
    parser.add_argument("--reference", type=Path, metavar="FINDINGS_JSON",
                        help="first take this run's findings.json as the reference run")
    parser.add_argument("--screenshot", type=Path, metavar="INDEX_HTML",
                        help="also take docs/report.png anew from this run's report (headless Chromium)")
    args = parser.parse_args(argv)
    if args.check:
        outdated = stale()
        print("\n".join(f"{path}: a generated table is not current" for path in outdated) or "every table is current")
        return 1 if outdated else 0
    if args.reference:
        take_reference(args.reference)
    for path in documents():
        if regenerate(path.read_text()) != path.read_text():
            write_text(path, regenerate(path.read_text()))
            print(f"wrote {path.relative_to(PROJECT)}")
    if args.screenshot:
        print(f"wrote {screenshot(args.screenshot).relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
