"""The suite's claims are declared once and tied to their tests: every test under claims/ names its claim by
pytest.mark.claim, every claim has exactly one test of its own (the one that records its finding), and each claim is
declared in one module."""
import importlib
from collections import Counter
from pathlib import Path

from lib.framework.calibration import collect

CLAIMS = Path(__file__).resolve().parents[1] / "claims"


def claim_tests() -> list[tuple[str, object]]:
    """(test name, its claim marker) for every test function in claims/test_*.py."""
    found = []
    for path in sorted(CLAIMS.glob("test_*.py")):
        module = importlib.import_module(f"claims.{path.stem}")
        for name, function in vars(module).items():
            if name.startswith("test_") and callable(function):
                marks = [m for m in getattr(function, "pytestmark", []) if m.name == "claim"]
                assert len(marks) == 1, f"{path.name}::{name} needs one pytest.mark.claim(...)"
                found.append((f"{path.name}::{name}", marks[0]))
    return found


def test_every_claim_has_one_test_of_its_own_and_every_test_names_a_declared_claim():
    declared = {c.id for c in collect(CLAIMS)}
    tests = claim_tests()
    own = Counter(mark.args[0].id for _, mark in tests if not mark.kwargs.get("control"))
    assert set(own) == declared and set(own.values()) == {1}
    assert {mark.args[0].id for _, mark in tests} <= declared


def test_a_refuted_claim_is_marked_so_on_its_own_test_only():
    for name, mark in claim_tests():
        assert not (mark.kwargs.get("refuted") and mark.kwargs.get("control")), name
