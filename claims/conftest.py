"""The fixtures several claim modules share: family A's Lab3 networks (test_lab3_*.py) and family B's runs
(test_lu_*.py and test_rai.py train the same seeds)."""
import pytest

from claims.lab3_common import DIGITS_PER_CLASS, NETWORKS
from lib.framework.seeding import child, network_seeds
from lib.protocols.data import mnist_sample, stratified_subset
from lib.protocols.lab3 import InitSetting, probe_lab3_cached
from lib.protocols.lu import lab_runs


@pytest.fixture(scope="module")
def lu(seeds, device, experiment_cache):
    """lu(protocol, first_run=0) -> LuRun (lib.protocols.lu.lab_runs): run k has the same seeds in every setting, each block
    trained once, through the experiment cache."""
    return lab_runs(experiment_cache, seeds("dying-relu"), device)


@pytest.fixture(scope="module")
def lab3(seeds, device, experiment_cache):
    """lab3(activation, setting, draw="") -> (LayerStats, activation sample); each setting computed once (the
    experiment cache); a non-empty draw names another, independent set of networks of the same setting."""
    pixels, labels = mnist_sample()
    chosen = stratified_subset(labels, DIGITS_PER_CLASS)
    family = seeds("lab3-mlp")

    def run(activation: str, setting: InitSetting, draw: str = ""):
        seeds = network_seeds(child(family, f"{activation}/{setting.label}{'/' + draw if draw else ''}"), NETWORKS)
        return probe_lab3_cached(experiment_cache, activation, setting, seeds, pixels[chosen], labels[chosen], device)

    return run
