"""Pure text helpers for the screens: sizes, durations, paths, highlighted snippets, the status line."""

from __future__ import annotations

import os

from rich.text import Text

from klein_app.tui.status import IndexStatus


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


def highlight(text: str, query: str, style: str = "bold reverse") -> Text:
    """`text` as Rich Text with the query's terms styled, matched as the snippets match them."""
    # Called once results exist, so the query modules are loaded already; importing them at the top
    # would slow the first paint.
    from klein_app.queries.snippets import find_term_spans, query_terms

    out = Text(text)
    for start, end in find_term_spans(text, query_terms(query)):
        out.stylize(style, start, end)
    return out


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
