"""The suite's pytest plugin: options, the `finding` and `artifacts` fixtures, and the session report.

Installed through the `pytest11` entry point (pyproject.toml), so its options are known before pytest
reads the command line. It acts only in a project that configures it (an ini key such as `claims_seed`)
or when one of its options is given. Thin by design: every computation lives in lib/. Installed, it loads with
every pytest run in its environment, so what is heavy (torch, scipy, matplotlib) is imported only where a run of
the suite needs it.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from lib.framework import cache_limit, progress

COLLECTOR = pytest.StashKey["FindingsCollector"]()
SETTINGS = pytest.StashKey[dict]()
CACHE = pytest.StashKey["ExperimentCache"]()
RECORD = pytest.StashKey[tuple]()
PRUNED = pytest.StashKey[cache_limit.Pruned]()


class Option(NamedTuple):
    """An option of the suite: its ini key, its default, what it sets (its help), and its value's name."""

    key: str
    default: str | None
    help: str
    metavar: str | None = None


# Every option with a value, read in one place (_option): the command line wins over the ini file, which wins over
# the default.
OPTIONS = {
    "--claims-artifacts": Option("claims_artifacts", "artifacts", "folder for figures and findings", "DIR"),
    "--claims-seed": Option("claims_seed", "20101", "root seed of every stochastic claim", "N"),
    "--claims-device": Option("claims_device", "cpu", "torch device for the engine: cpu or cuda[:N]", "D"),
    "--claims-cache": Option("claims_cache", ".claims-cache", "folder of the experiment cache", "DIR"),
    "--claims-cache-max": Option("claims_cache_max", "2GB", "after the run, remove least-recently-used cache entries "
                                 "until the cache fits in SIZE (500MB, 2GB; never one this run used)", "SIZE"),
    "--claims-compare": Option("claims_compare", None, "after the summary, list each claim whose verdict changed and "
                               "each key number that moved outside its interval against an earlier findings.json",
                               "PATH"),
}


def pytest_addoption(parser):
    group = parser.getgroup("claims", "scientific claims")
    for name, option in OPTIONS.items():
        default = f", default {option.default}" if option.default else ""
        group.addoption(name, default=None, metavar=option.metavar, help=f"{option.help} (ini: {option.key}{default})")
        parser.addini(option.key, option.help, default=None)
    group.addoption("--no-claims-cache", action="store_true", help="compute every experiment; read and write no cache")
    group.addoption("--claims-slow", action="store_true",
                    help="run the slow studies too (tests marked slow; skipped otherwise, saying so) (ini: claims_slow)")
    parser.addini("claims_slow", "run the slow studies too (true or false)", type="bool", default=False)


SLOW_SKIP = "a slow study (tens of minutes or more on 2 cores): run it with --claims-slow"
CLAIM_MARKER = ("claim(CLAIM, refuted=False, control=False, slow=None): ties a test to its claim. The claim's own test "
                "records its finding (refuted=True: a strict xfail on ClaimRefuted, its reason the finding); a control "
                "(control=True) checks that its rule can fail. A slow claim's tests are skipped unless --claims-slow "
                "(slow=False keeps a control that needs no slow study)")
CLAIM_OF = pytest.StashKey[object]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Ties each test marked claim(...) to its claim (before -m selects: such a test is a claim's), then skips the
    tests marked slow, with the reason, unless --claims-slow is given (pytest's own recipe)."""
    if not _active(config):
        return
    recorded = _recorded_summaries(config)
    for item in items:
        if item.get_closest_marker("claim") is not None:
            _tie(item, item.get_closest_marker("claim"), recorded)
    if config.getoption("claims_slow") or config.getini("claims_slow"):
        return
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=SLOW_SKIP))


