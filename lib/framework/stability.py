"""`python -m lib.stability --seeds 1-20 [-k EXPR] [-m MARKEXPR] [--device D] [--workers N | --scheduler ADDRESS]`.

Runs the claims once per root seed (`pytest --claims-seed S`, each seed's findings in its own folder) and
prints, per claim, how often each verdict came out; a claim whose verdict is not the same at every seed is
flagged, and so is every test that failed at some seed (a control, or a claim's test failing for another reason than
its verdict). Exits 1 when anything is flagged, so CI can run it too. The seeds run one after another here, or
as tasks on Dask workers (lib/framework/sweep.py): `--workers N` on this machine, `--scheduler ADDRESS` on a cluster.
The findings of every seed are kept together in one record, `<artifacts>/sweep.json`. Bad options, and an
artifacts or --json folder that cannot be written, are refused in one line before anything runs; SIGTERM or SIGINT
stops the running seed's pytest and exits with 128 + the signal's number.
"""
import argparse
import json
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from lib.framework.atomic import write_text
from lib.framework.findings import VERDICTS
from lib.framework.naming import require_count
from lib.framework.settings import prepare_writable_dir
from lib.framework.sweep import describe, project_version, sweep


DEVICE_FORM = re.compile(r"cpu|cuda(:\d+)?")  # what pytest --claims-device takes; whether it exists is the seed's machine's
SCHEDULER_FORM = re.compile(r"(?:tcp://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})")
MAX_SEEDS = 100_000  # seeds a sweep takes in all


def parse_seeds(text: str) -> list[int]:
    """'1-20', '3,5,8' or '7' as a list of non-negative integers, or a one-line ValueError."""
    ranges = [_seed_range(text, part.strip()) for part in text.split(",")]
    count = sum(last - first + 1 for first, last in ranges)
    if count > MAX_SEEDS:
        raise ValueError(f"seeds {text!r}: {count} seeds, more than the {MAX_SEEDS} a sweep takes; give fewer")
    return [seed for first, last in ranges for seed in range(first, last + 1)]


def _seed_range(text: str, part: str) -> tuple[int, int]:
    """One part of --seeds, '7' or '1-20', as (first, last), or a one-line ValueError."""
    low, dash, high = part.partition("-")
    if dash and not high.strip():
        raise ValueError(f"seeds {text!r}: range {part!r} is open; give its last seed too, e.g. 1-20")
    try:
        first, last = int(low), int(high or low)
    except ValueError:
        raise ValueError(f"seeds {text!r}: {part!r} is not a seed or a range; give e.g. 1-20 or 3,5,8") from None
    if first < 0 or last < first:
        raise ValueError(f"seeds {text!r}: range {part!r} is empty or negative; give e.g. 1-20")
    return first, last


def parse_scheduler(text: str) -> str:
    """'tcp://HOST:PORT' or 'HOST:PORT' as 'tcp://HOST:PORT', or a one-line ValueError."""
    match = SCHEDULER_FORM.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 65535:
        raise ValueError(f"scheduler {text!r} is not an address: give tcp://HOST:PORT or HOST:PORT, "
                         f"PORT a number from 1 to 65535")
    return f"tcp://{match[1]}:{match[2]}"


def artifacts_folder(raw: str | None) -> Path:
    """--artifacts as a writable folder (created), a new temporary folder if not given, or a one-line ValueError."""
    if raw is None:
        return Path(tempfile.mkdtemp(prefix="claims-stability-")).resolve()
    if not raw.strip():
        raise ValueError("artifacts folder '' is an empty path: give a folder, or leave --artifacts out")
    return prepare_writable_dir(raw, "artifacts folder").resolve()


def json_file(raw: str | None) -> Path | None:
    """--json as a file path whose folder is writable (created), or a one-line ValueError."""
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if not raw.strip() or path.is_dir():
        raise ValueError(f"--json {raw!r} is not a file path: give a file, e.g. stability.json")
    prepare_writable_dir(path.parent, f"--json {raw!r}: its folder")
    return path


def stability_table(verdicts: dict[str, list[str]], seeds: list[int]) -> list[str]:
    """One line per claim: verdict counts over the seeds, and a flag where they differ."""
    width = max((len(claim) for claim in verdicts), default=len("claim"))  # no claim ran: the header alone
    lines = [f"{'claim':<{width}}  " + "  ".join(f"{v:>12}" for v in VERDICTS) + "  same at every seed"]
    for claim, said in sorted(verdicts.items()):
        counts = Counter(said)
        same = len(counts) == 1 and len(said) == len(seeds)
        lines.append(f"{claim:<{width}}  " + "  ".join(f"{counts.get(v, 0):>12}" for v in VERDICTS)
                     + f"  {'yes' if same else 'NO  <- differs: ' + ', '.join(f'{s}:{v}' for s, v in zip(seeds, said))}")
    return lines


def failed_lines(failed: dict[int, list[str]]) -> list[str]:
    """Each test that failed at some seed, with those seeds (a flag, like a claim whose verdict differs)."""
    seeds_of = {}
    for seed, tests in failed.items():
        for test in tests:
            seeds_of.setdefault(test, []).append(seed)
    return [f"FAILED at seed {', '.join(map(str, seeds))}: {test}" for test, seeds in sorted(seeds_of.items())]


