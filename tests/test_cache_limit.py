"""The experiment cache kept within a size: least recently used out first, never what the current run used."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from lib.framework.cache import ExperimentCache
from lib.framework.cache_limit import entries, parse_size, prune, size_per_kind

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text, size", [("500MB", 500 * 10**6), ("2GB", 2 * 10**9), ("1.5GiB", 3 * 2**29),
                                        ("2 gb", 2 * 10**9), ("4096", 4096), ("10kB", 10_000)])
def test_sizes_read_as_people_write_them(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["2XB", "abc", "-1GB", "0", "0MB", "", "nan", "1e9"])
def test_a_bad_size_is_one_line_naming_it(text):
    with pytest.raises(ValueError, match=f"cache size {text!r} is not") as error:
        parse_size(text)
    assert "\n" not in str(error.value)


def fill(folder: Path, count: int, kind: str = "toy") -> list[Path]:
    """count entries of about 8 kB each, the first used longest ago; their npz paths."""
    cache = ExperimentCache(folder)
    for n in range(count):
        cache.load_or_compute(kind, {"n": n}, "lib.framework.naming", lambda: {"x": np.zeros(1000)})
    key = lambda entry: json.loads(json.loads(entry.stem.with_suffix(".json").read_text())["key"])["key"]["n"]
    paths = [e.stem.with_suffix(".npz") for e in sorted(entries(folder), key=key)]
    for n, path in enumerate(paths):
        os.utime(path, (1e9 + n, 1e9 + n))
    return paths


def test_pruning_removes_the_least_recently_used_until_the_cache_fits(tmp_path):
    paths = fill(tmp_path, 5)
    size = entries(tmp_path)[0].size
    done = prune(tmp_path, 3 * size)
    assert (done.removed, done.freed, done.left) == (2, 2 * size, 3 * size)
    assert [p.exists() for p in paths] == [False, False, True, True, True]
    assert not paths[0].with_suffix(".json").exists()  # the whole entry, key and arrays
    assert prune(tmp_path, 3 * size).removed == 0  # it fits: nothing more goes


def test_serving_an_entry_marks_it_used_so_it_goes_last(tmp_path):
    paths = fill(tmp_path, 3)
    ExperimentCache(tmp_path).load_or_compute("toy", {"n": 0}, "lib.framework.naming", lambda: pytest.fail("was cached"))
    prune(tmp_path, entries(tmp_path)[0].size)
    assert [p.exists() for p in paths] == [True, False, False]


def test_entries_the_current_run_used_or_another_process_holds_are_kept(tmp_path):
    paths = fill(tmp_path, 4)
    size = entries(tmp_path)[0].size
    with FileLock(str(paths[1].with_suffix("")) + ".lock"):  # another process is reading or writing it
        done = prune(tmp_path, size, keep_since=1e9 + 2)  # entries 2 and 3 were used by this run
    assert [p.exists() for p in paths] == [False, True, True, True]
    assert (done.removed, done.kept_in_use, done.left) == (1, 3, 3 * size)


def test_the_command_line_prints_the_size_per_kind_and_prunes(tmp_path):
    fill(tmp_path, 3, "toy")
    fill(tmp_path, 2, "other")
    assert {kind: count for kind, (count, _) in size_per_kind(tmp_path).items()} == {"other": 2, "toy": 3}
    command = [sys.executable, "-m", "lib.cache", "--cache", str(tmp_path)]
    shown = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "toy" in shown and "other" in shown and "total" in shown
    pruned = subprocess.run([*command, "--prune", "10kB"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "removed 4 least recently used entries" in pruned and len(entries(tmp_path)) == 1
    bad = subprocess.run([*command, "--prune", "lots"], cwd=REPO, capture_output=True, text=True)
    assert bad.returncode == 2 and "cache size 'lots' is not a size" in bad.stderr


CLAIM = ["-m", "claims", "-k", "he_preserves_relu"]  # a fast claim with two cached experiments (Lab3 probes)


def claims_run(tmp_path: Path, seed: int, cache: str, *extra: str) -> dict:
    artifacts = tmp_path / f"artifacts-{seed}-{cache}"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CLAIM, "--claims-seed", str(seed),
                    f"--claims-cache={tmp_path / cache}", f"--claims-artifacts={artifacts}", *extra],
                   cwd=REPO, check=True, capture_output=True)
    finding = json.loads((artifacts / "findings.json").read_text())["findings"][0]
    return {k: finding[k] for k in ("verdict", "summary", "measured")}


def test_a_second_seed_under_a_cap_leaves_the_cache_within_it_and_the_findings_unchanged(tmp_path):
    claims_run(tmp_path, 1, "capped")
    first_seed = {e.stem.name: e.last_used for e in entries(tmp_path / "capped")}  # experiments and figures
    one_seed = sum(e.size for e in entries(tmp_path / "capped"))
    cap = int(1.5 * one_seed)  # below what both seeds need together
    capped = claims_run(tmp_path, 2, "capped", "--claims-cache-max", str(cap))
    left = entries(tmp_path / "capped")
    assert sum(e.size for e in left) <= cap
    uncapped = claims_run(tmp_path, 2, "uncapped")
    second_seed = {e.stem.name for e in entries(tmp_path / "uncapped")}  # an entry's name is its key's digest
    kept = {e.stem.name for e in left}
    assert second_seed <= kept  # this run's entries stayed
    gone, stayed = set(first_seed) - kept, set(first_seed) & kept - second_seed
    assert gone and max(first_seed[g] for g in gone) <= min((first_seed[s] for s in stayed), default=float("inf"))
    assert capped == uncapped  # least recently used first, and the findings are those of an uncapped run
