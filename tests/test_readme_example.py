"""The worked example of docs/writing-a-claim.md, run as a user would: its block saved as a claim file, then pytest."""
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    text = (REPO / "docs" / "writing-a-claim.md").read_text()
    section = text[text.index("## A worked example"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_claim_runs_and_records_its_finding(pytester):
    pytester.makeini(f"[pytest]\npythonpath = {REPO}\naddopts = --strict-markers\n"
                     "markers =\n    claims: c\n    slow: s\nclaims_artifacts = out\n")
    pytester.makepyfile(test_my_claim=readme_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--claims-cache={REPO / '.claims-cache'}")
    result.assert_outcomes(passed=2)
    findings = json.loads((pytester.path / "out" / "findings.json").read_text())["findings"]
    assert [f["id"] for f in findings] == ["positive-bias-reduces-collapse"]
    assert findings[0]["verdict"] == "supported" and findings[0]["artifacts"]
    assert (pytester.path / "out" / findings[0]["artifacts"][0]).exists()
