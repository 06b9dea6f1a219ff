"""numba's cached engine code is stamped with every engine file, not only its own (lib/engine/numba_cache.py)."""
import shutil

import numba

from lib.engine import kernel, kernel_two_wide, numba_cache


def test_the_engines_compiled_functions_carry_the_digest_of_every_engine_file():
    for dispatcher in (kernel.train_all, kernel_two_wide.train_two_wide):
        locator = dispatcher._cache._impl.locator
        assert type(locator).__name__.startswith("Engine")
        assert locator.get_source_stamp() == numba_cache.engine_digest()


def test_an_edit_to_any_engine_file_changes_the_digest(tmp_path, monkeypatch):
    names = [path.name for path in numba_cache.engine_files()]
    for name in names:
        shutil.copy(numba_cache.ENGINE / name, tmp_path / name)
    monkeypatch.setattr(numba_cache, "ENGINE", tmp_path)
    before = numba_cache.engine_digest()
    for name in names:
        (tmp_path / name).write_text((tmp_path / name).read_text() + "\n# edited\n")
        after = numba_cache.engine_digest()
        assert after != before, name
        before = after


def test_functions_outside_the_engine_keep_numbas_own_stamp():
    @numba.njit(cache=True)
    def twice(x):
        return 2 * x

    assert twice(2) == 4
    assert not type(twice._cache._impl.locator).__name__.startswith("Engine")


def test_every_lib_file_with_cached_numba_code_is_an_engine_file():
    lib = numba_cache.ENGINE.parent
    cached = {path for path in lib.glob("**/*.py") if "cache=True" in path.read_text()}
    assert cached and cached <= set(numba_cache.engine_files())
