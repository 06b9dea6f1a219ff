"""Running the claims at many root seeds: one pytest run per seed, here or as tasks on a Dask cluster.

Without a cluster the seeds run one after another on this machine. `workers` > 1 starts a `LocalCluster` of
that many single-threaded worker processes here; `scheduler` sends the tasks to a running `dask scheduler`
(workers started with `dask worker ADDRESS`, or by dask-jobqueue on a Slurm or PBS machine). Each task runs
`pytest --claims-seed S` on its worker with CLAIMS_CORES = cores_per_seed, and sends the seed's findings
back. A seed's earlier findings.json (an earlier sweep's, in the same folder) is set aside before its run: a
sweep reads only what its own runs wrote, and a run that fails to write findings, or that pytest ends with a
usage error or with no tests collected, stops the sweep in one line that ends with pytest's own last lines.
A worker checks that it runs the sweep's own version of the project (its git commit and a hash of lib/,
claims/ and the plugin) and refuses the task in one line if not. Workers keep their experiments in
their project's cache folder, or in `cache` where one is given (a folder they share).
"""
import asyncio
import hashlib
import json
import os
import re
import signal
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


FAILED_RUNS = {4: "a usage error", 5: "no tests collected"}  # pytest exit codes after which no claim ran
STOP_GRACE_SECONDS = 10  # a stopped seed's pytest gets this long to end after SIGTERM, then SIGKILL


def run_seed(seed: int, folder: Path, options: list[str], cores: int | None = None, where: str = "here") -> SeedRun:
    """Run the claims at one root seed, findings into folder."""
    folder = Path(folder)
    set_aside_earlier_findings(folder)
    started = time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--claims-seed", str(seed),
               f"--claims-artifacts={folder}", *options]
    environment = os.environ | ({CORES_VARIABLE: str(cores)} if cores else {})
    exit_code, stdout, stderr = _run_stoppable(command, environment)
    seconds = time.perf_counter() - started
    findings_file = folder / "findings.json"
    if exit_code in FAILED_RUNS or not findings_file.exists():
        raise RuntimeError(_failed_run_line(seed, exit_code, findings_file.exists(), stdout, stderr))
    findings = {f["id"]: f for f in json.loads(findings_file.read_text())["findings"]}
    return SeedRun(findings, seconds, exit_code, failed_tests(stdout), where)


def set_aside_earlier_findings(folder: Path) -> None:
    """Rename an earlier run's findings.json in folder to findings.json.earlier, so that this run starts afresh."""
    earlier = folder / "findings.json"
    if earlier.exists():
        os.replace(earlier, earlier.with_name("findings.json.earlier"))


def _run_stoppable(command: list[str], environment: dict) -> tuple[int, str, str]:
    """Run command in its own process group: its exit code, stdout and stderr; stopped with it if this call is."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT,
                          env=environment, start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate()
        except BaseException:
            stop_process_group(process)
            raise
    return process.returncode, stdout, stderr


def stop_process_group(process: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the process's group (it and what it started), SIGKILL if it has not ended within grace seconds."""
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signal_number)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _failed_run_line(seed: int, exit_code: int, wrote_findings: bool, stdout: str, stderr: str) -> str:
    """One line: why the seed's run counts as failed, and the last lines pytest wrote (stderr first)."""
    why = f" ({FAILED_RUNS[exit_code]})" if exit_code in FAILED_RUNS else ""
    wrote = "" if wrote_findings else " and wrote no findings"
    said = " | ".join(part for part in (last_lines(stderr), last_lines(stdout, 2)) if part) or "(no output)"
    return f"seed {seed}: pytest exited {exit_code}{why}{wrote}: {said}"


def last_lines(text: str, count: int = 5, width: int = 300) -> str:
    """The last count non-blank lines of text, each cut to width characters, joined by ' | ' into one line."""
    lines = [line.strip()[:width] for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:])


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
        seconds = connect_timeout()
        probe_scheduler(scheduler, seconds)
        return _on_cluster(lambda: Client(scheduler, timeout=seconds), seeds, root, options, cores, report, scheduler)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        return _on_cluster(lambda: Client(cluster), seeds, root, options, cores, report, "a local cluster")


def connect_timeout() -> float:
    """Seconds to wait for a scheduler's reply: dask's distributed.comm.timeouts.connect setting (30 s by default)."""
    import dask
    import distributed  # noqa: F401  (loads distributed's defaults into dask's config)
    from dask.utils import parse_timedelta

    return parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds")


def probe_scheduler(address: str, seconds: float) -> None:
    """A one-line RuntimeError unless something at address answers Dask's handshake within seconds."""
    from distributed.comm import connect

    async def handshake():
        comm = await asyncio.wait_for(connect(address, timeout=seconds), seconds)
        await comm.close()

    try:
        asyncio.run(handshake())
    except (OSError, asyncio.TimeoutError) as error:
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise RuntimeError(f"cannot reach the Dask scheduler at {address}: no reply within {seconds:g} s "
                           f"({reason.splitlines()[0]})") from None


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
