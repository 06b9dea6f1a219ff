"""numba's on-disk cache, made to see the whole engine: a compiled function of one engine file is stale when any of
them changes.

numba stamps a cached function with its own source file alone, so a caller in lib/kernel.py would keep serving
machine code built from an older lib/kernel_two_wide.py (whose code it inlines) or lib/simd.py (whose intrinsics
write it). Here the engine's functions are stamped with the digest of every engine file instead. `watch()` must
run before a module's `@numba.njit(cache=True)` decorators do.
"""
import hashlib
from pathlib import Path

from numba.core import caching

LIB = Path(__file__).resolve().parent
ENGINE_FILES = ("kernel.py", "kernel_layers.py", "kernel_two_wide.py", "engine_sums.py", "simd.py", "shuffle.py",
                "grid_range.py", "numba_cache.py")


def engine_digest() -> str:
    """The digest of the engine files' contents."""
    digest = hashlib.sha256()
    for name in ENGINE_FILES:
        digest.update(name.encode() + b"\0" + (LIB / name).read_bytes())
    return digest.hexdigest()


def is_engine_file(py_file: str) -> bool:
    path = Path(py_file).resolve()
    return path.parent == LIB and path.name in ENGINE_FILES


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
