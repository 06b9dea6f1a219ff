"""The experiment cache: each expensive experiment computed once, stored on disk under a key of all it depends on.

An entry is `<folder>/<kind>/<digest>.npz` (the arrays) beside `<digest>.json` (its full key, readable). The
key holds the experiment's protocol and seeds, the device, the versions of Python and of every package its code
imports (torch, numba, scipy, ...), and a hash of the source of every `lib/` module the experiment runs through, so editing that code
invalidates the entry. Entries are written atomically (a temporary file and a rename) under a file lock
(filelock), so two xdist workers that need one experiment compute it once. Each entry's key file holds the sha256
of its arrays' bytes, checked on every read: an entry that fails the check is set aside (one warning naming it) and
computed again, never served. The folder is tagged as a cache (lib.framework.cache_folder). Every result is also kept in memory for the rest of the process.
Serving or writing an entry marks it used (its npz's modification time), so `lib.framework.cache_limit` can keep the
cache within a size by removing the least recently used; `python -m lib.cache` prints its size per kind.
"""
import ast
import functools
import hashlib
import io
import json
import os
import platform
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np
from filelock import FileLock

from lib.framework import progress
from lib.framework.atomic import write_bytes, write_text
from lib.framework.cache_folder import claim, key_digest

PROJECT = Path(__file__).resolve().parents[2]
Arrays = dict[str, np.ndarray]


def module_path(name: str, project: Path = PROJECT) -> Path | None:
    """The source file of a project module (lib.framework.cache, or a package's __init__), None if there is none."""
    base = project.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imports_of(name: str, project: Path = PROJECT) -> tuple[set[str], set[str]]:
    """The project modules (lib.*) and the third-party top-level packages that module `name` imports, read from its
    source (not run)."""
    return source_imports(module_path(name, project).read_text(), project)


