"""The suite's plugin as a user meets it: options, failure messages, findings files, xdist."""
import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from xml.etree import ElementTree
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RUN_FIELDS = {"seconds", "experiments", "run"}  # what may differ between two runs of the same findings

CLAIM_TESTS = '''
import pytest
from lib.framework.findings import Claim, paper
from lib.framework.plots import curves
from lib.framework.rules import deterministic
import numpy as np

RULE = deterministic("the rule, stated first", "a fake check")
CLAIMS = {name: Claim(f"fake-{name}", "a fake claim", "nowhere", RULE) for name in ("supported", "refuted", "known")}

def make(verdict, name=None):
    return CLAIMS[name or verdict].finding(verdict, f"measured 88.1% for {verdict}", {"rate": {"value": 0.881, "low": 0.86, "high": 0.9, "n": 1000, "confidence": 0.95}},
                                           {"statistic": "binomial"}, {"n": 1000})

@pytest.mark.claim(CLAIMS["supported"])
def test_supported(finding, artifacts):
    artifacts.save("curve", curves({"a": np.ones((2, 3))}, "x", "y", "t"))
    supported = make("supported")
    supported.measured["paper"] = paper("over 90%", "a collapse rate", "secondary", "a summary")
    finding.conclude(supported)

@pytest.mark.claim(CLAIMS["refuted"])
def test_refuted(finding):
    finding.conclude(make("refuted"))

@pytest.mark.claim(CLAIMS["known"], refuted=True)
def test_known_refuted(finding):
    finding.conclude(make("refuted", "known"))
'''

KNOWN_REFUTED = '''
import pytest
from lib.framework.findings import Claim
from lib.framework.rules import deterministic

CLAIM = Claim("fake-known", "a fake claim known to be refuted", "nowhere", deterministic("the rule", "a fake check"))

@pytest.mark.claim(CLAIM, refuted=True)
def test_refuted_as_known(finding):
    finding.conclude(CLAIM.finding("refuted", "measured 1%", {}, {}, {}))

@pytest.mark.claim(CLAIM, refuted=True)
def test_crash_inside_a_refuted_claim(finding):
    1 / 0

@pytest.mark.claim(CLAIM, refuted=True)
def test_inconclusive_inside_a_refuted_claim(finding):
    finding.conclude(CLAIM.finding("inconclusive", "undecided at the cap", {}, {}, {}))
'''

SLOW_CLAIM = '''
import pytest
from lib.framework.findings import Claim
from lib.framework.rules import deterministic

SLOW = Claim("fake-slow", "a long study", "nowhere", deterministic("the rule", "a fake check"), slow=True)
OTHER = Claim("fake-other", "another claim", "nowhere", deterministic("the rule", "a fake check"))

@pytest.mark.claim(SLOW)
def test_slow_study(finding):
    finding.conclude(SLOW.finding("supported", "held", {}, {}, {}))

@pytest.mark.claim(SLOW, control=True)
def test_control_on_the_studys_data():
    assert True

@pytest.mark.claim(SLOW, control=True, slow=False)
def test_control_on_synthetic_data():
    assert True

@pytest.mark.claim(OTHER)
def test_other_records_the_wrong_claim(finding):
    finding.conclude(SLOW.finding("supported", "held", {}, {}, {}))
'''


@pytest.fixture
def project(pytester):
    pytester.makeini(f"[pytest]\npythonpath = {REPO}\naddopts = --strict-markers\n"
                     "markers =\n    claims: c\n    slow: s\nclaims_artifacts = out\nclaims_seed = 5\n")
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