def _tie(item, marker, recorded: dict) -> None:
    """The marks a test takes from its claim: claims; slow where the claim is; a refuted claim's strict xfail."""
    from lib.framework.findings import Claim, ClaimRefuted

    claim = marker.args[0] if marker.args else None
    if not isinstance(claim, Claim):
        raise pytest.UsageError(f"{item.nodeid}: pytest.mark.claim takes the test's Claim, not {claim!r}")
    control = marker.kwargs.get("control", False)
    item.stash[CLAIM_OF] = claim
    item.add_marker(pytest.mark.claims)
    if marker.kwargs.get("slow", claim.slow):
        item.add_marker(pytest.mark.slow)
    if marker.kwargs.get("refuted", False) and not control:
        reason = f"finding: {recorded[claim.id]}" if claim.id in recorded else "refuted: its finding gives the numbers"
        item.add_marker(pytest.mark.xfail(strict=True, raises=ClaimRefuted, reason=reason))


def _recorded_summaries(config) -> dict:
    """{claim id: summary} of the refuted findings in the artifacts folder's record ({} where there is none)."""
    try:
        path = config.stash[SETTINGS]["artifacts"] / "findings.json"
        findings = json.loads(path.read_text())["findings"]
        return {f["id"]: f["summary"] for f in findings if f.get("verdict") == "refuted"}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _active(config) -> bool:
    """Whether this run is the suite's: its project's ini sets one of our keys, or one of our options is given."""
    return (any(config.getini(option.key) is not None for option in OPTIONS.values())
            or any(config.getoption(name) is not None for name in OPTIONS) or config.getoption("--no-claims-cache"))


def _option(config, name: str):
    """An option's value: the command line's, else the ini file's, else its default."""
    for value in (config.getoption(name), config.getini(OPTIONS[name].key)):
        if value is not None:
            return value
    return OPTIONS[name].default


def _setting(config, name: str, parse):
    """parse(the option's raw value), or a usage error in one line naming where the bad value came from: the flag,
    the ini key, or the default."""
    try:
        return parse(_option(config, name))
    except ValueError as error:
        if config.getoption(name) is not None:
            where = name
        elif config.getini(OPTIONS[name].key) is not None:
            where = f"ini key {OPTIONS[name].key}"
        else:
            where = f"{name} (default)"
        raise pytest.UsageError(f"{where}: {error}") from None


def _path(config, name: str, raw: str | None) -> Path | None:
    """A path option's value: relative to where pytest was started when given on the command line, else to the ini
    file's folder; None when there is none; a ValueError when it is empty."""
    if raw is None:
        return None
    if not str(raw).strip():
        raise ValueError("an empty path; give a folder or file name")
    if config.getoption(name) is not None:
        _refuse_folder_taken_for_a_test_path(config, name, raw)
        return Path(config.invocation_params.dir, Path(raw).expanduser())
    return Path(config.rootpath, Path(raw).expanduser())


def _refuse_folder_taken_for_a_test_path(config, name: str, given: str) -> None:
    """pytest finds its rootdir and ini file before it loads installed plugins, so in `--claims-artifacts DIR`, with a
    space, it takes an existing DIR outside the project for a test path and looks for the ini file from there: it finds
    none, or one above DIR, not the project's. The `=` form is read right: ask for it, in one line, rather than run
    without the project's settings."""
    args = list(config.invocation_params.args)
    spaced = any(a == name and b == given for a, b in zip(args, args[1:]))
    folder = Path(config.invocation_params.dir, Path(given).expanduser()).resolve()
    if not (spaced and folder.is_dir()):
        return
    ini_folder = None if config.inipath is None else config.inipath.parent.resolve()
    if ini_folder is None or (folder.is_relative_to(ini_folder)
                              and not Path(config.invocation_params.dir).resolve().is_relative_to(ini_folder)):
        raise pytest.UsageError(f"{name} {given}: pytest takes an existing folder outside the project, after a space, "
                                f"for a test path; write {name}={given}")


def _earlier_findings(path: Path | None) -> tuple[Path, dict] | None:
    """The findings.json to compare this run's with, read now: a bad path fails before any test runs."""
    from lib.framework.compare import read_findings

    return None if path is None else (path, read_findings(path))


