"""The suite's run settings, validated: root seed, artifacts folder, device, thread count."""
import os
import tempfile
from pathlib import Path

import numba
import torch


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


def accepted_devices() -> list[str]:
    """The devices this machine runs the suite on: cpu, and cuda and cuda:N for each CUDA device torch sees."""
    if not torch.cuda.is_available():
        return ["cpu"]
    return ["cpu", "cuda", *(f"cuda:{n}" for n in range(torch.cuda.device_count()))]


def parse_device(raw: str) -> str:
    """A device of accepted_devices(), or a one-line ValueError naming the bad value and what is accepted here."""
    accepted = accepted_devices()
    if raw not in accepted:
        note = "" if torch.cuda.is_available() else " (no CUDA device on this machine)"
        raise ValueError(f"device {raw!r} cannot be used here: accepted: {', '.join(accepted)}{note}")
    return raw


def set_thread_count(workers: int = 1) -> int:
    """Share this machine's cores among the processes running tests; returns torch's thread count."""
    threads = threads_for(workers)
    torch.set_num_threads(threads)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return threads


def threads_for(workers: int) -> int:
    """The cores of this machine divided among workers processes, at least one each."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))
