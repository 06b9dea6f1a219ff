"""Sweeps over root seeds on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lib.framework import stability
from lib.framework.sweep import SeedRun, failed_tests, project_version, refuse_other_version, seed_task

REPO = Path(__file__).resolve().parents[1]
FAST_CLAIM = ["-k", "test_sigmoid_saturates"]  # no experiment, a few seconds a seed


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a running scheduler with two single-threaded workers; all three stopped afterwards."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    address_file = folder / "scheduler.json"
    environment = os.environ | {"PYTHONPATH": str(REPO)}  # this checkout's lib, whatever is installed
    start = lambda *args: subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
                                           cwd=folder, env=environment, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
    processes = [start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                       "--scheduler-file", str(address_file))]
    try:
        for _ in range(300):
            if address_file.exists():
                break
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        processes += [start("worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                            "--name", f"worker-{n}") for n in (1, 2)]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in processes[::-1]:
            process.terminate()
            process.wait(timeout=30)


def test_a_two_seed_sweep_runs_through_the_scheduler_and_merges_into_one_record(scheduler, tmp_path):
    result = subprocess.run([sys.executable, "-m", "lib.stability", "--seeds", "1-2", *FAST_CLAIM,
                             "--scheduler", scheduler, "--artifacts", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "sigmoid-saturates" in result.stdout and "2 seeds (1-2)" in result.stdout
    assert "2/2" in result.stderr  # the progress bar: seeds done (and time left)
    record = json.loads((tmp_path / "sweep.json").read_text())
    assert record["project"] == project_version() and set(record["seeds"]) == {"1", "2"}
    for seed, run in record["seeds"].items():
        assert run["worker"].startswith("tcp://127.0.0.1:") and run["pytest_exit"] == 0 and run["failed_tests"] == []
        assert [f["id"] for f in run["findings"]] == ["sigmoid-saturates"]
        assert run["findings"][0]["run"]["root_seed"] == int(seed)


def test_workers_on_this_machine_run_the_seeds_as_dask_tasks(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lib.stability", "--seeds", "3,4", *FAST_CLAIM, "--workers", "2",
                             "--artifacts", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "sweep.json").read_text())
    assert all(run["worker"].startswith("tcp://127.0.0.1:") for run in record["seeds"].values())  # not run here


def test_a_worker_running_another_version_refuses_in_one_line(scheduler, tmp_path):
    from distributed import Client

    other = project_version() | {"sources": "0" * 64}
    with Client(scheduler, timeout="30s") as client:
        future = client.submit(seed_task, 1, str(tmp_path), FAST_CLAIM, other, 1, pure=False)
        with pytest.raises(RuntimeError, match=r"worker tcp://127\.0\.0\.1:\d+ runs another version of the project "
                                               r"\(commit \w+, sources \w+\) than this sweep \(commit \w+, sources "
                                               r"000000000000\)") as error:
            future.result(timeout=120)
    assert "\n" not in str(error.value)


def test_the_same_version_passes_the_check():
    refuse_other_version(project_version(), project_version(), "here")
    with pytest.raises(RuntimeError, match="worker w runs another version"):
        refuse_other_version(project_version(), project_version() | {"commit": None}, "w")


PYTEST_SUMMARY = """..F.x
=========================== short test summary info ============================
FAILED claims/test_lab3_relu.py::test_control_a_gain_just_below_the_band - AssertionError: assert 'unclear' == 'holds'
ERROR claims/test_rai.py::test_rai_reduces_collapse - RuntimeError: boom
XFAIL claims/test_week10_saturation.py::test_uniform_init_saturates_wide_tanh - finding: ...
1 failed, 3 passed, 1 xfailed, 1 error in 17.42s
"""


def test_the_tests_that_failed_at_a_seed_are_read_from_pytests_summary():
    assert failed_tests(PYTEST_SUMMARY) == ["claims/test_lab3_relu.py::test_control_a_gain_just_below_the_band",
                                            "claims/test_rai.py::test_rai_reduces_collapse"]
    assert failed_tests("5 passed in 1.0s\n") == []


def test_a_test_that_failed_at_some_seed_is_flagged_and_turns_the_exit_status(monkeypatch, tmp_path, capsys):
    finding = {"id": "sigmoid-saturates", "verdict": "supported"}
    control = "claims/test_x.py::test_control"

    def fake_sweep(seeds, root, options, *rest):
        return {seed: SeedRun({"sigmoid-saturates": finding}, 1.0, 1 if seed == 8 else 0,
                              [control] if seed == 8 else [], "here") for seed in seeds}

    monkeypatch.setattr(stability, "sweep", fake_sweep)
    assert stability.main(["--seeds", "7,8,9", "--artifacts", str(tmp_path)]) == 1
    assert f"FAILED at seed 8: {control}" in capsys.readouterr().out
    record = json.loads((tmp_path / "sweep.json").read_text())
    assert record["seeds"]["8"]["failed_tests"] == [control] and record["seeds"]["7"]["failed_tests"] == []
    monkeypatch.setattr(stability, "sweep", lambda seeds, *rest: {
        seed: SeedRun({"sigmoid-saturates": finding}, 1.0, 0, [], "here") for seed in seeds})
    assert stability.main(["--seeds", "7,8,9", "--artifacts", str(tmp_path)]) == 0
