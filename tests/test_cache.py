"""The experiment cache: computed once, served again, never stale, never half-written, shared under a lock."""
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lib.framework.cache import ExperimentCache, lib_modules_used, versions

REPO = Path(__file__).resolve().parents[1]


def counting(calls: list):
    def compute():
        calls.append(1)
        return {"values": np.arange(5.0) * len(calls)}
    return compute


def test_an_experiment_is_computed_once_then_served_from_disk(tmp_path):
    calls = []
    first = ExperimentCache(tmp_path).load_or_compute("toy", {"n": 5}, "lib.framework.naming", counting(calls))
    again = ExperimentCache(tmp_path).load_or_compute("toy", {"n": 5}, "lib.framework.naming", counting(calls))  # a new process
    other = ExperimentCache(tmp_path).load_or_compute("toy", {"n": 6}, "lib.framework.naming", counting(calls))
    assert len(calls) == 2 and np.array_equal(first["values"], again["values"])
    assert not np.array_equal(first["values"], other["values"])
    entries = sorted(p.suffix for p in (tmp_path / "toy").iterdir() if not p.name.endswith(".lock"))
    assert entries == [".json", ".json", ".npz", ".npz"]  # plain, inspectable: the key in JSON, the arrays in npz


def test_holds_says_whether_an_experiment_would_be_served_without_computing(tmp_path):
    cache = ExperimentCache(tmp_path)
    assert not cache.holds("toy", {"n": 5}, "lib.framework.naming")
    cache.load_or_compute("toy", {"n": 5}, "lib.framework.naming", counting([]))
    assert ExperimentCache(tmp_path).holds("toy", {"n": 5}, "lib.framework.naming")  # on disk, for a new process
    assert not ExperimentCache(tmp_path).holds("toy", {"n": 6}, "lib.framework.naming")
    assert not ExperimentCache(tmp_path).holds("other", {"n": 5}, "lib.framework.naming")
    in_memory = ExperimentCache(None)
    in_memory.load_or_compute("toy", {"n": 5}, "lib.framework.naming", counting([]))
    assert in_memory.holds("toy", {"n": 5}, "lib.framework.naming") and not ExperimentCache(None).holds("toy", {"n": 5}, "lib.framework.naming")


def test_the_log_says_where_each_experiment_came_from(tmp_path):
    ExperimentCache(tmp_path).load_or_compute("toy", {}, "lib.framework.naming", counting([]))
    cache = ExperimentCache(tmp_path)
    cache.load_or_compute("toy", {}, "lib.framework.naming", counting([]))
    assert cache.origin_since(0) == "from the cache"
    cache.load_or_compute("toy", {"new": 1}, "lib.framework.naming", counting([]))
    assert cache.origin_since(0) == "partly from the cache" and cache.origin_since(1) == "computed"
    off, calls = ExperimentCache(None), []
    off.load_or_compute("toy", {}, "lib.framework.naming", counting(calls))
    assert off.origin_since(0) == "computed (cache off)"
    off.load_or_compute("toy", {}, "lib.framework.naming", counting(calls))
    assert len(calls) == 1  # with the cache off, a result is still kept in memory for the process


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"not a zip file", lambda b: b""])
def test_a_damaged_entry_is_computed_again_and_replaced(tmp_path, damage):
    calls = []
    ExperimentCache(tmp_path).load_or_compute("toy", {}, "lib.framework.naming", counting(calls))
    entry = next((tmp_path / "toy").glob("*.npz"))
    entry.write_bytes(damage(entry.read_bytes()))
    with pytest.warns(UserWarning, match="is damaged"):
        result = ExperimentCache(tmp_path).load_or_compute("toy", {}, "lib.framework.naming", counting(calls))
    assert len(calls) == 2 and result["values"][1] == 2.0
    assert ExperimentCache(tmp_path).load_or_compute("toy", {}, "lib.framework.naming", counting(calls))["values"][1] == 2.0
    assert len(calls) == 2  # the replacement is whole


def test_the_key_follows_the_lib_modules_an_experiment_runs_through():
    used = lib_modules_used("lib.protocols.lu")
    assert {"lib.protocols.lu", "lib.engine.kernel", "lib.engine.fast_training", "lib.nets.initializers", "lib.protocols.targets"} <= set(used)
    assert "lib.protocols.week10" not in used and "lib.framework.plots" not in used
    assert "lib.framework.cache_limit" not in used