def pytest_configure(config):
    config.addinivalue_line("markers", CLAIM_MARKER)
    if not _active(config):
        return
    from lib.engine import device
    from lib.framework import settings
    from lib.framework.cache import ExperimentCache

    read = lambda name, parse: _setting(config, name, parse)
    folder = lambda name, what: read(name, lambda raw: settings.prepare_writable_dir(_path(config, name, raw), what))
    config.stash[SETTINGS] = {
        "seed": read("--claims-seed", settings.parse_seed),
        "artifacts": folder("--claims-artifacts", "artifacts folder"),
        "device": read("--claims-device", device.parse_device),
        "threads_per_process": device.set_thread_count(_xdist_workers(config) or _worker_count(config)),
        "cache": None if config.getoption("--no-claims-cache") else folder("--claims-cache", "claims cache folder"),
        "cache_max": read("--claims-cache-max", cache_limit.parse_size),
        "compare": read("--claims-compare", lambda raw: _earlier_findings(_path(config, "--claims-compare", raw))),
        "started_at": time.time(),  # cache entries used since then belong to this run: never pruned
    }
    config.stash[CACHE] = read("--claims-cache", lambda _: ExperimentCache(config.stash[SETTINGS]["cache"]))
    config.stash[COLLECTOR] = FindingsCollector()
    config.pluginmanager.register(config.stash[COLLECTOR], "claims-findings")
    if config.getoption("verbose") >= 0 and not hasattr(config, "workerinput"):  # quiet under -q and in xdist workers
        progress.set_reporter(lambda text: _progress_line(config, text))


def pytest_unconfigure(config):
    progress.set_reporter(None)


def _settings(config) -> dict:
    if SETTINGS not in config.stash:
        raise pytest.UsageError("the claims plugin is not configured here: set claims_seed (and the other claims "
                                "keys) in the project's pytest.ini, or pass --claims-seed")
    return config.stash[SETTINGS]


def _progress_line(config, text: str) -> None:
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if terminal is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # as pytest's live logging writes while a test runs
            terminal.ensure_newline()
            terminal.write_line(f"  claims: {text}", cyan=True)


def _xdist_workers(config) -> int:
    """How many xdist workers share this machine (0 without xdist)."""
    return int(getattr(config.option, "numprocesses", None) or 0)


def _worker_count(config) -> int:
    """Inside an xdist worker, how many workers there are; 1 elsewhere."""
    return int(config.workerinput.get("workercount", 1)) if hasattr(config, "workerinput") else 1


@pytest.fixture(scope="session")
def run_settings(pytestconfig) -> dict:
    """The validated seed, artifacts folder, device and threads per process of this run."""
    return _settings(pytestconfig)


@pytest.fixture(scope="session")
def experiment_cache(pytestconfig) -> ExperimentCache:
    """The experiment cache of this run (lib/framework/cache.py): each expensive experiment computed once."""
    _settings(pytestconfig)
    return pytestconfig.stash[CACHE]


@pytest.fixture(scope="session")
def device(run_settings) -> str:
    return run_settings["device"]


@pytest.fixture(scope="session")
def seeds(run_settings):
    """seeds(claim_id): the claim's SeedSequence, from the root seed and the claim id."""
    from lib.framework.seeding import claim_seed_sequence

    return lambda claim_id: claim_seed_sequence(run_settings["seed"], claim_id)


class Artifacts:
    """Saves one test's figures as PNG under <artifacts>/<claim id>/ (the claim its marker names) and remembers their
    paths (relative to the artifacts folder, as findings record them); a figure drawn before from the same values
    comes from the experiment cache's folder, store (lib.framework.figure_store), when there is one."""

    def __init__(self, root: Path, store: Path | None = None, claim_id: str | None = None):
        self.root, self.store, self.claim_id, self.paths = root, store, claim_id, []

    def save(self, name: str, figure, claim_id: str | None = None) -> str:
        """Save figure as <claim id>/<name>.png: this test's claim's, or claim_id's where given."""
        from lib.framework.plots import save_figure

        claim_id = claim_id or self.claim_id
        if claim_id is None:
            raise ValueError(f"figure {name!r}: this test has no pytest.mark.claim(...) to save it under; pass claim_id")
        path = save_figure(figure, self.root / claim_id / f"{name}.png", self.store)
        self.paths.append(str(path.relative_to(self.root)))
        return str(path)


