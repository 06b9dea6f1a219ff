"""The worked example of docs/writing-a-claim.md, as a user would add it: its block saved as claims/test_my_claim.py in
a copy of the project, then, there, pytest on the example's claim and the suite's consistency test, the calibration
command on its rule, and the docs' check. Adding a claim is one new file: nothing else in the tree needs to know it."""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUITE_CHECKS = ["tests/test_claims_declared.py"]


def docs_example() -> str:
    text = (REPO / "docs" / "writing-a-claim.md").read_text()
    section = text[text.index("## A worked example"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def project_copy(target: Path) -> Path:
    """The project's files as a fresh clone has them: tracked, and untracked but not ignored."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


def test_the_docs_example_is_one_new_file_that_passes_the_suites_checks(tmp_path):
    project = project_copy(tmp_path / "project")
    (project / "claims" / "test_my_claim.py").write_text(docs_example())
    # the copy's own plugin and lib (the installed plugin is this checkout's); this checkout's cache serves the runs
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:claims", "-p", "pytest_claims",
               "-q", f"--claims-cache={REPO / '.claims-cache'}", "claims/test_my_claim.py", *SUITE_CHECKS]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    for check in (["lib.calibration", "-k", "positive-bias-reduces-collapse"], ["lib.doc_tables", "--check"]):
        done = subprocess.run([sys.executable, "-m", *check], cwd=project, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert check[0] != "lib.calibration" or "positive-bias-reduces-collapse" in done.stdout
    findings = json.loads((project / "artifacts" / "findings.json").read_text())["findings"]
    assert [f["id"] for f in findings] == ["positive-bias-reduces-collapse"]
    assert findings[0]["verdict"] == "supported" and findings[0]["artifacts"] == ["positive-bias-reduces-collapse/collapse.png"]
    assert (project / "artifacts" / findings[0]["artifacts"][0]).exists()
