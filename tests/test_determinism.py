"""The same seed gives the same findings: in two runs with separate empty caches, under AVX2 kernels as under
AVX-512 ones, serially and under 2 xdist workers, and under 1 or 2 threads.

The findings tests run a real subset of the claims, the cheapest claim of each family module (SUBSET; the heavy
modules' only with CLAIMS_DETERMINISM_ALL=1), each configuration once in a subprocess (the `runs` fixture), and
compare every field of every finding but those that describe the run (RUN_FIELDS), exactly.
"""
import json
import os
import pickle
import platform
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RUN_FIELDS = {"seconds", "experiments", "run"}  # what may differ between two runs of the same findings
SEED = 7

# One claim from each family module, the cheapest there: module -> (test, the claim id its finding records). The
# seconds: the claim's, cold (its run's own empty experiment cache), wall, on the 2-core CI machine, quiet–busy (other
# work on it, load about 3). The three runs below took 225 s together there, busy.
SUBSET = {
    "test_lab3_relu.py": ("test_he_preserves_relu", "he-preserves-relu"),  # 2.5–7 s
    "test_lu_anatomy.py": ("test_collapsed_net_outputs_target_mean",
                           "collapsed-net-outputs-target-mean"),  # 26–52 s, the numba engine
    "test_week10_activations.py": ("test_sigmoid_saturates", "sigmoid-saturates"),  # 1.5 s
    "test_glorot_backprop.py": ("test_glorot_standard_init_backprop_shrinks",
                                "glorot-standard-init-backprop-shrinks"),  # 3–9 s
    "test_torch_default.py": ("test_pytorch_default_init_shrinks_relu",
                              "pytorch-default-init-shrinks-relu"),  # 17–43 s
}
# The family modules whose cheapest claim does not fit the CI budget of these runs (about 4 minutes for all of them,
# on 2 cores): in the runs only with CLAIMS_DETERMINISM_ALL=1.
HEAVY = {
    "test_lab3_init.py": ("test_xavier_preserves_tanh", "xavier-preserves-tanh"),  # lib.protocols.lab3's probes, as test_lab3_relu.py's
    "test_selu.py": ("test_selu_self_normalizes", "selu-self-normalizes"),  # 80 s busy
    "test_rai.py": ("test_rai_born_dead_less_often", "rai-born-dead-less-often"),  # 70 s busy
    "test_deep_relu_training.py": ("test_he_22_layer_both_converge", "he-22-layer-both-converge"),  # 620 s busy
    "test_he_depth_study.py": ("test_he_xavier_later_with_depth", "he-xavier-later-with-depth"),  # five depths
    "test_lu_headline.py": ("test_lu_relu_collapse_over_90", "lu-relu-collapse-over-90"),  # the engine, more looks
    "test_lu_tables.py": ("test_collapse_grows_with_depth_shrinks_with_width",
                          "collapse-grows-with-depth-shrinks-with-width"),  # 180 s, 30 cells of 1,000 runs
    "test_week10_gradients.py": ("test_week10_sigmoid_gradients_vanish", "week10-sigmoid-gradients-vanish"),
    "test_week10_saturation.py": ("test_uniform_init_saturates_wide_tanh", "uniform-init-saturates-wide-tanh"),
}
EVERY_MODULE = os.environ.get("CLAIMS_DETERMINISM_ALL") == "1"
ACTIVE = {**SUBSET, **(HEAVY if EVERY_MODULE else {})}
FAMILY_MODULES = {path.name for path in (REPO / "claims").glob("test_*.py")}
# The second run is the -n 2 run, over the same subset with its own empty cache: one run shows both that an empty
# cache gives the same findings and that two workers (one thread each) give the serial run's (two threads), which
# keeps this file inside the CI budget.

