"""Progress of an indexing run: the event the indexer emits, and a one-line renderer for terminals.

Public API:
    ProgressEvent(phase, files_done, files_total, chunks_done, chunks_per_s, eta_s, current)
        phase is one of "walk", "read", "embed", "write", "optimize", "done"
    Throttle(callback, interval_s)   forwards at most one event per interval, or when forced
    TerminalBar(stream)              callable rendering events as a redrawn line (stderr)
    format_event(event) -> str
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass


@dataclass
class ProgressEvent:
    phase: str
    files_done: int
    files_total: int
    chunks_done: int
    chunks_per_s: float
    eta_s: float | None
    current: str


class Throttle:
    def __init__(self, callback, interval_s: float = 0.2):
        self.callback = callback
        self.interval_s = interval_s
        self._last = 0.0

    def __call__(self, event: ProgressEvent, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        # hot phases (read/embed/write) alternate many times a second: only the clock decides
        if force or now - self._last >= self.interval_s:
            self._last = now
            self.callback(event)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}:{seconds % 60:02d}"


def format_event(e: ProgressEvent, width: int = 24) -> str:
    if e.phase == "walk":
        return f"walk  {e.files_done} files found"
    frac = e.files_done / e.files_total if e.files_total else 1.0
    filled = int(frac * width)
    bar = "#" * filled + "-" * (width - filled)
    eta = f" eta {_duration(e.eta_s)}" if e.eta_s is not None else ""
    return (
        f"{e.phase:<8} [{bar}] {e.files_done}/{e.files_total} files  "
        f"{e.chunks_done} chunks  {e.chunks_per_s:.0f} chunks/s{eta}"
    )


class TerminalBar:
    """Redraws one status line; prints a newline when the run is done."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._width = 0

    def __call__(self, e: ProgressEvent) -> None:
        line = format_event(e)
        if e.current and e.phase not in ("done", "optimize"):
            room = 110 - len(line)
            if room > 12:
                cur = e.current if len(e.current) <= room else "…" + e.current[-(room - 1) :]
                line += "  " + cur.replace("\n", " ")
        pad = max(0, self._width - len(line))
        self.stream.write("\r" + line + " " * pad)
        self._width = len(line)
        if e.phase == "done":
            self.stream.write("\n")
            self._width = 0
        self.stream.flush()