def test_a_refuted_claim_cannot_hide_a_crash_or_an_inconclusive_verdict(project):
    project.makepyfile(test_claims=KNOWN_REFUTED)
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(xfailed=1, failed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = result.stdout.str()
    assert "ZeroDivisionError" in text and "[fake-known] INCONCLUSIVE: undecided at the cap" in text


def test_findings_files_hold_every_field(project):
    project.runpytest_subprocess()
    data = json.loads((project.path / "out" / "findings.json").read_text())
    assert data["environment"]["root_seed"] == 5 and "torch" in data["environment"]
    assert [f["id"] for f in data["findings"]] == ["fake-known", "fake-refuted", "fake-supported"]
    fields = {"id", "statement", "source", "verdict", "measured", "rule", "test", "setup", "artifacts", "seconds"}
    assert all(fields <= f.keys() for f in data["findings"])
    supported = data["findings"][2]
    assert supported["artifacts"] == ["fake-supported/curve.png"]
    assert (project.path / "out" / supported["artifacts"][0]).exists()
    markdown = (project.path / "out" / "FINDINGS.md").read_text()
    assert "| [`fake-refuted`](#fake-refuted) | refuted |" in markdown and "![curve.png](fake-supported/curve.png)" in markdown
    assert "| the paper's number |" in markdown and "| over 90% (secondary: a summary) |" in markdown
    assert "<td class=\"paper\">over 90% (secondary: a summary)</td>" in (project.path / "out" / "index.html").read_text()


def test_xdist_gives_the_same_findings_as_a_serial_run(project):
    def findings(*args):
        project.runpytest_subprocess(*args)
        records = json.loads((project.path / "out" / "findings.json").read_text())["findings"]
        return [{k: v for k, v in f.items() if k not in RUN_FIELDS} for f in records]

    assert findings() == findings("-n", "2")


@pytest.mark.parametrize("args, message", [
    (["--claims-seed", "abc"], "claims seed 'abc' is not an integer"),
    (["--claims-seed", "-3"], "claims seed '-3' is negative"),
    (["--claims-artifacts", "/proc/no-such-place"], "artifacts folder '/proc/no-such-place' cannot be written"),
    (["--claims-device", "tpu"], "device 'tpu'"),
    (["--claims-cache-max", "lots"], "cache size 'lots' is not a size; give a number with a unit: 500MB, 2GB"),
])
def test_bad_options_stop_the_run_with_one_line(project, args, message):
    result = project.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert not (project.path / "out" / "findings.json").exists()


def test_artifacts_go_to_an_existing_folder_outside_the_project(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere")
    result = project.runpytest_subprocess(f"--claims-artifacts={outside}")
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    assert f"rootdir: {project.path}" in result.stdout.str()
    assert {p.name for p in outside.iterdir()} >= {"findings.json", "FINDINGS.md", "index.html", "fake-supported"}


def test_a_folder_outside_the_project_after_a_space_asks_for_the_equals_form(project, tmp_path_factory):
    """pytest reads the folder after a space as a test path before it loads the plugin (and then misses the project's
    ini file): one line saying so, not a run without the project's settings."""
    outside = tmp_path_factory.mktemp("elsewhere")
    result = project.runpytest_subprocess("--claims-artifacts", str(outside))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"write --claims-artifacts={outside}" in result.stderr.str() and not list(outside.iterdir())


def test_compare_lists_what_changed_against_an_earlier_findings_file(project, tmp_path):
    project.runpytest_subprocess()
    earlier = json.loads((project.path / "out" / "findings.json").read_text())
    supported = next(f for f in earlier["findings"] if f["id"] == "fake-supported")
    supported["verdict"] = "refuted"
    supported["measured"]["rate"] = {"value": 0.5, "low": 0.45, "high": 0.55, "n": 1000}
    (tmp_path / "earlier.json").write_text(json.dumps(earlier))
    result = project.runpytest_subprocess(f"--claims-compare={tmp_path / 'earlier.json'}")
    result.stdout.fnmatch_lines(["*claims: compared*", "*2 differences", "fake-supported: verdict refuted → supported",
                                 "fake-supported: rate 0.5 [0.45, 0.55] (n = 1000) → 0.881 [0.86, 0.9] (n = 1000)"])
    same = project.runpytest_subprocess(f"--claims-compare={project.path / 'out' / 'findings.json'}")
    assert "no verdict changed and no number moved outside its interval" in same.stdout.str()


def test_compare_with_an_unreadable_file_stops_before_any_test(project, tmp_path):
    result = project.runpytest_subprocess(f"--claims-compare={tmp_path / 'none.json'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "cannot compare with" in result.stderr.str() and "not a readable findings.json" in result.stderr.str()


def test_the_plugin_uses_public_pytest_api_only():
    """No `_pytest` import and no assignment to an underscore attribute: pytest's private state may change in any
    release."""
    tree = ast.parse((REPO / "pytest_claims.py").read_text())
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in imports for a in n.names] + [n.module or "" for n in imports if isinstance(n, ast.ImportFrom)]
    assert not [name for name in names if name.split(".")[0] == "_pytest"]
    targets = [t for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
               for t in (n.targets if isinstance(n, ast.Assign) else [n.target])]
    attributes = [a for t in targets for a in ast.walk(t) if isinstance(a, ast.Attribute)]
    assert not [a.attr for a in attributes if a.attr.startswith("_")]


def test_every_option_and_ini_key_is_prefixed_claims(pytestconfig):
    group = pytestconfig.pluginmanager.get_plugin("claims")
    names = [name for name in group.OPTIONS] + ["--no-claims-cache", "--claims-slow"]
    assert all(name.startswith(("--claims-", "--no-claims-")) for name in names)
    assert all(option.key.startswith("claims_") for option in group.OPTIONS.values())


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_partial_run_keeps_the_other_findings_marked_stale_and_a_full_run_replaces_them(project, workers):
    project.runpytest_subprocess("--claims-seed", "1", *workers)
    partial = project.runpytest_subprocess("--claims-seed", "2", "-k", "test_supported", *workers)
    records = {f["id"]: f for f in json.loads((project.path / "out" / "findings.json").read_text())["findings"]}
    assert set(records) == {"fake-known", "fake-refuted", "fake-supported"}
    assert records["fake-supported"]["run"]["root_seed"] == 2 and records["fake-refuted"]["run"]["root_seed"] == 1
    assert "--claims-seed 1" in records["fake-refuted"]["run"]["command"]
    markdown = (project.path / "out" / "FINDINGS.md").read_text()
    assert markdown.count("stale: from the run of") == 4  # two claims, each in the table and in its section
    assert "seed 1" in markdown and "[stale: from the run of" in partial.stdout.str()
    html = (project.path / "out" / "index.html").read_text()
    assert html.count('class="stale"') == 4 and html.count('<tr class="finding">') == 3
    project.runpytest_subprocess("--claims-seed", "3", *workers)
    assert "stale: from" not in (project.path / "out" / "FINDINGS.md").read_text()


def test_an_unreadable_findings_file_is_set_aside_with_one_warning(project):
    (project.path / "out").mkdir()
    (project.path / "out" / "findings.json").write_text('{"findings": [ truncated')
    result = project.runpytest_subprocess()
    aside = list((project.path / "out").glob("findings.json.unreadable-*"))
    assert len(aside) == 1 and aside[0].read_text() == '{"findings": [ truncated'
    assert result.stdout.str().count("could not be read") == 1
    assert len(json.loads((project.path / "out" / "findings.json").read_text())["findings"]) == 3


def test_junit_xml_carries_each_claims_verdict_summary_and_figures(project):
    project.runpytest_subprocess("--junitxml", "junit.xml")
    cases = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in ElementTree.parse(project.path / "junit.xml").getroot().iter("testcase")}
    assert cases["test_supported"]["verdict"] == "supported"
    assert cases["test_supported"]["figures"] == "fake-supported/curve.png"
    assert cases["test_refuted"]["summary"] == "measured 88.1% for refuted"


def test_slow_studies_are_skipped_saying_why_unless_asked_for(pytester):
    pytester.makeini("[pytest]\nclaims_artifacts = out\nmarkers =\n    slow: s\n")
    pytester.makepyfile(test_study="import pytest\n\n@pytest.mark.slow\ndef test_study():\n    assert True\n")
    skipped = pytester.runpytest_subprocess("-rs")
    skipped.assert_outcomes(skipped=1)
    skipped.stdout.fnmatch_lines(["*a slow study*run it with --claims-slow*"])
    pytester.runpytest_subprocess("--claims-slow").assert_outcomes(passed=1)


def test_a_slow_claims_test_and_controls_are_skipped_unless_a_control_needs_no_slow_study(project):
    project.makepyfile(test_claims=SLOW_CLAIM)
    default = project.runpytest_subprocess("-rs", "-k", "slow or control")
    default.assert_outcomes(skipped=2, passed=1)
    assert default.stdout.str().count("a slow study") == 2
    project.runpytest_subprocess("--claims-slow", "-k", "slow or control").assert_outcomes(passed=3)


def test_a_test_tied_to_one_claim_cannot_record_another(project):
    project.makepyfile(test_claims=SLOW_CLAIM)
    result = project.runpytest_subprocess("-k", "wrong_claim")
    result.assert_outcomes(failed=1)
    assert "is tied to claim 'fake-other' but recorded a finding of 'fake-slow'" in result.stdout.str()


def test_a_refuted_claims_xfail_gives_this_runs_finding_as_its_reason(project):
    result = project.runpytest_subprocess("-rx", "-k", "known")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["XFAIL test_claims.py::test_known_refuted - finding: measured 88.1% for refuted"])


