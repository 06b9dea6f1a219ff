"""The suite's pytest plugin is pytest_claims.py, installed through the `pytest11` entry point of pyproject.toml
(`python -m pip install -r requirements.txt` installs it), so its options are known before the command line is
read. This file only turns on pytester, for the plugin's own tests in tests/test_plugin.py."""
pytest_plugins = ["pytester"]
