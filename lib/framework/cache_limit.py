"""The experiment cache kept within a size: what it holds per kind, and least-recently-used entries removed.

It works only in a folder tagged as an experiment cache, and only on what the cache wrote there
(lib.framework.cache_folder): a folder of other files is refused in one line and left untouched. An entry is
`<folder>/<kind>/<digest>.npz` beside its key `<digest>.json` (lib/framework/cache.py); its last use is the
npz's modification time, which the cache sets each time it serves or writes the entry. Pruning first removes the
debris that no process owns (temporary files of killed writes, entries set aside as damaged), then whole entries,
oldest use first, until the folder fits, never one used since `keep_since` (the current run) nor one another process
holds the lock of. Debris counts toward the size. Empty `.lock` files stay: removing a lock another process may be
waiting on would let two processes compute one entry.

`python -m lib.cache [--cache DIR] [--prune SIZE]` prints the size per kind, and prunes on request.
"""
import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from lib.framework.cache_folder import DEBRIS, entry_sidecar, require

UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
         "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)


def parse_size(text) -> int:
    """'500MB', '2GB', '1.5GiB' or a byte count as a positive number of bytes, or a one-line ValueError."""
    match = SIZE.match(str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in UNITS:
        raise ValueError(f"cache size {text!r} is not a size; give a number with a unit: 500MB, 2GB, 1.5GiB")
    size = int(float(match.group(1)) * UNITS[unit])
    if size <= 0:
        raise ValueError(f"cache size {text!r} is not positive; give e.g. 500MB or 2GB")
    return size


def human(size: float) -> str:
    """A byte count in MB or GB (decimal, as parse_size reads them)."""
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.1f} MB"


@dataclass(frozen=True)
class Entry:
    kind: str
    stem: Path  # <folder>/<kind>/<digest>
    size: int  # the npz and its key, in bytes
    last_used: float  # the npz's modification time (seconds since the epoch)


def entries(folder: Path) -> list[Entry]:
    """Every whole entry the cache wrote under folder, least recently used first."""
    found = []
    for npz in Path(folder).glob("*/*.npz"):
        if entry_sidecar(npz) is None:
            continue
        try:
            stat = npz.stat()
            size = stat.st_size + npz.with_suffix(".json").stat().st_size
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        found.append(Entry(npz.parent.name, npz.with_suffix(""), size, stat.st_mtime))
    return sorted(found, key=lambda entry: (entry.last_used, str(entry.stem)))


def debris(folder: Path) -> list[Entry]:
    """What the cache left that is not an entry: temporary files of writes in progress or killed, and entries set
    aside as damaged; each with the stem of the entry it belongs to, whose lock tells whether a process owns it."""
    found = []
    for path in Path(folder).glob("*/*"):
        match = DEBRIS.match(path.name)
        if match is None:
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        found.append(Entry(path.parent.name, path.parent / match["digest"], stat.st_size, stat.st_mtime))
    return found


def size_per_kind(folder: Path) -> dict[str, tuple[int, int]]:
    """kind -> (entries, bytes), debris counted in bytes."""
    totals = defaultdict(lambda: [0, 0])
    for entry in entries(folder):
        totals[entry.kind][0] += 1
        totals[entry.kind][1] += entry.size
    for piece in debris(folder):
        totals[piece.kind][1] += piece.size
    return {kind: tuple(counts) for kind, counts in sorted(totals.items())}


@dataclass(frozen=True)
class Pruned:
    removed: int
    freed: int  # bytes
    left: int  # bytes the entries still hold
    kept_in_use: int  # entries over the cap kept because the current run used them (or another process holds them)


def prune(folder: Path, max_bytes: int, keep_since: float = float("inf")) -> Pruned:
    """Remove the debris no process owns, then least-recently-used entries until the cache fits in max_bytes; never an
    entry used at or after keep_since. A one-line ValueError for a folder that is not an experiment cache."""
    require(folder)
    left_debris = sum(piece.size for piece in debris(folder) if not _remove_debris(piece))
    found = entries(folder)
    total = sum(entry.size for entry in found) + left_debris
    removed = freed = kept = 0
    for entry in found:
        if total <= max_bytes:
            break
        if entry.last_used >= keep_since or not _remove(entry):
            kept += 1
            continue
        removed, freed, total = removed + 1, freed + entry.size, total - entry.size
    return Pruned(removed, freed, total, kept)


def _remove_debris(piece: Entry) -> bool:
    """Delete a piece of debris unless a process holds its entry's lock (a write in progress); whether it went."""
    try:
        with FileLock(str(piece.stem) + ".lock", timeout=0):
            for path in piece.stem.parent.glob(f"*{piece.stem.name}.*"):
                if DEBRIS.match(path.name):
                    path.unlink(missing_ok=True)
    except Timeout:
        return False
    return True


def _remove(entry: Entry) -> bool:
    """Delete the entry's arrays, then its key, under its lock; False if another process holds the lock."""
    try:
        with FileLock(str(entry.stem) + ".lock", timeout=0):
            entry.stem.with_suffix(".npz").unlink(missing_ok=True)
            entry.stem.with_suffix(".json").unlink(missing_ok=True)
    except Timeout:
        return False
    return True


def summary_lines(folder: Path) -> list[str]:
    sizes = size_per_kind(folder)
    width = max([len("kind"), *map(len, sizes)])
    lines = [f"{'kind':<{width}}  {'entries':>7}  {'size':>10}"]
    lines += [f"{kind:<{width}}  {count:>7}  {human(size):>10}" for kind, (count, size) in sizes.items()]
    total = sum(size for _, size in sizes.values())
    lines.append(f"{'total':<{width}}  {sum(c for c, _ in sizes.values()):>7}  {human(total):>10}  in {folder}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.cache", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=".claims-cache", help="the cache folder (default: .claims-cache)")
    parser.add_argument("--prune", default=None, metavar="SIZE",
                        help="remove least-recently-used entries until the cache fits in SIZE (500MB, 2GB)")
    args = parser.parse_args(argv)
    folder = Path(args.cache)
    if not folder.is_dir():
        parser.error(f"cache folder {args.cache!r} does not exist")
    try:
        cap = parse_size(args.prune) if args.prune is not None else None
        require(folder)
    except ValueError as error:
        parser.error(str(error))
    if cap is not None:
        done = prune(folder, cap)
        print(f"removed {done.removed} least recently used entries ({human(done.freed)}); "
              f"{human(done.left)} left, cap {human(cap)}")
    print("\n".join(summary_lines(folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
