"""Findings compared across runs, as pytest-benchmark's --benchmark-compare does for timings: each claim whose verdict
changed, and each key number (an estimate with an interval) that moved outside its interval, against an earlier
findings.json. `python -m lib.compare EARLIER LATER` prints the same lines as `pytest --claims-compare EARLIER`."""
import argparse
import json
import sys
from pathlib import Path


def read_findings(path: Path) -> dict:
    """{claim id: finding as a dict} from a findings.json; a one-line ValueError if it cannot be read as one."""
    try:
        return {f["id"]: f for f in json.loads(Path(path).read_text())["findings"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"cannot compare with {str(path)!r}: not a readable findings.json "
                         f"({type(error).__name__}: {str(error)[:80]})") from None


def estimates(value, path: str = "") -> dict:
    """Every estimate ({value, low, high, n}) inside a finding's measured values, by its dotted path."""
    if isinstance(value, dict) and {"value", "low", "high", "n"} <= value.keys():
        return {path: value}
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in estimates(item, f"{path}.{key}" if path else key).items()}
    return {}


def moved(earlier: dict, later: dict) -> bool:
    """Whether either estimate's value lies outside the other's interval."""
    outside = lambda e, interval: not interval["low"] <= e["value"] <= interval["high"]
    return outside(later, earlier) or outside(earlier, later)


def differences(earlier: dict, later: dict, full_run: bool = True) -> list[str]:
    """One line for each claim added, gone or whose verdict changed, and each number that moved, in id order; a claim
    that the later run left out (-k, -m) is not counted as gone unless that run was a full one."""
    lines = []
    for claim in sorted((earlier.keys() if full_run else later.keys()) | later.keys()):
        if claim not in later:
            lines.append(f"{claim}: not in this run (was {earlier[claim]['verdict']})")
            continue
        if claim not in earlier:
            lines.append(f"{claim}: new, {later[claim]['verdict']}")
            continue
        before, after = earlier[claim], later[claim]
        if before["verdict"] != after["verdict"]:
            lines.append(f"{claim}: verdict {before['verdict']} → {after['verdict']}")
        old, new = estimates(before.get("measured", {})), estimates(after.get("measured", {}))
        lines += [f"{claim}: {name} {_text(old[name])} → {_text(new[name])}"
                  for name in sorted(old.keys() & new.keys()) if moved(old[name], new[name])]
    return lines


def report(earlier_path: Path, earlier: dict, later: dict, full_run: bool = True) -> list[str]:
    """The comparison's lines, headed by what was compared."""
    lines = differences(earlier, later, full_run)
    head = f"compared with {earlier_path}: "
    return [head + ("no verdict changed and no number moved outside its interval" if not lines else
                    f"{len(lines)} difference{'s' if len(lines) > 1 else ''}"), *lines]


def _text(estimate: dict) -> str:
    return f"{estimate['value']:.4g} [{estimate['low']:.4g}, {estimate['high']:.4g}] (n = {estimate['n']})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("earlier", type=Path, help="an earlier findings.json")
    parser.add_argument("later", type=Path, help="a later findings.json")
    args = parser.parse_args(argv)
    try:
        lines = report(args.earlier, read_findings(args.earlier), read_findings(args.later))
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
