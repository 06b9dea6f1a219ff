"""Pure computations remembered: a statistic's or a property's result served again only under the same code and values."""
import numpy as np
import pytest

from claims import week10_common
from lib.framework import memo, stats
from lib.framework.cache import ExperimentCache


def counted(compute, calls: list):
    return lambda: calls.append(1) or compute()


def test_a_result_is_computed_once_then_served(tmp_path):
    calls = []
    key = lambda: {"x": memo.value_digest(np.arange(3.0))}
    first = memo.remembered(tmp_path, "sum", key, counted(lambda: {"s": np.array(3.0)}, calls))
    again = memo.remembered(tmp_path, "sum", key, counted(lambda: {"s": np.array(-1.0)}, calls))
    assert calls == [1] and first["s"] == again["s"] == 3.0


def test_without_a_store_or_a_hashable_key_every_call_computes(tmp_path):
    calls = []
    for store, key in [(None, lambda: {"x": 1}), (tmp_path, lambda: {"x": memo.value_digest(object())})] * 2:
        memo.remembered(store, "sum", key, counted(lambda: {"s": np.array(3.0)}, calls))
    assert len(calls) == 4 and not (tmp_path / "sum").exists()


def test_a_result_kept_in_the_run_s_cache_counts_among_its_experiments(tmp_path):
    cache = ExperimentCache(tmp_path)
    for _ in range(2):
        memo.remembered(cache, "sum", lambda: {"x": 1}, lambda: {"s": np.array(3.0)})
    assert cache.log == [("sum", "computed"), ("sum", "cache")]


def scaled_by(factor):
    return lambda x: factor * x


def test_a_function_s_code_holds_its_source_and_its_closure_s_values():
    code = memo.function_code
    assert code(scaled_by(2)) == code(scaled_by(2))
    assert code(scaled_by(2)) != code(scaled_by(3))  # the same source, another captured value
    assert code(scaled_by(2)) != code(lambda x: 2 * x)
    for unkeyable in (scaled_by(object()), np.mean, len):  # a value with no stable bytes; code outside the project
        with pytest.raises(TypeError):
            code(unkeyable)


def test_file_code_reads_the_lib_modules_a_file_imports(monkeypatch):
    path = memo.PROJECT / "claims" / "week10_common.py"
    before = memo.file_code(path)
    memo.file_code.cache_clear()
    monkeypatch.setattr(memo, "source_hash", lambda module: "edited" if module == "lib.framework.memo" else "same")
    assert memo.file_code(path) != before
    memo.file_code.cache_clear()


def test_a_kept_bootstrap_interval_equals_the_one_computed(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    samples = (rng.normal(size=200), rng.normal(1.0, size=150))
    difference = lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis)
    computed = stats.bootstrap_interval(samples, difference, 0.99, 7)
    assert stats.bootstrap_interval(samples, difference, 0.99, 7, tmp_path) == computed
    def computed_again(*args):
        raise AssertionError("computed again")

    monkeypatch.setattr(stats, "_bootstrap", computed_again)
    assert stats.bootstrap_interval(samples, difference, 0.99, 7, tmp_path) == computed
    with pytest.raises(AssertionError, match="computed again"):  # another seed is another interval
        stats.bootstrap_interval(samples, difference, 0.99, 8, tmp_path)


def test_a_property_s_outcome_is_kept_counterexample_and_all(tmp_path):
    cache = ExperimentCache(tmp_path)

    def below_one(value):
        assert value < 1.0, "not below 1"

    strategy = lambda st: week10_common.floats(st, 0.0, 2.0)
    outcome = week10_common.run_property(below_one, strategy, cache)
    assert outcome[1]["error"].startswith("not below 1") and outcome[1]["falsifying_example"] == "1.0"
    assert week10_common.run_property(below_one, strategy, cache) == outcome
    assert cache.log == [("property", "computed"), ("property", "cache")]
    passing = week10_common.run_property(lambda value: None, strategy, cache)
    assert passing == (week10_common.EXAMPLES, None)


def test_a_value_holding_a_project_function_is_hashed_by_its_code():
    """A claim's Rule holds its computation: a value holding it is keyed by the function's code, so a property claim
    that closes over its Claim is still kept in the cache."""
    from functools import partial

    from lib.framework.rules import deterministic
    from lib.protocols.calibrations import lu

    rule = deterministic("words", "why")
    assert memo.value_digest(rule) == memo.value_digest(deterministic("words", "why"))
    assert memo.value_digest(partial(lu.over_90_errors, 1)) != memo.value_digest(partial(lu.sensitivity_errors, 1))
    with pytest.raises(TypeError):
        memo.value_digest(print)  # no code here to key it by
