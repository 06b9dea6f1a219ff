"""Every interpreter the project starts is the one running it (sys.executable), never `python` found on PATH: run
from a virtual environment that is not first on PATH, a `python` by name finds another interpreter, without torch."""
import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROGRAM_NAMES = {"python", "python3", "pytest"}
SPAWNERS = {"run", "Popen", "call", "check_call", "check_output", "system", "execv", "execvp", "spawnv"}


def spawned_by_name(source: str) -> list[int]:
    """Lines of calls to a subprocess or os function whose program is a bare interpreter (or pytest) name."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args and _called_name(node.func) in SPAWNERS):
            continue
        first = node.args[0]
        program = first.elts[0] if isinstance(first, (ast.List, ast.Tuple)) and first.elts else first
        if isinstance(program, ast.Constant) and isinstance(program.value, str) \
                and program.value.split(" ")[0] in PROGRAM_NAMES:
            lines.append(node.lineno)
    return lines


def _called_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def project_sources() -> list[Path]:
    return [*REPO.glob("lib/**/*.py"), *REPO.glob("claims/**/*.py"), *REPO.glob("tests/**/*.py"),
            REPO / "pytest_claims.py", REPO / "conftest.py"]


def test_no_module_spawns_an_interpreter_by_name():
    found = {str(p.relative_to(REPO)): spawned_by_name(p.read_text()) for p in project_sources()}
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_the_check_finds_a_spawn_by_name():
    """Negative control: the forms the check must catch are caught, and sys.executable passes."""
    assert spawned_by_name('subprocess.run(["python", "-m", "pytest"])') == [1]
    assert spawned_by_name('subprocess.Popen(("python3", "-c", "0"))') == [1]
    assert spawned_by_name('os.system("python -m lib.bench")') == [1]
    assert spawned_by_name('subprocess.run([sys.executable, "-m", "pytest"])') == []


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = text[text.index("## Quick start"):]
    return re.search(r"```bash\n(.*?)```", block, re.S).group(1).strip().splitlines()


def test_ci_runs_the_readme_every_test_command_in_a_fresh_virtual_environment():
    claims, every = readme_commands()
    assert claims.endswith(".venv/bin/pytest -m claims") and every.endswith(".venv/bin/pytest")
    assert every.startswith("python3 -m venv .venv && ")
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == every and "rm -rf .venv" in ci