def test_the_claim_marker_takes_a_claim(project):
    project.makepyfile(test_claims="import pytest\n\n@pytest.mark.claim('an id')\ndef test_x():\n    pass\n")
    result = project.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pytest.mark.claim takes the test's Claim, not 'an id'" in result.stderr.str()


def test_the_plugin_stays_out_of_a_project_that_does_not_configure_it(pytester):
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "artifacts").exists() and not (pytester.path / ".claims-cache").exists()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def open_in_chromium(page: Path, *extra: str) -> str:
    """The page's DOM after it loaded in headless Chromium (no network, a fresh profile)."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=5000", *extra, "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120)
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs Debian's chromium package)")
def test_the_html_report_opens_in_a_real_browser_with_every_image_loaded(project):
    project.runpytest_subprocess()
    dom = open_in_chromium(project.path / "out" / "index.html")
    body = re.search(r"<body([^>]*)>", dom).group(1)
    loaded, total = (int(re.search(rf'data-images-{k}="(\d+)"', body).group(1)) for k in ("loaded", "total"))
    assert total == 2 and loaded == total  # the thumbnail and the figure of fake-supported
    assert dom.count('<tr class="finding">') == 3 and 'data-findings="3"' in body


def test_no_test_in_tests_carries_the_claims_mark():
    """`pytest -m claims` does not collect tests/ (conftest.py): safe while none of its tests is a claim. The same
    selection, spelt so that conftest.py does not recognise it, collects tests/ and must find no test."""
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m",
                             "(claims)", "tests"], cwd=REPO, capture_output=True, text=True)
    deselected = re.search(r"no tests collected \((\d+) deselected\)", result.stdout)
    assert result.returncode == 5 and deselected and int(deselected.group(1)) > 0, result.stdout[-2000:]


def test_claims_alone_leave_tests_uncollected():
    """`pytest -m claims` collects claims/ alone: nothing is collected only to be deselected."""
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m",
                             "claims"], cwd=REPO, capture_output=True, text=True)
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert result.returncode == 0 and collected and all(line.startswith("claims/") for line in collected)
    assert f"{len(collected)} tests collected" in result.stdout and "deselected" not in result.stdout
