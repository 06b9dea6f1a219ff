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

from lib.framework import atomic, cache_limit, progress

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


def pytest_collection_modifyitems(config, items):
    """Tests marked slow are skipped, with the reason, unless --claims-slow is given (pytest's own recipe)."""
    if not _active(config) or config.getoption("claims_slow") or config.getini("claims_slow"):
        return
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=SLOW_SKIP))


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


def _path(config, name: str) -> Path | None:
    """A path option: relative to where pytest was started when given on the command line, else to the ini file's
    folder; None when neither gives one and it has no default."""
    given = config.getoption(name)
    if given is not None:
        _refuse_folder_taken_for_a_test_path(config, name, given)
        return Path(config.invocation_params.dir, Path(given).expanduser())
    value = _option(config, name)
    return None if value is None else Path(config.rootpath, Path(value).expanduser())


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
    if not _active(config):
        return
    from lib.engine import device
    from lib.framework import settings
    from lib.framework.cache import ExperimentCache

    try:
        config.stash[SETTINGS] = {
            "seed": settings.parse_seed(_option(config, "--claims-seed")),
            "artifacts": settings.prepare_writable_dir(_path(config, "--claims-artifacts")),
            "device": device.parse_device(_option(config, "--claims-device")),
            "threads_per_process": device.set_thread_count(_xdist_workers(config) or _worker_count(config)),
            "cache": None if config.getoption("--no-claims-cache") else settings.prepare_writable_dir(
                _path(config, "--claims-cache"), "claims cache folder"),
            "cache_max": cache_limit.parse_size(_option(config, "--claims-cache-max")),
            "compare": _earlier_findings(_path(config, "--claims-compare")),
            "started_at": time.time(),  # cache entries used since then belong to this run: never pruned
        }
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[CACHE] = ExperimentCache(config.stash[SETTINGS]["cache"])
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
    """Saves one test's figures as PNG under <artifacts>/<claim id>/ and remembers their paths
    (relative to the artifacts folder, as findings record them); a figure drawn before from the same values comes
    from the experiment cache's folder, store (lib.framework.figure_store), when there is one."""

    def __init__(self, root: Path, store: Path | None = None):
        self.root, self.store, self.paths = root, store, []

    def save(self, claim_id: str, name: str, figure) -> str:
        from lib.framework.plots import save_figure

        path = save_figure(figure, self.root / claim_id / f"{name}.png", self.store)
        self.paths.append(str(path.relative_to(self.root)))
        return str(path)


@pytest.fixture
def artifacts(run_settings) -> Artifacts:
    return Artifacts(run_settings["artifacts"], run_settings["cache"])


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
    if report.failed and call.excinfo is not None and findings and call.excinfo.errisinstance(findings.ClaimRefuted):
        report.longrepr = str(call.excinfo.value)
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
    from lib.framework import html_report, record, report

    collector, root = config.stash[COLLECTOR], config.stash[SETTINGS]["artifacts"]
    run = record.this_run(config.stash[SETTINGS]["seed"], _command(config), config.rootpath)
    for finding in collector.findings:
        finding.run = run
    previous, warning = record.read_previous(root / "findings.json")
    full_run = collector.claims_left_out == 0
    merged = record.merge(previous, collector.findings, full_run=full_run)
    config.stash[RECORD] = (merged, run, warning, _compared(config, collector.findings, full_run))
    atomic.write_text(root / "findings.json", report.findings_json(merged, _environment(config)))
    atomic.write_text(root / "FINDINGS.md", report.findings_markdown(merged, run))
    atomic.write_text(root / "index.html", html_report.render(merged, run))


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
