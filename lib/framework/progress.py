"""Progress of long experiments, as lines of text: silent until a reporter is set (the plugin sets one)."""
import time
from contextlib import contextmanager
from typing import Callable

_reporter: Callable[[str], None] | None = None


def set_reporter(reporter: Callable[[str], None] | None) -> None:
    """Send progress lines to reporter (None: silence)."""
    global _reporter
    _reporter = reporter


def report(text: str) -> None:
    if _reporter is not None:
        _reporter(text)


@contextmanager
def step(name: str, at_least: float = 2.0):
    """Report name with the seconds it took, once it is done, if it took at least at_least seconds."""
    started = time.perf_counter()
    yield
    seconds = time.perf_counter() - started
    if seconds >= at_least:
        report(f"{name}: {seconds:.1f} s")


def epoch_reporter(name: str, epochs: int, every: int = 1):
    """An on_epoch(epoch, net) callback that reports 'name: epoch k of N, elapsed'."""
    started = time.perf_counter()

    def on_epoch(epoch: int, _net) -> None:
        if epoch and (epoch % every == 0 or epoch == epochs):
            report(f"{name}: epoch {epoch} of {epochs}, {time.perf_counter() - started:.0f} s")

    return on_epoch