# What picks the vector kernels: cleared for the default runs, so that they run what this CPU picks by itself.
KERNEL_VARIABLES = ("ATEN_CPU_CAPABILITY", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")
# AVX2 kernels on an AVX-512 machine. NUMBA_CPU_NAME alone is not enough: numba keeps the host's feature list
# (+avx512f, …) beside the CPU name, and with "haswell"'s tuning LLVM then vectorizes the engine with 512-bit
# registers, where the host's own tuning keeps to 256 bits. An empty NUMBA_CPU_FEATURES takes haswell's own features.
AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": ""}


def cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def lacks_avx512() -> str | None:
    """Why the AVX2 comparison cannot run here, or None."""
    if platform.system() != "Linux" or not Path("/proc/cpuinfo").exists():
        return "reads the CPU's flags from /proc/cpuinfo: Linux only"
    if "avx512f" not in cpu_flags():
        return "this CPU lacks AVX-512 (no avx512f in /proc/cpuinfo), so its default kernels are already AVX2"
    return None


def run_fields_dropped(finding: dict) -> dict:
    return {k: v for k, v in finding.items() if k not in RUN_FIELDS}


def differences(first, second, path: str = "") -> list[str]:
    """Every leaf where two findings differ, with both values and, for numbers, by how much."""
    if isinstance(first, dict) and isinstance(second, dict):
        return [d for key in sorted(first.keys() | second.keys(), key=str)
                for d in differences(first.get(key, "<absent>"), second.get(key, "<absent>"), f"{path}.{key}")]
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [d for i, (a, b) in enumerate(zip(first, second)) for d in differences(a, b, f"{path}[{i}]")]
    if first == second and type(first) is type(second):
        return []
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (first, second))
    by = f" (by {second - first:.3g}, relative {(second - first) / first:.3g})" if numbers and first else ""
    return [f"{path}: {first!r} != {second!r}{by}"]


def compare(first: dict, second: dict, ids) -> list[str]:
    return [f"{claim}{d}" for claim in sorted(ids) for d in differences(first.get(claim), second.get(claim))]


# The AVX2 run: the dying-ReLU engine's module, whose order of operations is written out (the same bits under AVX2 and
# AVX-512). Claims through torch's float64 BLAS are not: its AVX2 and AVX-512 kernels sum in different orders on some
# CPUs (an Intel Xeon: glorot-standard-init-backprop-shrinks's gains differed by 3e-9, relative; not on a Zen 4).
ENGINE_MODULES = ("test_lu_anatomy.py",)


class Run:
    """One run of a subset: its findings by claim id (RUN_FIELDS dropped) and its findings file's environment."""

    def __init__(self, folder: Path):
        recorded = json.loads((folder / "findings.json").read_text())
        ids = [f["id"] for f in recorded["findings"]]
        assert len(ids) == len(set(ids)), f"a claim recorded twice: {ids}"
        self.findings = {f["id"]: run_fields_dropped(f) for f in recorded["findings"]}
        self.environment, self.folder = recorded["environment"], folder


def claim_ids(modules) -> set[str]:
    return {ACTIVE[module][1] for module in modules}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """runs(name, modules=ACTIVE, options=(), env={}) -> Run: the claims of those modules with seed SEED in a
    subprocess, with their own empty experiment cache and artifacts folder, the variables of KERNEL_VARIABLES cleared
    and then env set ("{root}" in a value: this fixture's folder); each name runs once in this module."""
    root, done = tmp_path_factory.mktemp("determinism"), {}
    base = {k: v for k, v in os.environ.items() if k not in KERNEL_VARIABLES}

    def run(name: str, modules=tuple(ACTIVE), options=(), env=None) -> Run:
        if name not in done:
            subset = " or ".join(ACTIVE[module][0] for module in modules)
            command = [sys.executable, "-m", "pytest", "claims", "-m", "claims", "-q", "-p", "no:cacheprovider",
                       "-k", subset, "--claims-seed", str(SEED), f"--claims-artifacts={root / name}",
                       f"--claims-cache={root / f'{name}-cache'}", *options]
            extra = {k: v.replace("{root}", str(root)) for k, v in (env or {}).items()}
            result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env={**base, **extra})
            assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            done[name] = Run(root / name)
        return done[name]

    return run


def second_run(runs):
    """The subset again, with its own empty cache, under two xdist workers."""
    return runs("xdist", tuple(ACTIVE), ("-n", "2"))


def test_two_runs_with_separate_empty_caches_give_identical_findings(runs):
    first, second = runs("first"), second_run(runs)
    expected = claim_ids(ACTIVE)
    assert len(expected) == len(ACTIVE) and set(first.findings) == set(second.findings) == expected
    assert first.findings == second.findings, "\n".join(compare(first.findings, second.findings, expected))


def test_the_subset_has_a_claim_from_every_family_module(runs):
    assert set(SUBSET) | set(HEAVY) == FAMILY_MODULES and not set(SUBSET) & set(HEAVY)
    if not EVERY_MODULE:
        pytest.skip(f"left out of the runs for the CI budget: {', '.join(c for _, c in HEAVY.values())} (of "
                    f"{', '.join(HEAVY)}); CLAIMS_DETERMINISM_ALL=1 runs them too")
    assert set(runs("first").findings) == claim_ids(FAMILY_MODULES)


