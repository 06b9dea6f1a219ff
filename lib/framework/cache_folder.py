"""The experiment cache's folder knows it is one: a CACHEDIR.TAG (the Cache Directory Tagging Specification, which
backup tools honour) written when the cache first uses the folder, and entries whose names are their keys' digests.
The pruner and the size cap touch only what such a folder holds and the cache wrote; any other folder is refused in
one line.

An entry is `<kind>/<digest>.npz` beside `<kind>/<digest>.json`, whose "key" hashes to the digest; what else the cache
writes is `<digest>.lock` (a file lock), `.<digest>.npz.*` and `.<digest>.json.*` (an atomic write in progress, or left
by a killed one) and `<digest>.damaged.*` (an entry that failed its check, set aside).
"""
import hashlib
import json
import re
from pathlib import Path

TAG = "CACHEDIR.TAG"
SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
TAG_TEXT = (f"{SIGNATURE}\n# This folder is the experiment cache of the claims suite (lib/framework/cache.py):\n"
            "# every file in it can be computed again.\n")
DIGEST = r"[0-9a-f]{32}"
CACHE_FILE = re.compile(rf"^(?:{DIGEST}\.(?:npz|json|lock)|\.{DIGEST}\.(?:npz|json)\..+|{DIGEST}\.damaged\..+)$")
DEBRIS = re.compile(rf"^\.?(?P<digest>{DIGEST})\.(?:npz\.|json\.|damaged\.).+$")


def key_digest(key_text: str) -> str:
    """The name of the entry that holds key_text: the first 32 hex digits of its sha256."""
    return hashlib.sha256(key_text.encode()).hexdigest()[:32]


def is_cache(folder: Path) -> bool:
    tag = Path(folder) / TAG
    try:
        return tag.is_file() and tag.read_text().startswith(SIGNATURE)
    except OSError:
        return False


def claim(folder: Path) -> Path:
    """folder as an experiment cache: created and tagged if new or empty, or holding only what a cache writes (an
    untagged cache of an earlier version); else a one-line ValueError, and nothing in it is touched."""
    folder = Path(folder)
    if is_cache(folder):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    strangers = foreign_files(folder)
    if strangers:
        raise ValueError(f"folder {str(folder)!r} is not an experiment cache (it has no {TAG} and holds "
                         f"{strangers[0].relative_to(folder)}): give a new or empty folder, or the cache's own")
    (folder / TAG).write_text(TAG_TEXT)
    return folder


def require(folder: Path) -> Path:
    """folder if it is a tagged experiment cache, else a one-line ValueError."""
    if not is_cache(folder):
        raise ValueError(f"folder {str(folder)!r} is not an experiment cache (it has no {TAG}); the cache writes one "
                         f"when it first uses a folder")
    return Path(folder)


def foreign_files(folder: Path) -> list[Path]:
    """Whatever under folder a cache would not have written."""
    foreign = []
    for path in sorted(Path(folder).iterdir()):
        if path.is_dir() and not path.is_symlink():
            foreign += [p for p in sorted(path.iterdir()) if not (p.is_file() and CACHE_FILE.match(p.name))]
        elif path.name != TAG:
            foreign.append(path)
    return foreign


def entry_sidecar(npz: Path) -> dict | None:
    """The parsed key file of an entry's arrays if it is one the cache wrote (its key hashes to its name), else None."""
    if not re.fullmatch(DIGEST, npz.stem) or npz.suffix != ".npz":
        return None
    try:
        sidecar = json.loads(npz.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(sidecar, dict) or not isinstance(sidecar.get("key"), str):
        return None
    return sidecar if key_digest(sidecar["key"]) == npz.stem else None
