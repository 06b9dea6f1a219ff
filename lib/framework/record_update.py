"""The record on disk: an artifacts folder's findings.json, FINDINGS.md and index.html, read, merged with a run's
findings and written back under one lock, so that two runs on one folder (different -k, say) lose nothing."""
from pathlib import Path

from filelock import FileLock

from lib.framework import html_report, record, report
from lib.framework.atomic import write_text
from lib.framework.findings import Finding


def update(root: Path, current: list[Finding], full_run: bool, run: dict, environment: dict) -> tuple[list, str | None]:
    """(the merged record, a one-line warning if the earlier one could not be read) after writing it; an OSError
    (a full disk, say) if it could not be written, each file being whole or untouched."""
    with FileLock(str(Path(root) / ".findings.lock")):
        _remove_left_temporaries(Path(root))
        previous, warning = record.read_previous(Path(root) / "findings.json")
        merged = record.merge(previous, current, full_run)
        write_text(Path(root) / "findings.json", report.findings_json(merged, environment))
        write_text(Path(root) / "FINDINGS.md", report.findings_markdown(merged, run))
        write_text(Path(root) / "index.html", html_report.render(merged, run))
    return merged, warning


RECORD_FILES = ("findings.json", "FINDINGS.md", "index.html")


def _remove_left_temporaries(root: Path) -> None:
    """The temporary files of a record write that was killed: every write of them holds the lock this one holds, so
    any found now is left over."""
    for name in RECORD_FILES:
        for path in root.glob(f".{name}.*"):
            path.unlink(missing_ok=True)
