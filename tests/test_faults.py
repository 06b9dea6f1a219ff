"""Nothing lost, nothing served wrong: the experiment cache and the findings record under corruption, concurrency, a
full disk and bad input (the sweep's own faults: tests/test_sweep_faults.py)."""
import json
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from lib.framework import cache_folder, cache_limit
from lib.framework.atomic import write_text
from lib.framework.cache import ExperimentCache, read_entry

REPO = Path(__file__).resolve().parents[1]


def user_files(folder: Path) -> dict[str, bytes]:
    """A folder of a user's own results, shaped like cache entries (an npz beside a same-named json)."""
    (folder / "run1").mkdir(parents=True)
    np.savez(folder / "run1" / "results.npz", x=np.arange(3))
    (folder / "run1" / "results.json").write_text('{"note": "mine"}')
    (folder / "notes.txt").write_text("mine too")
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_pruner_refuses_a_folder_that_is_not_a_cache_and_touches_nothing(tmp_path):
    before = user_files(tmp_path / "mine")
    result = subprocess.run([sys.executable, "-m", "lib.cache", "--cache", str(tmp_path / "mine"), "--prune", "1B"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2 and "is not an experiment cache" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # argparse's usage line and the one error line
    assert {str(p.relative_to(tmp_path / "mine")): p.read_bytes() for p in (tmp_path / "mine").rglob("*")
            if p.is_file()} == before


def test_a_run_refuses_a_cache_folder_of_user_files(tmp_path):
    before = user_files(tmp_path / "mine")
    with pytest.raises(ValueError, match="is not an experiment cache"):
        ExperimentCache(tmp_path / "mine")
    assert {str(p.relative_to(tmp_path / "mine")): p.read_bytes() for p in (tmp_path / "mine").rglob("*")
            if p.is_file()} == before


def test_inside_a_cache_the_pruner_removes_only_what_the_cache_wrote(tmp_path):
    cache = ExperimentCache(tmp_path / "cache")
    cache.load_or_compute("toy", {"n": 1}, "lib.framework.naming", lambda: {"values": np.ones(1000)})
    stranger = tmp_path / "cache" / "toy" / ("0" * 32 + ".npz")  # an entry's name, but no key that hashes to it
    stranger.write_bytes(b"not an entry")
    stranger.with_suffix(".json").write_text('{"key": "another key"}')
    done = cache_limit.prune(tmp_path / "cache", 1)
    assert done.removed == 1 and stranger.exists() and stranger.with_suffix(".json").exists()
    assert (tmp_path / "cache" / cache_folder.TAG).read_text().startswith(cache_folder.SIGNATURE)


def one_entry(folder: Path) -> tuple[ExperimentCache, Path]:
    cache = ExperimentCache(folder)
    cache.load_or_compute("toy", {}, "lib.framework.naming", lambda: {"values": np.arange(4.0), "more": np.eye(3)})
    return cache, next((folder / "toy").glob("*.npz"))


def test_no_single_bit_flip_in_an_entrys_headers_is_ever_served(tmp_path):
    _, npz = one_entry(tmp_path)
    key = json.loads(npz.with_suffix(".json").read_text())["key"]
    whole = npz.read_bytes()
    header_bits = [*range(0, 64 * 8), *range((len(whole) - 200) * 8, len(whole) * 8)]  # local and central headers
    for bit in header_bits:
        flipped = bytearray(whole)
        flipped[bit // 8] ^= 1 << (bit % 8)
        npz.write_bytes(bytes(flipped))
        arrays, problem = read_entry(npz, key)
        assert arrays is None and problem, bit
    npz.write_bytes(whole)
    assert read_entry(npz, key)[0] is not None


def test_a_damaged_entry_warns_in_one_line_is_set_aside_and_computed_again(tmp_path):
    _, npz = one_entry(tmp_path)
    data = bytearray(npz.read_bytes())
    data[10] ^= 0x08
    npz.write_bytes(bytes(data))
    calls = []
    with pytest.warns(UserWarning) as caught:
        arrays = ExperimentCache(tmp_path).load_or_compute(
            "toy", {}, "lib.framework.naming", lambda: calls.append(1) or {"values": np.arange(4.0), "more": np.eye(3)})
    message = str(caught[0].message)
    assert len(caught) == 1 and "\n" not in message and npz.name in message and "set aside" in message
    assert calls == [1] and np.array_equal(arrays["values"], np.arange(4.0))
    assert npz.with_name(f"{npz.stem}.damaged.npz").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the replacement is whole: served without a warning
        assert ExperimentCache(tmp_path).load_or_compute("toy", {}, "lib.framework.naming", lambda: 1 / 0)["more"].shape == (3, 3)


def test_a_killed_writes_temporary_file_is_counted_and_pruned_once_no_process_owns_it(tmp_path):
    _, npz = one_entry(tmp_path)
    left = npz.with_name(f".{npz.name}.k1llwr")  # what atomic.write_with leaves when killed mid-write
    left.write_bytes(b"x" * 5000)
    assert cache_limit.size_per_kind(tmp_path)["toy"][1] >= 5000
    with FileLock(str(npz.with_suffix(".lock"))):  # a process writing that entry owns it
        cache_limit.prune(tmp_path, 10**9)
        assert left.exists()
    done = cache_limit.prune(tmp_path, 10**9)
    assert not left.exists() and npz.exists() and done.removed == 0


def test_reports_and_entries_are_created_with_the_users_umask(tmp_path):
    program = ("import os; os.umask(0o022)\nfrom pathlib import Path\nfrom lib.framework.atomic import write_text\n"
               f"write_text(Path({str(tmp_path / 'report.md')!r}), 'x')")
    subprocess.run([sys.executable, "-c", program], cwd=REPO, check=True)
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == 0o644


RECORDER = """
import sys
from pathlib import Path
from lib.framework.findings import Finding
from lib.framework.record_update import update

root, claim = Path(sys.argv[1]), sys.argv[2]
for k in range(int(sys.argv[3])):
    finding = Finding(id=f"{claim}-{k}", statement="s", source="x", rule="r", verdict="supported", summary="m",
                      measured={}, test={}, setup={}, run={"id": claim})
    update(root, [finding], False, {"id": claim, "root_seed": 1, "time": "t", "commit": None, "command": "c"}, {})
"""


def test_two_runs_on_one_artifacts_folder_lose_nothing(tmp_path):
    """Two runs with different -k write the same record at once: every finding of both is kept."""
    runs = [subprocess.Popen([sys.executable, "-c", RECORDER, str(tmp_path), claim, "15"], cwd=REPO)
            for claim in ("a", "b")]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    ids = {f["id"] for f in json.loads((tmp_path / "findings.json").read_text())["findings"]}
    assert ids == {f"{claim}-{k}" for claim in "ab" for k in range(15)}


CLAIM_TEST = '''
import pytest
from lib.framework.findings import Claim
from lib.framework.rules import deterministic

CLAIM = Claim("fake-supported", "a fake claim", "nowhere", deterministic("the rule", "a fake check"))

@pytest.mark.claim(CLAIM)
def test_supported(finding):
    finding.conclude(CLAIM.finding("supported", "measured 88.1%", {}, {}, {}))
'''


@pytest.fixture
def project(pytester):
    pytester.makeini("[pytest]\nmarkers =\n    claims: c\n    slow: s\nclaims_artifacts = out\nclaims_seed = 5\n")
    pytester.makepyfile(test_claims=CLAIM_TEST)
    return pytester


@pytest.mark.parametrize("record", [{"findings": [{"run": None}]}, {"findings": "x"},
                                    {"findings": [{"id": "a", "statement": "s", "source": "x", "rule": "r",
                                                   "verdict": "supported", "summary": "m", "measured": "x",
                                                   "test": {}, "setup": {}, "run": {}}]}])
def test_a_record_of_the_wrong_shape_is_set_aside_with_one_warning_and_the_reports_are_written(project, record):
    (project.path / "out").mkdir()
    (project.path / "out" / "findings.json").write_text(json.dumps(record))
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert result.stdout.str().count("could not be read") == 1 and "Traceback" not in result.stdout.str()
    assert len(list((project.path / "out").glob("findings.json.unreadable-*"))) == 1
    assert all((project.path / "out" / name).exists() for name in ("FINDINGS.md", "index.html"))
    assert json.loads((project.path / "out" / "findings.json").read_text())["findings"][0]["id"] == "fake-supported"


def test_a_killed_record_writes_temporary_files_go_with_the_next_run(project):
    (project.path / "out").mkdir()
    left = [project.path / "out" / f".{name}.k1llwr" for name in ("findings.json", "FINDINGS.md", "index.html")]
    for path in left:
        path.write_text("half a file")
    project.runpytest_subprocess().assert_outcomes(passed=1)
    assert not any(path.exists() for path in left) and (project.path / "out" / "FINDINGS.md").exists()


def test_a_full_disk_ends_the_run_with_one_line_and_the_findings_in_the_summary(project):
    project.makeconftest("import errno\nimport lib.framework.record_update as record_update\n\n"
                         "def no_space(path, text):\n    raise OSError(errno.ENOSPC, 'No space left on device')\n\n"
                         "record_update.write_text = no_space\n")
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    text = result.stdout.str()
    assert "could not write the findings to" in text and "No space left on device" in text
    assert "fake-supported" in text and "measured 88.1%" in text and "Traceback" not in text + result.stderr.str()


@pytest.mark.parametrize("args, message", [
    (["--claims-artifacts="], "--claims-artifacts: an empty path"),
    (["--claims-cache="], "--claims-cache: an empty path"),
])
def test_an_empty_path_is_refused_in_one_line(project, args, message):
    result = project.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR and message in result.stderr.str()
    assert not (project.path / "findings.json").exists() and not (project.path / "CACHEDIR.TAG").exists()


def test_a_bad_ini_value_is_named_by_its_key(pytester):
    pytester.makeini("[pytest]\nmarkers =\n    claims: c\nclaims_seed = abc\nclaims_cache_max = lots\n")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini key claims_seed: claims seed 'abc' is not an integer" in result.stderr.str()
