"""The suite's pytest plugin: options, the `finding` and `artifacts` fixtures, and the session report.

Thin by design: every computation lives in lib/.
"""
import time
from pathlib import Path

import pytest

from lib import atomic, environment, progress, report, settings
from lib.cache import ExperimentCache
from lib.findings import Finding
from lib.plots import save_figure
from lib.seeding import claim_seed_sequence

pytest_plugins = ["pytester"]  # for the plugin's own tests in tests/test_plugin.py

COLLECTOR = pytest.StashKey["FindingsCollector"]()
SETTINGS = pytest.StashKey[dict]()
CACHE = pytest.StashKey[ExperimentCache]()


def pytest_addoption(parser):
    group = parser.getgroup("claims", "scientific claims")
    group.addoption("--artifacts", default=None, help="folder for figures and findings (ini: artifacts)")
    group.addoption("--claims-seed", default=None, help="root seed of every stochastic claim (ini: claims_seed)")
    group.addoption("--device", default=None, help="torch device for the engine: cpu or cuda[:N] (ini: claims_device)")
    group.addoption("--claims-cache", default=None, help="folder of the experiment cache (ini: claims_cache)")
    group.addoption("--no-claims-cache", action="store_true", help="compute every experiment; read and write no cache")
    parser.addini("artifacts", "folder for figures and findings", default="artifacts")
    parser.addini("claims_seed", "root seed of every stochastic claim", default="20101")
    parser.addini("claims_device", "torch device for the engine", default="cpu")
    parser.addini("claims_cache", "folder of the experiment cache", default=".claims-cache")


def pytest_configure(config):
    option = lambda name, ini: config.getoption(name) if config.getoption(name) is not None else config.getini(ini)
    try:
        config.stash[SETTINGS] = {
            "seed": settings.parse_seed(option("--claims-seed", "claims_seed")),
            "artifacts": settings.prepare_writable_dir(Path(config.rootpath, option("--artifacts", "artifacts"))),
            "device": settings.parse_device(option("--device", "claims_device")),
            "threads_per_process": settings.set_thread_count(_xdist_workers(config) or _worker_count(config)),
            "cache": None if config.getoption("--no-claims-cache") else settings.prepare_writable_dir(
                Path(config.rootpath, option("--claims-cache", "claims_cache")), "claims cache folder"),
        }
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[CACHE] = ExperimentCache(config.stash[SETTINGS]["cache"])
    config.stash[COLLECTOR] = FindingsCollector()
    config.pluginmanager.register(config.stash[COLLECTOR], "claims-findings")
    if config.option.verbose >= 0 and not hasattr(config, "workerinput"):  # quiet under -q and in xdist workers
        progress.set_reporter(lambda text: _progress_line(config, text))


def pytest_unconfigure(config):
    progress.set_reporter(None)


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
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def experiment_cache(pytestconfig) -> ExperimentCache:
    """The experiment cache of this run (lib/cache.py): each expensive experiment computed once."""
    return pytestconfig.stash[CACHE]


@pytest.fixture(scope="session")
def device(run_settings) -> str:
    return run_settings["device"]


@pytest.fixture(scope="session")
def seeds(run_settings):
    """seeds(claim_id): the claim's SeedSequence, from the root seed and the claim id."""
    return lambda claim_id: claim_seed_sequence(run_settings["seed"], claim_id)


class Artifacts:
    """Saves one test's figures as PNG under <artifacts>/<claim id>/ and remembers their paths
    (relative to the artifacts folder, as findings record them)."""

    def __init__(self, root: Path):
        self.root, self.paths = root, []

    def save(self, claim_id: str, name: str, figure) -> str:
        path = save_figure(figure, self.root / claim_id / f"{name}.png")
        self.paths.append(str(path.relative_to(self.root)))
        return str(path)


@pytest.fixture
def artifacts(run_settings) -> Artifacts:
    return Artifacts(run_settings["artifacts"])


STARTED = pytest.StashKey[tuple]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # a finding's seconds, and where its experiments came from, include the fixtures it set up
    item.stash[STARTED] = (time.perf_counter(), len(item.config.stash[CACHE].log))


class FindingRecorder:
    """conclude(finding): record it for the report, then fail with its text unless it is supported."""

    def __init__(self, node, artifacts: Artifacts):
        self.node, self.artifacts = node, artifacts
        self.started, self.cache_mark = node.stash[STARTED]

    def conclude(self, finding: Finding) -> Finding:
        finding.artifacts = [*finding.artifacts, *self.artifacts.paths]
        finding.seconds = round(time.perf_counter() - self.started, 2)
        finding.experiments = self.node.config.stash[CACHE].origin_since(self.cache_mark)
        self.node.user_properties.append(("finding", finding.to_json()))
        if finding.verdict != "supported":
            pytest.fail(finding.text(), pytrace=False)
        return finding


@pytest.fixture
def finding(request, artifacts) -> FindingRecorder:
    return FindingRecorder(request.node, artifacts)


class FindingsCollector:
    """Collects findings from every test's report: under xdist the reports reach the controller."""

    def __init__(self):
        self.findings: list[Finding] = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.findings += [Finding.from_json(value) for name, value in report.user_properties if name == "finding"]


def pytest_sessionfinish(session):
    config = session.config
    findings = config.stash[COLLECTOR].findings
    if hasattr(config, "workerinput") or not findings:
        return
    root = config.stash[SETTINGS]["artifacts"]
    atomic.write_text(root / "findings.json", report.findings_json(findings, _environment(config)))
    atomic.write_text(root / "FINDINGS.md", report.findings_markdown(findings))


def _environment(config) -> dict:
    run = config.stash[SETTINGS]
    return {
        **environment.describe(), "threads_per_process": run["threads_per_process"],
        "xdist_workers": _xdist_workers(config), "device": run["device"], "artifacts": str(run["artifacts"]),
        "root_seed": run["seed"], "command": " ".join(["pytest", *config.invocation_params.args]),
    }


def pytest_terminal_summary(terminalreporter, config):
    findings = config.stash[COLLECTOR].findings
    if hasattr(config, "workerinput") or not findings:
        return
    terminalreporter.section("claims: findings")
    for line in report.terminal_table(findings):
        terminalreporter.write_line(line)
    root = config.stash[SETTINGS]["artifacts"]
    terminalreporter.write_line(f"written: {root / 'findings.json'}, {root / 'FINDINGS.md'}")
    cache = config.stash[CACHE]
    if cache.folder is not None:
        terminalreporter.write_line(f"experiment cache: {cache.folder} holds {cache.size_bytes() / 2**20:.1f} MiB")
