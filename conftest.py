"""The suite's pytest plugin is pytest_claims.py, installed through the `pytest11` entry point of pyproject.toml
(`python -m pip install -r requirements.txt` installs it), so its options are known before the command line is
read. This file turns on pytester, for the plugin's own tests in tests/test_plugin.py, and keeps `pytest -m claims`
out of tests/."""
from pathlib import Path

pytest_plugins = ["pytester"]
TESTS = Path(__file__).resolve().parent / "tests"


def pytest_ignore_collect(collection_path, config):
    """`pytest -m claims` runs the claims, which all live in claims/: what tests/ holds, none of whose tests carries
    the mark (tests/test_plugin.py checks), is then not imported at all. Importing it only to deselect it loaded hypothesis
    and the benchmark plugin, compiled anew each run where bytecode is not written: seconds of a warm run."""
    return True if config.getoption("markexpr") == "claims" and collection_path.parent == TESTS else None
