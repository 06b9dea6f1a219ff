"""Pure computations remembered: a statistic's or a property check's result stored in the experiment cache's folder
under a key of its code and its arguments' values, so a warm run reads it back instead of computing it again (as
lib.framework.figure_store does for figures).

A function's code, here, is its own source text and the code of the file that defines it together with every
project module that file imports (`lib.*` through lib.framework.cache.source_hash, `claims.*` read the same way), as syntax
trees without docstrings; lib.framework.cache adds the versions of python, torch, numpy, numba and scipy to every key. So
editing anything a result runs through computes it again. A function defined outside the project (numpy's, say)
has no code here to key by: its results are computed each time and not stored.
"""
import ast
import dataclasses
import functools
import hashlib
import inspect
import json
from pathlib import Path
from typing import Callable

import numpy as np

from lib.framework.cache import (Arrays, ExperimentCache, code_text, module_path, package_versions, source_hash,
                                 source_imports, versions)

PROJECT = Path(__file__).resolve().parents[2]


def remembered(store: "ExperimentCache | Path | None", kind: str, key: Callable[[], dict | None],
               compute: Callable[[], Arrays], label: str = "", module: str = __name__) -> Arrays:
    """compute()'s arrays, stored under kind and key() (which names everything they depend on besides the code of
    the lib module `module` and what it imports, which lib.framework.cache adds) in store: the run's experiment cache (whose
    record of where a finding's experiments came from then counts this one) or only its folder (then it does not).
    Computed each time, and not stored, when store is None (no cache) or key() gives None or meets a value it
    cannot hash (TypeError)."""
    try:
        full_key = None if store is None else key()
    except TypeError:
        full_key = None
    if full_key is None:
        return compute()
    cache = store if isinstance(store, ExperimentCache) else ExperimentCache(Path(store))
    return cache.load_or_compute(kind, full_key, module, compute, label, remember=False)


def function_code(function: Callable) -> dict:
    """What a function's result depends on in code: its name and source, its file's code (file_code), and the
    values its closure holds (a function's by its own code); TypeError for a value value_digest cannot hash."""
    try:
        path, source = Path(inspect.getfile(function)).resolve(), inspect.getsource(function)
    except (TypeError, OSError) as error:
        raise TypeError(f"no source to key {function!r} by") from error
    if not path.is_relative_to(PROJECT):
        raise TypeError(f"{function.__qualname__} is defined outside the project ({path}): no code to key it by")
    closure = inspect.getclosurevars(function).nonlocals
    return {"function": function.__qualname__, "source": source, "file": file_code(path),
            "closure": {name: function_code(value) if inspect.isfunction(value) else value_digest(value)
                        for name, value in sorted(closure.items())}}


@functools.cache
def file_code(path: Path) -> str:
    """sha256 over the code of a project source file and of every project module it imports, directly or through
    another claims module (lib modules through lib.framework.cache.source_hash)."""
    digest = hashlib.sha256()
    seen, todo = set(), [path]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        source = current.read_text()
        digest.update(str(current.relative_to(PROJECT)).encode() + b"\0" + code_text(source).encode())
        digest.update(json.dumps(package_versions(source_imports(source)[1]), sort_keys=True).encode())
        for module in sorted(_project_imports(source)):
            if module.startswith("lib."):
                digest.update(module.encode() + b"\0" + source_hash(module).encode())
                digest.update(json.dumps(versions(module), sort_keys=True).encode())
            else:
                todo.append(module_path(module))
    return digest.hexdigest()


def _project_imports(source: str) -> set[str]:
    """The lib.* and claims.* modules a source imports (`from lib.framework import plots` names lib.framework.plots)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("lib", "claims"):
            found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] in ("lib", "claims") and "." in a.name}
    return {name for name in found if module_path(name) is not None}


def value_digest(value) -> str:
    """sha256 of a value built from numbers, strings, arrays (their dtype, shape and bytes), tensors, dataclasses,
    project functions (by their code) and partials of them, and lists, tuples and dicts of them (in order: a dict's
    order is a figure's legend order); TypeError otherwise."""
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest, value) -> None:
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, (np.ndarray, np.generic)) or type(value).__module__.startswith("torch"):
        array = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)
        if array.dtype.hasobject:
            raise TypeError(f"an array of Python objects ({array.dtype}) has no stable bytes")
        digest.update(f"array:{array.dtype.str}:{array.shape};".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    elif isinstance(value, (list, tuple)):
        digest.update(f"{type(value).__name__}:{len(value)};".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, dict):
        digest.update(f"dict:{len(value)};".encode())
        for name, item in value.items():
            _feed(digest, name)
            _feed(digest, item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"{type(value).__qualname__};".encode())
        _feed(digest, [getattr(value, f.name) for f in dataclasses.fields(value)])
    elif inspect.isfunction(value):  # a rule's computation, say: by its code (TypeError outside the project)
        digest.update(f"function:{json.dumps(function_code(value), sort_keys=True, default=str)};".encode())
    elif isinstance(value, functools.partial):
        _feed(digest, ["partial", value.func, list(value.args), dict(value.keywords)])
    else:
        raise TypeError(f"cannot hash a {type(value).__name__} for a cache key")