@pytest.fixture
def artifacts(request, run_settings) -> Artifacts:
    claim = request.node.stash.get(CLAIM_OF, None)
    return Artifacts(run_settings["artifacts"], run_settings["cache"], claim.id if claim is not None else None)


STARTED = pytest.StashKey[tuple]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # a finding's seconds, and where its experiments came from, include the fixtures it set up
    if CACHE in item.config.stash:
        item.stash[STARTED] = (time.perf_counter(), len(item.config.stash[CACHE].log))


class FindingRecorder:
    """conclude(finding): record it for the report, then fail with its text unless it is supported: a refuted
    finding raises ClaimRefuted (what a refuted claim's xfail names in raises=), any other verdict fails plainly."""

    def __init__(self, node, artifacts: Artifacts):
        self.node, self.artifacts = node, artifacts
        self.started, self.cache_mark = node.stash[STARTED]

    def conclude(self, finding: Finding) -> Finding:
        claim = self.node.stash.get(CLAIM_OF, None)
        if claim is not None and finding.id != claim.id:
            pytest.fail(f"{self.node.nodeid} is tied to claim {claim.id!r} but recorded a finding of {finding.id!r}",
                        pytrace=False)
        finding.setup.setdefault("root_seed", _settings(self.node.config)["seed"])
        finding.artifacts = [*finding.artifacts, *self.artifacts.paths]
        finding.seconds = round(time.perf_counter() - self.started, 2)
        finding.experiments = self.node.config.stash[CACHE].origin_since(self.cache_mark)
        self.node.user_properties += [("finding", finding.to_json()), ("verdict", finding.verdict),
                                      ("summary", finding.summary), ("figures", " ".join(finding.artifacts))]
        if finding.verdict == "refuted":
            from lib.framework.findings import ClaimRefuted

            raise ClaimRefuted(finding)
        if finding.verdict != "supported":
            pytest.fail(finding.text(), pytrace=False)
        return finding


@pytest.fixture
def finding(request, artifacts) -> FindingRecorder:
    return FindingRecorder(request.node, artifacts)