def test_the_key_holds_the_versions_of_the_packages_the_code_imports():
    """The framework knows no engine: an experiment's key names the versions of what its own code imports."""
    assert {"python", "torch", "numba", "numpy"} <= set(versions("lib.protocols.lu"))
    assert "scipy" in versions("lib.framework.stats") and "torch" not in versions("lib.framework.stats")


RUN_TINY = """
import torch
from lib.framework.cache import ExperimentCache
from lib.protocols.self_normalization import layer_moments_cached
cache = ExperimentCache(__import__("pathlib").Path("cache"))
means, _ = layer_moments_cached(cache, "selu", "lecun_normal", [4] * 3, [1, 2], torch.ones(3, 4, dtype=torch.float64))
print(cache.origin_since(0), means.sum())
"""


def test_editing_lib_code_an_experiment_uses_makes_it_compute_again(tmp_path):
    shutil.copytree(REPO / "lib", tmp_path / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    run = lambda: subprocess.run([sys.executable, "-c", RUN_TINY], cwd=tmp_path, capture_output=True, text=True,
                                 check=True).stdout.split()[0:3]
    assert run()[0] == "computed" and run()[:3] == ["from", "the", "cache"]
    activations = tmp_path / "lib" / "nets" / "activations.py"  # the SELU nets' activation
    source = activations.read_text()
    line = "    return x\n"
    assert source.count(line) == 1
    commented = source.replace(line, "    return x  # a note\n").replace('"""', '"""A docstring edited. ', 1)
    activations.write_text(commented)
    assert run()[:3] == ["from", "the", "cache"]  # comments and docstrings do not run
    activations.write_text(source.replace(line, "    unused = 0\n" + line))
    assert run()[0] == "computed"  # the same numbers, but the code changed: never served as if it had not
    plots = Path("lib", "framework", "plots.py")
    (tmp_path / plots).write_text((REPO / plots).read_text() + "\nUNRELATED = 1\n")
    assert run()[:3] == ["from", "the", "cache"]  # a module the experiment does not run through


SHARED = """
import sys, time
from pathlib import Path
import numpy as np
from lib.framework.cache import ExperimentCache
def compute():
    with open("calls", "a") as f:
        f.write("1")
    time.sleep(1.0)
    return {"x": np.ones(3)}
ExperimentCache(Path("cache")).load_or_compute("shared", {}, "lib.framework.naming", compute)
"""


def test_two_processes_that_need_one_experiment_compute_it_once(tmp_path):
    shutil.copytree(REPO / "lib", tmp_path / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    workers = [subprocess.Popen([sys.executable, "-c", SHARED], cwd=tmp_path) for _ in range(2)]
    assert [w.wait() for w in workers] == [0, 0]
    assert (tmp_path / "calls").read_text() == "1"


def test_the_torch_default_probes_and_the_selu_moments_are_served_from_the_cache(tmp_path):
    """The second ask (a new process: a new ExperimentCache on the same folder) computes nothing and gets the same."""
    import torch
    from lib.nets.probes import LayerStats
    from lib.protocols.self_normalization import layer_moments, layer_moments_cached
    from lib.protocols.torch_linear import probe_torch_default, probe_torch_default_cached

    pixels, labels = torch.rand(20, 784), torch.arange(20) % 10
    inputs = torch.randn(10, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ask = lambda cache: (probe_torch_default_cached(cache, "relu", [1, 2, 3], True, pixels, labels, chunk=2),
                         layer_moments_cached(cache, "selu", "lecun_normal", [8] * 5, [1, 2], inputs))
    first, again = ExperimentCache(tmp_path), ExperimentCache(tmp_path)
    _, (probed_again, moments_again) = ask(first), ask(again)
    assert first.log == [("torch-default-probe", "computed"), ("selu-moments", "computed")]
    assert again.log == [("torch-default-probe", "cache"), ("selu-moments", "cache")]
    uncached = probe_torch_default("relu", [1, 2, 3], True, pixels, labels, chunk=2)
    for field in LayerStats.__dataclass_fields__:
        assert np.array_equal(getattr(probed_again, field), getattr(uncached, field), equal_nan=True)
    for served, computed in zip(moments_again, layer_moments("selu", "lecun_normal", [8] * 5, [1, 2], inputs)):
        assert np.array_equal(served, computed)
