"""The benchmark's own arithmetic: the machine's peak, and a long run trained in blocks."""
import pytest

from lib.protocols.bench import block_run, deep_trainer, dgemm_gflops, peak_gflops
from lib.protocols.collapse import collapse_count
from lib.protocols.lu import LuProtocol, run_lu
from lib.framework.seeding import claim_seed_sequence

CPUINFO = ("processor\t: {n}\nvendor_id\t: {vendor}\ncpu family\t: {family}\ncpu MHz\t\t: 2445.000\n"
           "flags\t\t: fpu sse2 avx fma {vector}\n")


@pytest.mark.parametrize("vector, vendor, family, doubles", [
    ("avx2", "AuthenticAMD", 25, 4), ("avx2 avx512f", "GenuineIntel", 6, 8), ("avx2 avx512f", "AuthenticAMD", 26, 8),
    ("avx2 avx512f", "AuthenticAMD", 25, 4), ("", "GenuineIntel", 6, 2)])
def test_the_peak_counts_cores_fma_units_vector_width_and_clock(vector, vendor, family, doubles):
    """Zen 4 (AMD family 25) has AVX-512 but 256-bit FMA units; Zen 5 (family 26) and Intel's have 512-bit ones."""
    text = "".join(CPUINFO.format(n=n, vector=vector, vendor=vendor, family=family) for n in range(2))
    peak, taken = peak_gflops(2, text)
    assert peak == pytest.approx(2 * 2 * doubles * 2 * 2.445) and f"{doubles} doubles" in taken


def test_a_block_run_counts_what_one_run_of_the_same_networks_counts():
    protocol, sequence = LuProtocol(epochs=1, train_points=64), claim_seed_sequence(1, "bench")
    result = block_run(protocol, sequence, 40)
    assert result["block_runs"] == 40
    assert result["block_collapsed_fraction"] == collapse_count(run_lu(protocol.but(runs=40), sequence)) / 40


def test_the_measured_peak_is_a_rate_of_the_matrix_product():
    assert 0 < dgemm_gflops(size=200, repeats=2) < float("inf")


def test_the_deep_trainer_s_line_names_its_work_and_its_rate_against_the_matrix_product():
    line = deep_trainer(weight_layers=3, epochs=1, repeats=1)
    assert line["deep_trainer"] == "3 layers, 42 nets, 32 steps"
    assert line["deep_gflops"] > 0 and line["deep_fraction_of_dgemm"] == pytest.approx(
        line["deep_gflops"] / line["deep_dgemm_gflops"], abs=2e-3)