class FindingsCollector:
    """Collects findings from every test's report (under xdist the reports reach the controller), and which claim
    tests this run left out (-k, -m), to know whether it is a full run."""

    def __init__(self):
        self.findings: list[Finding] = []
        self.claims_left_out = 0

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and any(name == "finding" for name, _ in report.user_properties):
            from lib.framework.findings import Finding

            self.findings += [Finding.from_json(value) for name, value in report.user_properties if name == "finding"]

    def pytest_deselected(self, items):
        self.claims_left_out += sum(1 for item in items if item.get_closest_marker("claims"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """Under xdist the workers collect and deselect: take their count (each collects every test)."""
        self.claims_left_out = max(self.claims_left_out, getattr(node, "workeroutput", {}).get("claims_left_out", 0))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A refuted claim's failure reads as its finding, without a traceback; with pytest-html (optional) and --html,
    attach each claim's figures to its row."""
    outcome = yield
    report = outcome.get_result()
    findings = sys.modules.get("lib.framework.findings")  # imported by whatever raised a ClaimRefuted
    refuted = call.excinfo is not None and findings and call.excinfo.errisinstance(findings.ClaimRefuted)
    if refuted and report.failed:
        report.longrepr = str(call.excinfo.value)
    if refuted and hasattr(report, "wasxfail"):  # a refuted claim's strict xfail: its reason is this run's finding
        report.wasxfail = f"finding: {call.excinfo.value.finding.summary}"
    html = item.config.pluginmanager.get_plugin("html")
    figures = dict(item.user_properties).get("figures") if report.when == "call" else None
    if html is None or not figures or SETTINGS not in item.config.stash:
        return
    from pytest_html import extras

    root = item.config.stash[SETTINGS]["artifacts"]
    report.extras = [*getattr(report, "extras", []), *(extras.image(str(root / p)) for p in figures.split())]


def pytest_sessionfinish(session):
    config = session.config
    _keep_cache_within_its_cap(config)
    if COLLECTOR in config.stash and hasattr(config, "workerinput"):
        config.workeroutput["claims_left_out"] = config.stash[COLLECTOR].claims_left_out
    if COLLECTOR not in config.stash or hasattr(config, "workerinput") or not config.stash[COLLECTOR].findings:
        return
    from lib.framework import record, record_update

    collector, root = config.stash[COLLECTOR], config.stash[SETTINGS]["artifacts"]
    run = record.this_run(config.stash[SETTINGS]["seed"], _command(config), config.rootpath)
    for finding in collector.findings:
        finding.run = run
    full_run = collector.claims_left_out == 0
    try:
        merged, warning = record_update.update(root, collector.findings, full_run, run, _environment(config))
    except OSError as error:  # a full disk, say: this run's findings still reach the summary
        merged = record.merge([], collector.findings, full_run=True)
        warning = (f"could not write the findings to {root} ({error.strerror or error}): this run's findings are "
                   f"in the summary below")
    config.stash[RECORD] = (merged, run, warning, _compared(config, collector.findings, full_run))


def _keep_cache_within_its_cap(config) -> None:
    """In the controlling process, once the workers are done: least-recently-used entries out until the cache fits."""
    if CACHE not in config.stash or config.stash[CACHE].folder is None or hasattr(config, "workerinput"):
        return
    run = config.stash[SETTINGS]
    config.stash[PRUNED] = cache_limit.prune(config.stash[CACHE].folder, run["cache_max"], run["started_at"])


def _command(config) -> str:
    return " ".join(["pytest", *config.invocation_params.args])


def _environment(config) -> dict:
    from lib.engine import environment

    run = config.stash[SETTINGS]
    return {
        **environment.describe(), "threads_per_process": run["threads_per_process"],
        "xdist_workers": _xdist_workers(config), "device": run["device"], "artifacts": str(run["artifacts"]),
        "root_seed": run["seed"], "command": _command(config),
    }


def pytest_terminal_summary(terminalreporter, config):
    if RECORD not in config.stash:
        return
    from lib.framework import report

    merged, run, warning, compared = config.stash[RECORD]
    terminalreporter.section("claims: findings")
    if warning:
        terminalreporter.write_line(f"warning: {warning}", yellow=True)
    for line in report.terminal_table(merged, run):
        terminalreporter.write_line(line)
    root = config.stash[SETTINGS]["artifacts"]
    terminalreporter.write_line(f"written: {root / 'index.html'}, {root / 'findings.json'}, {root / 'FINDINGS.md'}")
    if PRUNED in config.stash:
        terminalreporter.write_line(_cache_line(config.stash[CACHE].folder, config.stash[PRUNED],
                                                config.stash[SETTINGS]["cache_max"]))
    if compared:
        terminalreporter.section("claims: compared")
        for line in compared:
            terminalreporter.write_line(line)


def _compared(config, findings: list, full_run: bool) -> list[str]:
    """--claims-compare's lines: this run's findings against the earlier findings.json ([] without the option)."""
    if config.stash[SETTINGS]["compare"] is None:
        return []
    from lib.framework.compare import report

    path, earlier = config.stash[SETTINGS]["compare"]
    return report(path, earlier, {f.id: json.loads(f.to_json()) for f in findings}, full_run)


def _cache_line(folder, pruned: cache_limit.Pruned, cap: int) -> str:
    line = f"experiment cache: {folder} holds {cache_limit.human(pruned.left)} (cap {cache_limit.human(cap)})"
    if pruned.removed:
        line += f"; removed {pruned.removed} least recently used entries ({cache_limit.human(pruned.freed)})"
    if pruned.left > cap:
        line += f"; over the cap because this run used {pruned.kept_in_use} of the entries it would remove"
    return line