def source_imports(source: str, project: Path = PROJECT) -> tuple[set[str], set[str]]:
    """The lib modules and the third-party top-level packages a source imports (but in its `__main__` block)."""
    own, third = set(), set()
    for node in _nodes(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "lib":
                own |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
            else:
                third.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            own |= {a.name for a in node.names if a.name.split(".")[0] == "lib"}
            third |= {a.name.split(".")[0] for a in node.names if a.name.split(".")[0] != "lib"}
    return {m for m in own if module_path(m, project)}, third - set(sys.stdlib_module_names) - {"lib", "claims"}


def lib_modules_used(module: str, project: Path = PROJECT) -> list[str]:
    """module and every lib module it imports, directly or through others (read from the source, not run)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen or module_path(name, project) is None:
            continue
        seen.add(name)
        todo += sorted(imports_of(name, project)[0])
    return sorted(seen)


@functools.cache
def versions(module: str) -> dict:
    """The versions of Python and of every third-party package that module's code imports, directly or through lib
    modules: what else its results depend on (torch and numba for the engine's, none of them for a statistic's)."""
    return package_versions(set().union(*(imports_of(name)[1] for name in lib_modules_used(module))))


def package_versions(packages: set[str]) -> dict:
    """{"python": its version, package: its installed version, ...} for top-level import names."""
    found = {"python": platform.python_version()}
    for package in sorted(packages):
        distributions = _distributions().get(package, [package])
        try:
            found[package] = metadata.version(distributions[0])
        except metadata.PackageNotFoundError:
            found[package] = "unknown"
    return found


@functools.cache
def _distributions() -> dict:
    """Top-level import name -> the installed distributions that provide it (read once: it scans every one)."""
    return metadata.packages_distributions()


def _nodes(tree: ast.AST):
    """Every node under tree but those of an `if __name__ == "__main__":` block: a module's command-line entry
    (lib.framework.cache's, say) is no part of what an experiment runs."""
    for node in ast.iter_child_nodes(tree):
        if not (isinstance(node, ast.If) and "__main__" in ast.dump(node.test)):
            yield node
            yield from _nodes(node)


@functools.cache
def source_hash(module: str, project: Path = PROJECT) -> str:
    """sha256 over the code of module and every lib module it imports: their syntax trees without docstrings, so
    editing a comment or a docstring keeps the cache, and any change to what runs recomputes."""
    digest = hashlib.sha256()
    for name in lib_modules_used(module, project):
        digest.update(name.encode() + b"\0" + code_text(module_path(name, project).read_text()).encode())
    return digest.hexdigest()


def code_text(source: str) -> str:
    """The source's syntax tree, its docstrings removed (comments never reach the tree)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


@dataclass
class ExperimentCache:
    """load_or_compute(kind, key, module, compute): the stored arrays of that experiment, or compute and store them.

    folder None: nothing on disk (--no-claims-cache); results are still kept in memory for the process."""

    folder: Path | None
    memory: dict = field(default_factory=dict)
    log: list = field(default_factory=list)  # (kind, "cache" | "computed") per experiment asked for, in order

    def __post_init__(self):
        if self.folder is not None:
            self.folder = claim(self.folder)  # a one-line ValueError for a folder that is not a cache

    def load_or_compute(self, kind: str, key: dict, module: str, compute: Callable[[], Arrays],
                        label: str = "", remember: bool = True) -> Arrays:
        """The experiment's arrays; remember False: not held in memory for the rest of the process (a long
        sequence of blocks, each read once, stays within bounded memory)."""
        text, digest = self._identity(kind, key, module)
        compute = _reported(compute, f"{kind} {label}".strip())
        if digest in self.memory:
            arrays, origin = self.memory[digest]
        elif self.folder is None:
            arrays, origin = compute(), "computed"
        else:
            arrays, origin = self._from_disk(self.folder / kind / digest, text, compute)
        if remember:
            self.memory[digest] = (arrays, origin)
        self.log.append((kind, origin))
        return arrays

    def holds(self, kind: str, key: dict, module: str) -> bool:
        """Whether load_or_compute would serve this experiment without computing it."""
        text, digest = self._identity(kind, key, module)
        stem = None if self.folder is None else self.folder / kind / digest
        return digest in self.memory or (stem is not None and read_entry(stem.with_suffix(".npz"), text)[0] is not None)

    @staticmethod
    def _identity(kind: str, key: dict, module: str) -> tuple[str, str]:
        """The experiment's full key as text (its kind, key, library versions and code) and that text's digest."""
        full_key = {"kind": kind, "key": key, "versions": versions(module), "source": source_hash(module)}
        text = json.dumps(full_key, sort_keys=True, default=str)
        return text, key_digest(text)

    def _from_disk(self, stem: Path, key_text: str, compute) -> tuple[Arrays, str]:
        stem.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(stem) + ".lock"):
            arrays, problem = read_entry(stem.with_suffix(".npz"), key_text)
            if arrays is not None:
                _mark_used(stem.with_suffix(".npz"))
                return arrays, "cache"
            if problem is not None:
                _set_aside(stem, problem)
            arrays = compute()
            write_entry(stem, key_text, arrays)
            return arrays, "computed"

    def origin_since(self, mark: int) -> str:
        """Where the experiments asked for since log position mark came from, in a few words."""
        origins = {origin for _, origin in self.log[mark:]}
        if not origins:
            return "no stored experiment"
        if self.folder is None:
            return "computed (cache off)"
        return {frozenset({"cache"}): "from the cache", frozenset({"computed"}): "computed"}.get(
            frozenset(origins), "partly from the cache")


def _mark_used(path: Path) -> None:
    """Used now: the last entry to go when the cache is pruned (lib.framework.cache_limit). A read-only cache stays as it is."""
    try:
        os.utime(path)
    except OSError:
        pass


def _reported(compute, name: str):
    def run():
        with progress.step(f"computed {name}"):
            return compute()

    return run


def write_entry(stem: Path, key_text: str, arrays: Arrays) -> None:
    """The arrays at <stem>.npz, then their key and the npz's sha256 at <stem>.json, each written atomically: the
    key file is written last, so an entry without it is never taken for a whole one."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    payload = buffer.getvalue()
    write_bytes(stem.with_suffix(".npz"), payload)
    write_text(stem.with_suffix(".json"), json.dumps({"key": key_text, "sha256": hashlib.sha256(payload).hexdigest()}))


def read_entry(path: Path, key_text: str) -> tuple[Arrays | None, str | None]:
    """(the arrays stored at path, None) if the entry is whole: its key file holds key_text and the sha256 of the
    bytes read; (None, None) if there is no entry; (None, what is wrong) if there is a damaged one."""
    if not path.exists():
        return None, None
    try:
        payload = path.read_bytes()
        sidecar = json.loads(path.with_suffix(".json").read_text())
        if not isinstance(sidecar, dict) or sidecar.get("key") != key_text:
            return None, "its key file does not hold its key"
        if sidecar.get("sha256") != hashlib.sha256(payload).hexdigest():
            return None, "its content does not match its digest"
        with np.load(io.BytesIO(payload), allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}, None
    except FileNotFoundError:
        return None, "its key file is missing"
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        return None, f"{type(error).__name__}: {str(error)[:80]}"


def _set_aside(stem: Path, problem: str) -> None:
    """Move a damaged entry out of the way (as <digest>.damaged.npz and .json), saying so in one line."""
    for suffix in (".npz", ".json"):
        try:
            stem.with_suffix(suffix).replace(stem.with_name(f"{stem.name}.damaged{suffix}"))
        except FileNotFoundError:
            pass
    warnings.warn(f"experiment cache entry {stem.with_suffix('.npz')} is damaged ({problem}); set aside as "
                  f"{stem.name}.damaged.npz and computed again", stacklevel=3)
