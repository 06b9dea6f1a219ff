"""Running the claims at many root seeds: one pytest run per seed, here or as tasks on a Dask cluster.

Without a cluster the seeds run one after another on this machine. `workers` > 1 starts a `LocalCluster` of
that many single-threaded worker processes here; `scheduler` sends the tasks to a running `dask scheduler`
(workers started with `dask worker ADDRESS`, or by dask-jobqueue on a Slurm or PBS machine). Each task runs
`pytest --claims-seed S` on its worker with CLAIMS_CORES = cores_per_seed, and sends the seed's findings
back. A worker checks that it runs the sweep's own version of the project (its git commit and a hash of
lib/, claims/ and the plugin) and refuses the task in one line if not. Workers keep their experiments in
their project's cache folder, or in `cache` where one is given (a folder they share).
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, NamedTuple

from lib.framework.settings import CORES_VARIABLE, available_cores

PROJECT = Path(__file__).resolve().parents[2]


def project_version(root: Path = PROJECT) -> dict:
    """The project's git commit (None outside a repository) and a sha256 of its code: lib/, claims/ and the plugin."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    digest = hashlib.sha256()
    for path in sorted([*root.glob("lib/**/*.py"), *root.glob("claims/*.py"), root / "pytest_claims.py"]):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return {"commit": commit.stdout.strip() if commit.returncode == 0 else None, "sources": digest.hexdigest()}


def describe(version: dict) -> str:
    return f"commit {(version['commit'] or 'none')[:12]}, sources {version['sources'][:12]}"


def refuse_other_version(expected: dict, actual: dict, where: str) -> None:
    """A one-line RuntimeError unless actual (a worker's project) is expected (the sweep's)."""
    if actual != expected:
        raise RuntimeError(f"worker {where} runs another version of the project ({describe(actual)}) than this sweep "
                           f"({describe(expected)}): install the sweep's version there, or leave that worker out")


def failed_tests(pytest_output: str) -> list[str]:
    """The node ids of the tests that pytest's short summary lists as failed or in error (controls included)."""
    return re.findall(r"^(?:FAILED|ERROR) (\S+)", pytest_output, re.MULTILINE)


class SeedRun(NamedTuple):
    """One root seed's run: its findings by claim id, seconds, pytest's exit code, the tests that failed (pytest's
    node ids), and where it ran ('here' or a worker's address)."""

    findings: dict
    seconds: float
    exit_code: int
    failed: list
    where: str


def run_seed(seed: int, folder: Path, options: list[str], cores: int | None = None, where: str = "here") -> SeedRun:
    """Run the claims at one root seed, findings into folder."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--claims-seed", str(seed),
               f"--claims-artifacts={folder}", *options]
    environment = os.environ | ({CORES_VARIABLE: str(cores)} if cores else {})
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT, env=environment)
    seconds = time.perf_counter() - started
    findings_file = Path(folder) / "findings.json"
    if not findings_file.exists():
        raise RuntimeError(f"seed {seed}: pytest wrote no findings (exit {result.returncode}):\n{result.stdout[-2000:]}")
    findings = {f["id"]: f for f in json.loads(findings_file.read_text())["findings"]}
    return SeedRun(findings, seconds, result.returncode, failed_tests(result.stdout), where)


def seed_task(seed: int, folder: str, options: list[str], expected: dict, cores: int) -> SeedRun:
    """One seed on a Dask worker, after checking it runs the sweep's version; adds the worker's address."""
    from distributed import get_worker

    where = get_worker().address
    refuse_other_version(expected, project_version(), where)
    return run_seed(seed, Path(folder), options, cores, where)


def sweep(seeds: list[int], root: Path, options: list[str], scheduler: str | None = None, workers: int = 1,
          cores_per_seed: int | None = None, report: Callable[[str], None] = print) -> dict[int, SeedRun]:
    """seed -> its SeedRun, each seed's findings under root/seed-S."""
    if scheduler is None and workers == 1:
        return {seed: _reported(seed, run_seed(seed, root / f"seed-{seed}", options, cores_per_seed), report)
                for seed in seeds}
    from distributed import Client, LocalCluster

    cores = cores_per_seed or (1 if scheduler else max(1, available_cores() // workers))
    if scheduler is not None:
        return _on_cluster(lambda: Client(scheduler, timeout="20s"), seeds, root, options, cores, report, scheduler)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        return _on_cluster(lambda: Client(cluster), seeds, root, options, cores, report, "a local cluster")


def _on_cluster(connect, seeds, root, options, cores, report, where) -> dict[int, tuple]:
    from distributed import as_completed
    from tqdm import tqdm

    try:
        client = connect()
    except OSError as error:
        raise RuntimeError(f"cannot reach the Dask scheduler at {where}: {error}") from None
    with client:
        expected = project_version()
        futures = {client.submit(seed_task, seed, str(root / f"seed-{seed}"), options, expected, cores,
                                 key=f"claims-seed-{seed}-{time.time_ns()}", pure=False): seed for seed in seeds}
        results = {}
        with tqdm(total=len(seeds), unit="seed", desc="seeds", file=sys.stderr) as bar:
            for future in as_completed(futures):
                seed = futures[future]
                results[seed] = _reported(seed, future.result(), lambda line: bar.write(line, file=sys.stderr))
                bar.update()
    return {seed: results[seed] for seed in seeds}


def _reported(seed: int, run: SeedRun, report) -> SeedRun:
    failures = f"; failed: {', '.join(run.failed)}" if run.failed else ""
    report(f"seed {seed}: {len(run.findings)} findings in {run.seconds:.0f} s (pytest exit {run.exit_code}, "
           f"{run.where}){failures}")
    return run
