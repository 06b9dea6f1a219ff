"""artifacts/index.html: the report a person opens, self-contained in the artifacts folder (Jinja2 template)."""
from dataclasses import asdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from lib.framework.findings import Finding, format_value, paper_text
from lib.framework.record import staleness
from lib.framework.report import sentence_case, suite_false_failure
from lib.framework.rules import figure

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(findings: list[Finding], run: dict) -> str:
    """The HTML report of findings; figure paths stay relative to the artifacts folder, where the page lives."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    rows = [asdict(f) | {"stale": staleness(f, run), "test_text": format_value(f.test),
                         "setup_text": format_value(f.setup), "paper_text": paper_text(f), "level": figure(f.false_support),
                         "measured_text": [(k, format_value(v)) for k, v in f.measured.items()]}
            for f in sorted(findings, key=lambda f: f.id)]
    return environment.get_template("index.html.j2").render(findings=rows, run=run,
                                                             bound=sentence_case(suite_false_failure(findings)))
