"""Sweeps over root seeds on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lib.sweep import project_version, refuse_other_version, seed_task

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
        assert run["worker"].startswith("tcp://127.0.0.1:") and run["pytest_exit"] == 0
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