def count_option(parser, name: str, raw: str | None) -> int | None:
    """A positive integer option, or the parser's one-line error naming it."""
    if raw is None:
        return None
    value = int(raw) if raw.strip().lstrip("-").isdigit() else raw
    try:
        require_count(name, value)
    except ValueError as error:
        parser.error(str(error))
    return value


class Stopped(BaseException):
    """SIGTERM or SIGINT arrived while the seeds ran."""


def _raise_stopped(signal_number, frame):
    raise Stopped(signal.Signals(signal_number))


@contextmanager
def stopped_by_signals():
    """While inside, SIGTERM and SIGINT raise Stopped (the running seed's pytest is stopped on the way out)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _raise_stopped) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.stability", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-20", help="root seeds: a range 1-20, a list 3,5,8, or both")
    parser.add_argument("-k", dest="keyword", default=None, help="pytest -k expression: which claims")
    parser.add_argument("-m", dest="markers", default="claims", help="pytest -m expression (default: claims)")
    parser.add_argument("-n", dest="xdist", default=None, help="pytest-xdist workers per seed")
    parser.add_argument("--workers", default=None, help="seeds run at once, by a Dask LocalCluster of this many "
                        "worker processes on this machine (default 1: one seed after another, no Dask)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="a running dask.distributed scheduler (tcp://host:8786): its workers run the seeds")
    parser.add_argument("--cores-per-seed", default=None, help="cores each seed's pytest uses (default: this "
                        "machine's cores / --workers; 1 on a --scheduler cluster)")
    parser.add_argument("--cache", default=None, help="one experiment cache folder every worker shares "
                        "(default: each worker's project cache)")
    parser.add_argument("--slow", action="store_true", help="run the slow studies too (pytest --claims-slow)")
    parser.add_argument("--device", default=None, help="torch device of every seed's run (pytest --claims-device): cpu or "
                        "cuda[:N] (default: the suite's, cpu)")
    parser.add_argument("--artifacts", default=None, help="keep each seed's findings under DIR/seed-S")
    parser.add_argument("--json", dest="json_path", default=None, help="also write the table's data to this file")
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as error:
        parser.error(str(error))
    xdist = count_option(parser, "workers (-n)", args.xdist)
    workers = count_option(parser, "workers (--workers)", args.workers) or 1
    cores = count_option(parser, "cores per seed (--cores-per-seed)", args.cores_per_seed)
    if args.device is not None and not DEVICE_FORM.fullmatch(args.device):
        parser.error(f"device {args.device!r} is not cpu, cuda or cuda:N (each seed's machine checks that it has it)")
    if args.scheduler is not None and args.workers:
        parser.error("give --workers (a cluster on this machine) or --scheduler (a running one), not both")
    try:
        scheduler = parse_scheduler(args.scheduler) if args.scheduler is not None else None
        root, json_path = artifacts_folder(args.artifacts), json_file(args.json_path)
    except ValueError as error:
        parser.error(str(error))
    options = ["-m", args.markers, *(["-k", args.keyword] if args.keyword else []),
               *(["-n", str(xdist)] if xdist else []), *(["--claims-slow"] if args.slow else []),
               *([f"--claims-cache={Path(args.cache).resolve()}"] if args.cache else []),
               *(["--claims-device", args.device] if args.device else [])]
    version = project_version()  # the code the seeds start from (the tree may change while a long sweep runs)
    started = time.perf_counter()
    try:
        with stopped_by_signals():
            results = sweep(seeds, root, options, scheduler, workers, cores)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Stopped as stop:
        signal_number = stop.args[0]
        print(f"error: stopped by {signal_number.name} before the sweep ended; findings so far under {root}",
              file=sys.stderr)
        return 128 + signal_number
    wall = time.perf_counter() - started
    verdicts = {}
    for seed in seeds:
        for claim, finding in results[seed].findings.items():
            verdicts.setdefault(claim, []).append(finding["verdict"])
    seconds = {seed: results[seed].seconds for seed in seeds}
    failed = {seed: results[seed].failed for seed in seeds if results[seed].failed}
    print("\n".join(stability_table(verdicts, seeds) + failed_lines(failed)))
    print(f"{len(seeds)} seeds ({args.seeds}) in {wall:.0f} s ({sum(seconds.values()) / len(seeds):.0f} s a seed's "
          f"run, {len({run.where for run in results.values()})} worker(s)); findings of every seed: "
          f"{root / 'sweep.json'}")
    write_text(root / "sweep.json", json.dumps({"project": version, "seeds": {
        str(seed): {"seconds": run.seconds, "pytest_exit": run.exit_code, "failed_tests": run.failed,
                    "worker": run.where, "findings": list(run.findings.values())} for seed, run in results.items()}},
        indent=1))
    if json_path:
        write_text(json_path, json.dumps({"seeds": seeds, "verdicts": verdicts, "seconds": seconds,
                                          "wall_seconds": wall, "project": describe(version)}, indent=2))
    steady = all(len(set(v)) == 1 and len(v) == len(seeds) for v in verdicts.values())
    return 0 if steady and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
