"""The suite's plugin as a user meets it: options, failure messages, findings files, xdist."""
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

CLAIM_TESTS = '''
import pytest
from lib.findings import Claim
from lib.plots import curves
import numpy as np

pytestmark = pytest.mark.claims

def make(verdict):
    claim = Claim(f"fake-{verdict}", "a fake claim", "nowhere", "the rule, stated first")
    return claim.finding(verdict, f"measured 88.1% for {verdict}", {"rate": {"value": 0.881, "low": 0.86, "high": 0.9, "n": 1000, "confidence": 0.95}},
                         {"statistic": "binomial"}, {"n": 1000})

def test_supported(finding, artifacts):
    artifacts.save("fake-supported", "curve", curves({"a": np.ones((2, 3))}, "x", "y", "t"))
    finding.conclude(make("supported"))

def test_refuted(finding):
    finding.conclude(make("refuted"))

@pytest.mark.xfail(strict=True, reason="a refuted claim stays in the suite")
def test_known_refuted(finding):
    finding.conclude(make("inconclusive"))
'''


@pytest.fixture
def project(pytester):
    pytester.makeconftest((REPO / "conftest.py").read_text())
    pytester.makeini(f"[pytest]\npythonpath = {REPO}\naddopts = --strict-markers\n"
                     "markers =\n    claims: c\n    slow: s\nartifacts = out\nclaims_seed = 5\n")
    pytester.makepyfile(test_claims=CLAIM_TESTS)
    return pytester


def test_a_refuted_claim_fails_with_its_finding_and_no_traceback(project):
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    text = result.stdout.str()
    assert "[fake-refuted] REFUTED: measured 88.1% for refuted" in text
    assert "rule:   the rule, stated first" in text and "0.881 [0.86, 0.9] (n = 1000)" in text
    assert "Traceback" not in text and "def test_refuted" not in text
    assert "claims: findings" in text


def test_findings_files_hold_every_field(project):
    project.runpytest_subprocess()
    data = json.loads((project.path / "out" / "findings.json").read_text())
    assert data["environment"]["root_seed"] == 5 and "torch" in data["environment"]
    assert [f["id"] for f in data["findings"]] == ["fake-inconclusive", "fake-refuted", "fake-supported"]
    fields = {"id", "statement", "source", "verdict", "measured", "rule", "test", "setup", "artifacts", "seconds"}
    assert all(fields <= f.keys() for f in data["findings"])
    supported = data["findings"][2]
    assert supported["artifacts"] == ["fake-supported/curve.png"]
    assert (project.path / "out" / supported["artifacts"][0]).exists()
    markdown = (project.path / "out" / "FINDINGS.md").read_text()
    assert "| [`fake-refuted`](#fake-refuted) | refuted |" in markdown and "![curve.png](fake-supported/curve.png)" in markdown


def test_xdist_gives_the_same_findings_as_a_serial_run(project):
    def findings(*args):
        project.runpytest_subprocess(*args)
        records = json.loads((project.path / "out" / "findings.json").read_text())["findings"]
        return [{k: v for k, v in f.items() if k != "seconds"} for f in records]

    assert findings() == findings("-n", "2")


@pytest.mark.parametrize("args, message", [
    (["--claims-seed", "abc"], "claims seed 'abc' is not an integer"),
    (["--claims-seed", "-3"], "claims seed '-3' is negative"),
    (["--artifacts", "/proc/no-such-place"], "artifacts folder '/proc/no-such-place' cannot be written"),
    (["--device", "tpu"], "device 'tpu'"),
])
def test_bad_options_stop_the_run_with_one_line(project, args, message):
    result = project.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert not (project.path / "out" / "findings.json").exists()
