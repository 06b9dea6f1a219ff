"""The claims framework, apart from the science: claims and their findings, the rules' statistics and error rates, the
record kept across runs and its reports, the experiment cache, and sweeps over root seeds.

It imports neither torch nor numba (tests/test_layout.py runs it with both blocked) and knows nothing of pytest:
pytest_claims.py adapts it. Nothing here imports lib.nets, lib.engine or lib.protocols.
"""
