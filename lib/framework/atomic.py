"""Files written whole or not at all: a temporary file beside the target, then a rename over it."""
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()  # a file written here gets the permissions the user's umask gives any new file


def write_with(path: Path, write: Callable) -> None:
    """write(binary stream) into a temporary file beside path, then rename it over path: never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.chmod(temporary, 0o666 & ~UMASK)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_text(path: Path, text: str) -> None:
    write_with(path, lambda stream: stream.write(text.encode()))


def write_bytes(path: Path, data: bytes) -> None:
    write_with(path, lambda stream: stream.write(data))


def write_arrays(path: Path, **arrays) -> None:
    """An .npz of arrays, atomically."""
    write_with(path, lambda stream: np.savez(stream, **arrays))
