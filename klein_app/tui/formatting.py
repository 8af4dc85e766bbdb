"""Pure text helpers for the screens: sizes, durations, paths, highlighted snippets, the status line."""

from __future__ import annotations

import os
import re

from rich.text import Text

from klein_app.tui.records import IndexStatus

_WORD = re.compile(r"\w+", re.UNICODE)
# Markers a snippet may carry around matched terms; the TUI re-highlights from the query itself.
_MARKERS = re.compile(r"\*\*|<<|>>|<mark>|</mark>|\[\[|\]\]")


def human_size(n: int | float) -> str:
    n = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover - loop always returns


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0 or seconds != seconds:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def short_path(path: str, home: str | None = None, width: int | None = None) -> str:
    """`~/x/y` for paths under home; cut in the middle, keeping the file name, when too wide."""
    home = home if home is not None else os.path.expanduser("~")
    if home and home != "/" and (path == home or path.startswith(home.rstrip(os.sep) + os.sep)):
        path = "~" + path[len(home.rstrip(os.sep)) :]
    if width is None or len(path) <= width or width < 8:
        return path
    name = os.path.basename(path)
    if len(name) + 2 >= width:
        return "…" + name[-(width - 1) :]
    head = width - len(name) - 2
    return path[:head] + "…" + os.sep + name


def display_path(path: str, folders: list[str] | tuple[str, ...] = (), width: int | None = None) -> str:
    """A path as a person thinks of it: `notes/cooking/bread.md` under the watched folder `~/notes`."""
    best = ""
    for folder in folders:
        root = folder.rstrip(os.sep)
        if path.startswith(root + os.sep) and len(root) > len(best):
            best = root
    if not best:
        return short_path(path, width=width)
    shown = os.path.basename(best) + path[len(best) :]
    return short_path(shown, home="", width=width)


def query_terms(query: str) -> list[str]:
    """The words of a query worth highlighting (dropping one-letter noise)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)


def strip_markers(snippet: str) -> str:
    return _MARKERS.sub("", snippet)


def highlight(text: str, terms: list[str], style: str = "bold reverse") -> Text:
    """`text` as Rich Text with every case-insensitive occurrence of any term styled."""
    out = Text(text)
    if not terms:
        return out
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    for match in pattern.finditer(text):
        out.stylize(style, match.start(), match.end())
    return out


def one_line(text: str, limit: int = 200) -> str:
    """Collapse whitespace so a snippet fits on one list row."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def snippet_window(text: str, terms: list[str], width: int = 160) -> str:
    """A one-line window of `text` that starts a little before the first matched term."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    lowered = flat.lower()
    hits = [i for i in (lowered.find(t) for t in terms) if i >= 0]
    start = max(0, min(hits) - width // 4) if hits else 0
    window = flat[start : start + width]
    return ("…" if start else "") + window + ("…" if start + width < len(flat) else "")


def status_line(status: IndexStatus) -> str:
    """The status bar text. No clock times in it, so captures of a settled screen are stable."""
    if status.phase == "error":
        return f"error: {status.message}"
    totals = f"{status.n_files:,} files · {status.n_chunks:,} chunks"
    if status.busy:
        parts = [f"indexing: {status.phase}"]
        if status.files_total:
            parts.append(f"{status.files_done:,}/{status.files_total:,} files")
        if status.chunks_per_s:
            parts.append(f"{status.chunks_per_s:,.0f} chunks/s")
        if status.files_total:
            parts.append(f"ETA {format_eta(status.eta_s)}")
        return " · ".join(parts)
    if status.phase == "starting":
        return "opening the index…"
    lead = "watching" if status.phase == "watching" else "index"
    text = f"{lead} · {totals}"
    if status.message:
        text += f" · {status.message}"
    return text


def error_line(exc: BaseException) -> str:
    """An exception as the one line a person reads (never a traceback)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