def default_numba_target() -> list:
    """numba's codegen target (triple, CPU name, features) with KERNEL_VARIABLES cleared: what it picks by itself."""
    program = ("import json; from numba.core.registry import cpu_target; "
               "print(json.dumps(cpu_target.target_context.codegen().magic_tuple()))")
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARIABLES}
    return json.loads(subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                                     env=env).stdout)


def compiled_targets(numba_cache: Path, function: str) -> list[list]:
    """Each (triple, CPU name, features) that numba's cache folder holds function compiled for: its index's keys."""
    targets = []
    for index in numba_cache.rglob(f"{function}-*.nbi"):
        with index.open("rb") as f:
            pickle.load(f)  # numba's version
            _, overloads = pickle.loads(f.read())
        targets += [list(key[1]) for key in overloads]
    return targets


@pytest.mark.skipif(lacks_avx512() is not None, reason=str(lacks_avx512()))
def test_avx2_kernels_give_the_findings_of_avx512_ones(runs):
    default = runs("first")
    avx2 = runs("avx2", modules=ENGINE_MODULES, env={**AVX2, "NUMBA_CACHE_DIR": "{root}/avx2-numba-cache"})
    # the switch happened: torch ran AVX-512 kernels by default and AVX2 ones here (each run's own record) …
    assert default.environment["torch_cpu_capability"] == "AVX512", default.environment
    assert avx2.environment["torch_cpu_capability"] == "AVX2", avx2.environment
    # … and numba compiles for this CPU's AVX-512 by default, and compiled the engine for haswell without it here
    assert "+avx512f" in default_numba_target()[2].split(","), "numba's default target has no AVX-512 here"
    targets = compiled_targets(avx2.folder.parent / "avx2-numba-cache", "kernel.train_all")
    assert targets, "the AVX2 run compiled no dying-ReLU engine into its own numba cache"
    assert all(cpu == "haswell" and "+avx512f" not in features.split(",") for _, cpu, features in targets), targets
    expected = claim_ids(ENGINE_MODULES)
    assert set(avx2.findings) == expected
    assert not compare(default.findings, avx2.findings, expected), "\n".join(compare(default.findings, avx2.findings,
                                                                                   expected))


def test_two_xdist_workers_give_the_findings_of_a_serial_run(runs):
    serial, xdist = runs("first"), second_run(runs)
    assert xdist.environment["xdist_workers"] == 2 and serial.environment["xdist_workers"] == 0
    expected = claim_ids(ACTIVE)
    assert len(expected) >= 2 and set(xdist.findings) == expected
    assert serial.findings == xdist.findings, "\n".join(compare(serial.findings, xdist.findings, expected))


TRAIN_DEEP = """
import sys, torch, numba
torch.set_num_threads(int(sys.argv[1]))
numba.set_num_threads(int(sys.argv[1]))
from dataclasses import replace
from lib.framework.seeding import claim_seed_sequence
from lib.protocols.he_training import SETTING, data_split, train_jobs, training_jobs
jobs = list(training_jobs(claim_seed_sequence(3, "threads")).values())
curves = train_jobs(jobs, data_split(), 8, 100, replace(SETTING, epochs=2))
print("".join(c.train_loss.tobytes().hex() + c.held_out_loss.tobytes().hex() for c in curves))
"""

TRAIN_LU = """
import sys, numba
numba.set_num_threads(int(sys.argv[1]))
from lib.protocols.lu import LuProtocol, run_lu
from lib.framework.seeding import claim_seed_sequence
run = run_lu(LuProtocol(runs=16, epochs=3, train_points=256), claim_seed_sequence(1, "threads"))
print(run.training.losses.tobytes().hex(), run.final.weights[4].numpy().tobytes().hex())
"""


def output_under(threads: int, program: str) -> str:
    result = subprocess.run([sys.executable, "-c", program, str(threads)], cwd=REPO, capture_output=True, text=True,
                            check=True)
    return result.stdout


def test_deep_training_is_bitwise_the_same_under_one_and_two_threads():
    assert output_under(1, TRAIN_DEEP) == output_under(2, TRAIN_DEEP)


def test_the_dying_relu_engine_is_bitwise_the_same_under_one_and_two_threads():
    assert output_under(1, TRAIN_LU) == output_under(2, TRAIN_LU)
