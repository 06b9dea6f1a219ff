"""`python -m lib.stability` when things go wrong: stale findings, pytest's usage errors, a silent scheduler, a signal,
huge or open seed ranges and paths that cannot be written."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from lib.framework import stability
from lib.framework.stability import MAX_SEEDS, parse_scheduler, parse_seeds
from lib.framework.sweep import connect_timeout, run_seed

REPO = Path(__file__).resolve().parents[1]
FAST_CLAIM = ["-k", "test_sigmoid_saturates"]  # no experiment, a few seconds a seed
SUBPROCESS_SECONDS = 120  # the most any sweep started here may take


def stability_command(*args: str, environment: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m lib.stability ARGS` in the project, bounded by SUBPROCESS_SECONDS."""
    return subprocess.run([sys.executable, "-m", "lib.stability", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=SUBPROCESS_SECONDS, env=os.environ | (environment or {}))


def error_lines(stderr: str) -> list[str]:
    """The lines of stderr that report an error."""
    return [line for line in stderr.splitlines() if "error:" in line]


@pytest.fixture(scope="module")
def earlier_sweep(tmp_path_factory) -> Path:
    """An artifacts folder that a successful one-seed sweep (seed 1, the fast claim) wrote into."""
    folder = tmp_path_factory.mktemp("earlier-sweep")
    result = stability_command("--seeds", "1", *FAST_CLAIM, "--artifacts", str(folder))
    assert result.returncode == 0, result.stderr
    assert (folder / "seed-1" / "findings.json").exists()
    return folder


@pytest.mark.parametrize("keyword, exit_code, pytest_said", [
    ("no_such_claim", 5, "deselected"),
    ("and or", 4, "ERROR: Wrong expression passed to '-k': and or"),
], ids=["no-claim-collected", "bad-k"])
def test_a_rerun_that_runs_no_claim_fails_instead_of_reporting_the_earlier_sweeps_findings(
        earlier_sweep, tmp_path, keyword, exit_code, pytest_said):
    folder = tmp_path / "artifacts"
    shutil.copytree(earlier_sweep, folder)
    result = stability_command("--seeds", "1", "-k", keyword, "--artifacts", str(folder))
    assert result.returncode == 2, result.stdout
    assert "same at every seed" not in result.stdout and "sigmoid-saturates" not in result.stdout
    [line] = error_lines(result.stderr)
    assert line.startswith(f"error: seed 1: pytest exited {exit_code} (") and pytest_said in line
    assert (folder / "seed-1" / "findings.json.earlier").exists()  # set aside, not lost


def test_a_rerun_reports_only_the_claims_it_ran_not_those_an_earlier_sweep_left_in_the_folder(earlier_sweep, tmp_path):
    folder = tmp_path / "artifacts"
    shutil.copytree(earlier_sweep, folder)
    findings_file = folder / "seed-1" / "findings.json"
    record = json.loads(findings_file.read_text())
    record["findings"].append(record["findings"][0] | {"id": "an-earlier-claim", "verdict": "refuted"})
    findings_file.write_text(json.dumps(record))
    result = stability_command("--seeds", "1", *FAST_CLAIM, "--artifacts", str(folder))
    assert result.returncode == 0, result.stderr
    assert "sigmoid-saturates" in result.stdout and "an-earlier-claim" not in result.stdout
    seeds = json.loads((folder / "sweep.json").read_text())["seeds"]
    assert [f["id"] for f in seeds["1"]["findings"]] == ["sigmoid-saturates"]


@pytest.mark.parametrize("options, folder, pytest_said", [
    (["-m", "("], None, "ERROR: Wrong expression passed to '-m': (: at column 2"),
    (FAST_CLAIM, "/proc/no-such-folder", "artifacts folder '/proc/no-such-folder' cannot be written"),
], ids=["bad-m", "bad-artifacts"])
def test_a_seed_whose_pytest_fails_to_start_reports_pytests_own_message_in_one_line(
        tmp_path, options, folder, pytest_said):
    with pytest.raises(RuntimeError) as error:
        run_seed(1, Path(folder) if folder else tmp_path, options)
    message = str(error.value)
    assert message.startswith("seed 1: pytest exited 4 (a usage error) and wrote no findings: ")
    assert pytest_said in message and "\n" not in message


@pytest.mark.parametrize("address", ["garbage", "tcp://127.0.0.1", "127.0.0.1:port", "127.0.0.1:0", "127.0.0.1:70000",
                                     "http://127.0.0.1:8786", "tcp://:8786", ""])
def test_a_scheduler_address_of_another_form_is_refused_in_one_line(address):
    with pytest.raises(ValueError) as error:
        parse_scheduler(address)
    assert str(error.value) == (f"scheduler {address!r} is not an address: give tcp://HOST:PORT or HOST:PORT, "
                                f"PORT a number from 1 to 65535")


def test_scheduler_addresses_of_either_form_are_accepted():
    assert parse_scheduler("127.0.0.1:8786") == parse_scheduler("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert parse_scheduler("node-7.cluster:8786") == "tcp://node-7.cluster:8786"


def test_a_garbage_scheduler_address_stops_the_command_with_a_usage_error_not_a_traceback():
    result = stability_command("--seeds", "1", *FAST_CLAIM, "--scheduler", "garbage")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert error_lines(result.stderr) == ["python -m lib.stability: error: scheduler 'garbage' is not an address: "
                                          "give tcp://HOST:PORT or HOST:PORT, PORT a number from 1 to 65535"]


@pytest.fixture
def silent_listener():
    """(port, accepted connections) of a TCP server on 127.0.0.1 that accepts and never replies; closed afterwards."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        server.close()


def test_a_scheduler_that_never_replies_ends_the_sweep_in_one_line_within_the_connect_timeout(silent_listener):
    port, accepted = silent_listener
    started = time.monotonic()
    result = stability_command("--seeds", "1", *FAST_CLAIM, "--scheduler", f"127.0.0.1:{port}",
                               environment={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"})
    assert time.monotonic() - started < 60 and accepted  # it did connect, and gave up on the silence
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert error_lines(result.stderr) == [f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: "
                                          f"no reply within 3 s (TimeoutError)"]


def test_the_default_connect_timeout_is_well_under_two_minutes():
    assert 0 < connect_timeout() <= 60


def pytest_child_of(process: subprocess.Popen, seconds: float) -> psutil.Process:
    """The seed's pytest (a process with --claims-seed in its command line) that process started, once it exists."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        for child in psutil.Process(process.pid).children(recursive=True):
            try:
                if "--claims-seed" in child.cmdline():
                    return child
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.1)
    pytest.fail(f"no pytest child of the sweep within {seconds} s (sweep exit: {process.poll()})")


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_sweep_stops_its_seeds_pytest_and_exits_non_zero(tmp_path, signal_number):
    sweep = subprocess.Popen([sys.executable, "-m", "lib.stability", "--seeds", "1-3", *FAST_CLAIM,
                              "--artifacts", str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    child = None
    try:
        child = pytest_child_of(sweep, seconds=60)
        sweep.send_signal(signal_number)
        _, stderr = sweep.communicate(timeout=60)
        _, alive = psutil.wait_procs([child], timeout=2)  # the sweep waits for it: gone once the sweep is
        assert not alive, f"the seed's pytest {child.pid} outlived the sweep"
        assert sweep.returncode == 128 + signal_number
        assert error_lines(stderr) == [f"error: stopped by {signal_number.name} before the sweep ended; findings so "
                                       f"far under {tmp_path}"]
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.wait(timeout=10)
        if child is not None and child.is_running():
            child.kill()


@pytest.mark.parametrize("seeds, message", [
    ("1-", "seeds '1-': range '1-' is open; give its last seed too, e.g. 1-20"),
    ("3,5-", "seeds '3,5-': range '5-' is open; give its last seed too, e.g. 1-20"),
    ("1-3000000000", f"seeds '1-3000000000': 3000000000 seeds, more than the {MAX_SEEDS} a sweep takes; give fewer"),
    ("0-99999,7", f"seeds '0-99999,7': 100001 seeds, more than the {MAX_SEEDS} a sweep takes; give fewer"),
])
def test_an_open_or_oversized_seed_range_is_refused_in_one_line(seeds, message):
    with pytest.raises(ValueError) as error:
        parse_seeds(seeds)
    assert str(error.value) == message


def test_a_sweep_of_the_largest_number_of_seeds_is_accepted():
    assert len(parse_seeds(f"1-{MAX_SEEDS}")) == MAX_SEEDS


def test_a_huge_seed_range_stops_the_command_before_anything_runs():
    result = stability_command("--seeds", "1-3000000000")
    assert result.returncode == 2 and "MemoryError" not in result.stderr
    assert error_lines(result.stderr) == [f"python -m lib.stability: error: seeds '1-3000000000': 3000000000 seeds, "
                                          f"more than the {MAX_SEEDS} a sweep takes; give fewer"]


def must_not_run(*args, **kwargs):
    pytest.fail("the sweep ran despite a path that cannot be written")


@pytest.mark.parametrize("options, message", [
    (["--json", "/proc/x.json"], "error: --json '/proc/x.json': its folder '/proc' cannot be written: "),
    (["--json", ""], "error: --json '' is not a file path: give a file, e.g. stability.json"),
    (["--json", "{tmp}"], "error: --json '{tmp}' is not a file path: give a file, e.g. stability.json"),
    (["--artifacts", "/proc/x"], "error: artifacts folder '/proc/x' cannot be written: "),
    (["--artifacts", ""], "error: artifacts folder '' is an empty path: give a folder, or leave --artifacts out"),
])
def test_a_path_that_cannot_be_written_is_refused_before_the_sweep_starts(monkeypatch, capsys, tmp_path,
                                                                           options, message):
    monkeypatch.setattr(stability, "sweep", must_not_run)
    options = [option.format(tmp=tmp_path) for option in options]
    default_artifacts = [] if "--artifacts" in options else ["--artifacts", str(tmp_path / "artifacts")]
    with pytest.raises(SystemExit) as stopped:
        stability.main(["--seeds", "1", *FAST_CLAIM, *default_artifacts, *options])
    assert stopped.value.code == 2
    [line] = error_lines(capsys.readouterr().err)
    assert message.format(tmp=tmp_path) in line
