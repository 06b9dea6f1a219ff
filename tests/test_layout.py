"""lib/ is packages by role, each importing only those below it; the claims framework stands without torch, numba or
pytest; no module is over 400 lines."""
import ast
import subprocess
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib"
ORDER = ["framework", "nets", "engine", "protocols"]  # each package may import only those before it
FORWARDERS = {"bench", "cache", "calibration", "compare", "doc_tables", "stability"}  # `python -m lib.X` commands


def lib_imports(path: Path) -> set[str]:
    """The lib modules and packages a source file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "lib":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "lib"}
    return found


def upward_imports(lib: Path = LIB) -> list[str]:
    """'importer -> imported' for each import from a package to one above it (or to the top-level lib)."""
    wrong = []
    for package in ORDER:
        for path in sorted((lib / package).rglob("*.py")):
            for module in lib_imports(path):
                parts = module.split(".")
                target = parts[1] if len(parts) > 1 else "lib"
                if target not in ORDER or ORDER.index(target) > ORDER.index(package):
                    wrong.append(f"{path.relative_to(lib).as_posix()} -> {module}")
    return wrong


def test_no_package_imports_one_above_it():
    assert upward_imports() == []


def test_the_check_finds_an_upward_import(tmp_path):
    """Negative control: a framework module importing the engine is caught, as is one importing a command."""
    for package in ORDER:
        (tmp_path / package).mkdir()
    (tmp_path / "framework" / "bad.py").write_text("from lib.engine.kernel import train_all\nimport lib.bench\n")
    (tmp_path / "protocols" / "fine.py").write_text("from lib.framework import stats\n")
    assert sorted(upward_imports(tmp_path)) == ["framework/bad.py -> lib.bench", "framework/bad.py -> lib.engine.kernel"]


def test_lib_holds_only_role_packages_and_command_forwarders():
    modules = {p.stem for p in LIB.glob("*.py")} - {"__init__"}
    assert modules == FORWARDERS
    assert {p.name for p in LIB.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(ORDER)
    assert all((LIB / package / "__init__.py").read_text().startswith('"""') for package in ORDER)


def test_the_framework_imports_with_torch_numba_and_pytest_unavailable():
    modules = sorted(f"lib.framework.{p.stem}" for p in (LIB / "framework").glob("*.py") if p.stem != "__init__")
    program = f"""import importlib, sys
BLOCKED = ("torch", "numba", "pytest", "_pytest")

class Unavailable:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is unavailable here")

sys.meta_path.insert(0, Unavailable())
for name in {modules!r}:
    importlib.import_module(name)
assert not set(BLOCKED) & {{m.split(".")[0] for m in sys.modules}}
print("ok")"""
    result = subprocess.run([sys.executable, "-c", program], cwd=LIB.parent, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_no_module_of_lib_is_over_400_lines():
    long = {str(p.relative_to(LIB)): n for p in LIB.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_the_commands_users_know_still_run_from_lib():
    """`python -m lib.stability`, `lib.cache`, `lib.calibration`, `lib.bench`, `lib.compare`, `lib.doc_tables`: each
    forwards to its package's module and answers --help with its own usage."""
    for command in sorted(FORWARDERS):
        result = subprocess.run([sys.executable, "-m", f"lib.{command}", "--help"], cwd=LIB.parent, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0 and f"usage: python -m lib.{command}" in result.stdout, (command, result.stderr)
