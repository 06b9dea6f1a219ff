"""The record kept across runs: findings.json merged by claim id, each finding carrying the run it came from."""
import json
import subprocess
import time
import uuid
from pathlib import Path

from lib.framework.findings import Finding


def this_run(root_seed: int, command: str, project: Path) -> dict:
    """The identity of a run: an id, its root seed, when, the git commit of the project (if any), the command."""
    return {"id": uuid.uuid4().hex[:12], "root_seed": root_seed, "time": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "commit": git_commit(project), "command": command}


def git_commit(project: Path) -> str | None:
    """The project's commit, '+changes' when its tracked files differ from it; None outside a git checkout."""
    try:
        run = lambda *args: subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, timeout=10)
        head = run("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            return None
        changed = run("status", "--porcelain", "--untracked-files=no").stdout.strip()
        return head.stdout.strip() + ("+changes" if changed else "")
    except (OSError, subprocess.SubprocessError):
        return None


def read_previous(path: Path) -> tuple[list[Finding], str | None]:
    """The findings of earlier runs kept in path, and a one-line warning if the file could not be read (it is
    then set aside beside itself, never silently lost)."""
    if not path.exists():
        return [], None
    try:
        return [Finding.from_json(json.dumps(f)) for f in json.loads(path.read_text())["findings"]], None
    except (ValueError, KeyError, TypeError) as error:
        aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        path.rename(aside)
        return [], f"{path} could not be read ({type(error).__name__}: {str(error)[:80]}); set aside as {aside.name}"


def merge(previous: list[Finding], current: list[Finding], full_run: bool) -> list[Finding]:
    """This run's findings, and (unless it ran every claim) the earlier ones of claims it did not run."""
    ran = {f.id for f in current}
    kept = [] if full_run else [f for f in previous if f.id not in ran]
    return sorted(kept + current, key=lambda f: f.id)


def staleness(finding: Finding, run: dict) -> str:
    """'' for a finding of this run, else why it is stale: the earlier run it came from."""
    if finding.run.get("id") == run["id"]:
        return ""
    earlier = finding.run
    if not earlier:
        return "stale: from an earlier run of unknown origin"
    changes = [f"seed {earlier.get('root_seed')}" if earlier.get("root_seed") != run["root_seed"] else "",
               f"commit {earlier.get('commit')}" if earlier.get("commit") != run["commit"] else ""]
    reason = ", ".join(c for c in changes if c)
    return f"stale: from the run of {earlier.get('time')}" + (f" ({reason})" if reason else "")
