"""Words and numbers for people: sizes, plurals, one-line errors, the summary of an indexing run.

Public API:
    human_bytes(n) -> str          "812 B", "3.4 MB"
    plural(n, word) -> str         "1 file", "2 files"
    one_line(exc) -> str           an exception as one line (its message, else its type)
    run_summary(report) -> str     an IndexReport as a line of counts plus notes, one per line
    brief_summary(report) -> str   an IndexReport in one short line (the watcher's and the status bar's)
"""

from __future__ import annotations


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def one_line(exc: BaseException, limit: int = 200) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else type(exc).__name__


def run_summary(report) -> str:
    line = (
        f"{report.indexed} indexed, {report.unchanged} unchanged, {report.skipped} skipped, {report.removed} removed;"
        f" {report.chunks_embedded} chunks embedded, {report.chunks_reused} reused, in {report.seconds:.1f} s"
    )
    notes = []
    if report.errors:
        notes.append(f"{report.errors} file(s) could not be read (see `klein-search files --skipped`)")
    if report.repaired:
        notes.append(f"repaired {report.repaired} half-written file(s) from an interrupted run")
    for folder in report.missing_folders:
        notes.append(f"folder missing: {folder} (its entries are kept; `klein-search remove` forgets them)")
    if report.swapped:
        notes.append("switched to the index built with the new model")
    return "\n".join([line, *notes])


def brief_summary(report) -> str:
    parts = [f"{report.indexed} indexed", f"{report.removed} removed"]
    if report.skipped:
        parts.append(f"{report.skipped} skipped")
    if report.missing_folders:
        parts.append(f"{len(report.missing_folders)} folder(s) missing")
    return ", ".join(parts) + f" in {report.seconds:.1f} s"
