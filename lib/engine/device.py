"""The torch device the engine runs on, and how many threads torch and numba use."""
import numba
import torch

from lib.framework.settings import threads_for


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
