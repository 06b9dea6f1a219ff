"""`python -m lib.stability --seeds 1-20 [-k EXPR] [-m MARKEXPR] [-n WORKERS]`: the claims under many root seeds.

Runs the claims once per root seed (`pytest --claims-seed S`, each seed's findings in its own folder) and
prints, per claim, how often each verdict came out; a claim whose verdict is not the same at every seed is
flagged. Exits 1 when any claim is flagged, so CI can run it too.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from lib.findings import VERDICTS
from lib.naming import require_count


def parse_seeds(text: str) -> list[int]:
    """'1-20', '3,5,8' or '7' as a list of non-negative integers, or a one-line ValueError."""
    seeds = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise ValueError(f"seeds {text!r}: {part.strip()!r} is not a seed or a range; give e.g. 1-20 or 3,5,8") from None
        if first < 0 or last < first:
            raise ValueError(f"seeds {text!r}: range {part.strip()!r} is empty or negative; give e.g. 1-20")
        seeds += range(first, last + 1)
    return seeds


def run_seed(seed: int, folder: Path, options: list[str]) -> tuple[dict, float, int]:
    """Run the claims at one root seed; (claim id -> finding, seconds, pytest's exit code)."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--claims-seed", str(seed),
               "--artifacts", str(folder), *options]
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    findings_file = folder / "findings.json"
    if not findings_file.exists():
        raise RuntimeError(f"seed {seed}: pytest wrote no findings (exit {result.returncode}):\n{result.stdout[-2000:]}")
    findings = {f["id"]: f for f in json.loads(findings_file.read_text())["findings"]}
    return findings, seconds, result.returncode


def stability_table(verdicts: dict[str, list[str]], seeds: list[int]) -> list[str]:
    """One line per claim: verdict counts over the seeds, and a flag where they differ."""
    width = max(len(claim) for claim in verdicts)
    lines = [f"{'claim':<{width}}  " + "  ".join(f"{v:>12}" for v in VERDICTS) + "  same at every seed"]
    for claim, said in sorted(verdicts.items()):
        counts = Counter(said)
        same = len(counts) == 1 and len(said) == len(seeds)
        lines.append(f"{claim:<{width}}  " + "  ".join(f"{counts.get(v, 0):>12}" for v in VERDICTS)
                     + f"  {'yes' if same else 'NO  <- differs: ' + ', '.join(f'{s}:{v}' for s, v in zip(seeds, said))}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.stability", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-20", help="root seeds: a range 1-20, a list 3,5,8, or both")
    parser.add_argument("-k", dest="keyword", default=None, help="pytest -k expression: which claims")
    parser.add_argument("-m", dest="markers", default="claims", help="pytest -m expression (default: claims)")
    parser.add_argument("-n", dest="workers", default=None, help="pytest-xdist workers per seed")
    parser.add_argument("--slow", action="store_true", help="run the slow studies too (pytest --claims-slow)")
    parser.add_argument("--artifacts", default=None, help="keep each seed's findings under DIR/seed-S")
    parser.add_argument("--json", dest="json_path", default=None, help="also write the table's data to this file")
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
        if args.workers is not None:
            require_count("workers (-n)", int(args.workers) if args.workers.isdigit() else args.workers)
    except ValueError as error:
        parser.error(str(error))
    options = ["-m", args.markers, *(["-k", args.keyword] if args.keyword else []),
               *(["-n", args.workers] if args.workers else []), *(["--claims-slow"] if args.slow else [])]
    root = Path(args.artifacts) if args.artifacts else Path(tempfile.mkdtemp(prefix="claims-stability-"))
    verdicts, seconds = {}, {}
    for seed in seeds:
        findings, seconds[seed], code = run_seed(seed, root / f"seed-{seed}", options)
        for claim, finding in findings.items():
            verdicts.setdefault(claim, []).append(finding["verdict"])
        print(f"seed {seed}: {len(findings)} findings in {seconds[seed]:.0f} s (pytest exit {code})", flush=True)
    lines = stability_table(verdicts, seeds)
    total = sum(seconds.values())
    print("\n".join(lines))
    print(f"{len(seeds)} seeds ({args.seeds}), {total:.0f} s in all, {total / len(seeds):.0f} s a seed")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"seeds": seeds, "verdicts": verdicts, "seconds": seconds}, indent=2))
    return 0 if all(len(set(v)) == 1 and len(v) == len(seeds) for v in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
