"""The one fixture several claim modules share: family B's runs (test_lu_*.py and test_rai.py train the same seeds)."""
import pytest

from lib.lu import lab_runs


@pytest.fixture(scope="module")
def lu(seeds, device, experiment_cache):
    """lu(protocol, first_run=0) -> LuRun (lib.lu.lab_runs): run k has the same seeds in every setting, each block
    trained once, through the experiment cache."""
    return lab_runs(experiment_cache, seeds("dying-relu"), device)
