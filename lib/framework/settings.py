"""The suite's run settings, validated: root seed, folders, the cores a run may use (devices and threads:
lib.engine.device)."""
import os
import tempfile
from pathlib import Path


def parse_seed(raw) -> int:
    """The root seed as a non-negative integer, or a one-line ValueError naming the bad value."""
    try:
        seed = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"claims seed {raw!r} is not an integer; give a non-negative integer") from None
    if seed < 0:
        raise ValueError(f"claims seed {raw!r} is negative; give a non-negative integer")
    return seed


def prepare_writable_dir(raw, what: str = "artifacts folder") -> Path:
    """Create the folder and prove it writable, or raise a one-line ValueError naming it."""
    path = Path(raw).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as error:
        raise ValueError(f"{what} {str(raw)!r} cannot be written: {error.strerror or error}") from None
    return path


CORES_VARIABLE = "CLAIMS_CORES"  # set by a sweep's worker (lib.framework.sweep): the cores this run may use


def available_cores() -> int:
    """The cores this run may use: CLAIMS_CORES where a sweep's worker set it, else the cores this process may run on."""
    given = os.environ.get(CORES_VARIABLE, "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def threads_for(workers: int) -> int:
    """The cores this run may use divided among workers processes, at least one each."""
    return max(1, available_cores() // max(1, workers))
