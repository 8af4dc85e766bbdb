"""Search filters (--path, --ext, --since) turned into LanceDB `where` predicates.

Paths in the index are absolute. A glob that starts with "/" (or "~") must match the whole path; any other
glob may match the path's tail at a folder boundary, so "*.md", "notes/**" and "src/*.py" do what one expects.
In a glob "*" and "?" stay within one folder, "**" crosses folders, "[abc]" is a character class.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from klein_app.queries.errors import BadFilterError

_RELATIVE_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_EXT = re.compile(r"^[\w.+-]+$")


@dataclass(frozen=True)
class Filters:
    """Filters on chunk rows (`where`, a SQL predicate over `path`) and on file modification time."""

    where: str | None = None
    since: float | None = None  # seconds since the epoch; applied through the files table

    @property
    def empty(self) -> bool:
        return self.where is None and self.since is None


def build_filters(
    path_glob: str | None = None,
    exts: str | list[str] | tuple[str, ...] | None = None,
    since: str | float | int | dt.date | dt.datetime | None = None,
    *,
    now: float | None = None,
) -> Filters:
    clauses = []
    if path_glob:
        clauses.append(f"regexp_like(path, {sql_string(glob_to_regex(path_glob))})")
    ext_list = parse_exts(exts)
    if ext_list:
        pattern = r"(?i)\.(" + "|".join(re.escape(e) for e in ext_list) + ")$"
        clauses.append(f"regexp_like(path, {sql_string(pattern)})")
    where = " AND ".join(clauses) if clauses else None
    return Filters(where=where, since=parse_since(since, now=now))


def glob_to_regex(glob: str) -> str:
    """A glob as an (unanchored-at-start for relative globs) regex for the Rust `regex` crate."""
    glob = glob.strip()
    if not glob:
        raise BadFilterError("the path filter is empty")
    if glob.startswith("~"):
        glob = os.path.expanduser(glob)
    absolute = glob.startswith("/")
    out: list[str] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if c == "*":
            if glob.startswith("**", i):
                # "**/" also matches zero folders, so "docs/**/x.md" finds docs/x.md.
                if glob.startswith("**/", i):
                    out.append("(?:.*/)?")
                    i += 3
                else:
                    out.append(".*")
                    i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = glob.find("]", i + 2 if glob.startswith("[!", i) or glob.startswith("[^", i) else i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = glob[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
                continue
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    if absolute:
        return f"^{body}$"
    # A relative glob names a tail of the path; a trailing "/" means "anything inside".
    if glob.endswith("/"):
        body += ".*"
    return f"(?:^|/){body}$"


def parse_exts(exts: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """ "md,py" or ["md", ".py"] -> ["md", "py"] (lower case, no dots, no duplicates)."""
    if not exts:
        return []
    items = exts.split(",") if isinstance(exts, str) else [p for e in exts for p in str(e).split(",")]
    out: list[str] = []
    for item in items:
        ext = item.strip().lstrip("*").lstrip(".").lower()
        if not ext:
            continue
        if not _EXT.match(ext):
            raise BadFilterError(f"not a file extension: {item.strip()!r}")
        if ext not in out:
            out.append(ext)
    return out


def parse_since(since: str | float | int | dt.date | dt.datetime | None, *, now: float | None = None) -> float | None:
    """A point in time as epoch seconds: a number, a date/datetime, an ISO date ("2024-05-01",
    "2024-05-01T12:00") or an age ("36h", "7d", "2w")."""
    if since is None or since == "":
        return None
    if isinstance(since, bool):
        raise BadFilterError(f"not a date: {since!r}")
    if isinstance(since, int | float):
        return float(since)
    if isinstance(since, dt.datetime):
        return since.timestamp() if since.tzinfo else since.astimezone().timestamp()
    if isinstance(since, dt.date):
        return dt.datetime(since.year, since.month, since.day).astimezone().timestamp()
    text = str(since).strip()
    match = _RELATIVE_SINCE.match(text)
    if match:
        now = dt.datetime.now().timestamp() if now is None else now
        return now - float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    try:
        return parse_since(dt.datetime.fromisoformat(text), now=now)
    except ValueError:
        raise BadFilterError(f"not a date: {text!r} (use e.g. 2024-05-01, 2024-05-01T12:00, 36h, 7d or 2w)") from None


def sql_string(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def compile_glob(glob: str) -> re.Pattern[str]:
    """The same glob as a Python pattern, for filtering rows already in memory."""
    return re.compile(glob_to_regex(glob))
