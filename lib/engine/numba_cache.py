"""numba's on-disk cache, made to see the whole engine: a compiled function of one engine file is stale when any of
them changes.

numba stamps a cached function with its own source file alone, so a caller in lib/engine/kernel.py would keep serving
machine code built from an older lib/engine/kernel_two_wide.py (whose code it inlines) or lib/engine/simd.py (whose intrinsics
write it). Here the engine's functions are stamped with the digest of every engine file instead. `watch()` must
run before a module's `@numba.njit(cache=True)` decorators do.
"""
import hashlib
from pathlib import Path

from numba.core import caching

ENGINE = Path(__file__).resolve().parent  # lib/engine: every file of the package is an engine file


def engine_files() -> list[Path]:
    return sorted(ENGINE.glob("*.py"))


def engine_digest() -> str:
    """The digest of the engine files' contents."""
    digest = hashlib.sha256()
    for path in engine_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def is_engine_file(py_file: str) -> bool:
    return Path(py_file).resolve().parent == ENGINE


def _engine_locator(base):
    class EngineLocator(base):
        """base's cache folder for an engine file's functions, stamped with every engine file's digest."""

        @classmethod
        def from_function(cls, py_func, py_file):
            return super().from_function(py_func, py_file) if is_engine_file(py_file) else None

        def get_source_stamp(self):
            return engine_digest()

    EngineLocator.__name__ = EngineLocator.__qualname__ = f"Engine{base.__name__}"
    return EngineLocator


LOCATORS = [_engine_locator(base) for base in (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator,
                                                caching.UserWideCacheLocator)]


def watch() -> None:
    """Put the engine's locators first among numba's (once), so its cached functions carry the engine's digest."""
    if caching.CacheImpl._locator_classes[:len(LOCATORS)] != LOCATORS:
        caching.CacheImpl._locator_classes[:0] = LOCATORS
