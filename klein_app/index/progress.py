"""Progress of an indexing run: the event the indexer emits, how its rate and ETA are measured, and how a
person sees it.

Public API:
    ProgressEvent(phase, files_done, files_total, chunks_done, chunks_per_s, eta_s, current)
        phase is one of "walk", "read", "embed", "write", "optimize", "done"
    Throttle(callback, interval_s)   forwards at most one event per interval, or when forced
    RateMeter(window_s)              rate of a growing count over the last window_s seconds
    chunks_left(missing, embedded, bytes_seen, bytes_total)   the work an ETA divides by the rate
    progress_reporter(stream, log_every_s=10) -> Reporter
        a tqdm bar that follows the terminal's width when `stream` is a terminal; otherwise a log line
        (phase, done/total, rate, ETA) every log_every_s seconds, also written to the app's log.
        Call it with events; .clear() before printing other lines; .close() at the end.
    format_event(event) -> str       the one-line text form (log lines)
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from dataclasses import dataclass

log = logging.getLogger(__name__)


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


class RateMeter:
    """Units per second over the last `window_s` seconds of samples (None until a second has passed).

    A window, not the average since the start: the first seconds of a run (unchanged files, skipped
    binaries, the first batch filling the model) are far faster or slower than the rest, and an average
    over them made the ETA wrong by a factor of 2-3."""

    def __init__(self, window_s: float = 120.0):
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def add(self, now: float, done: float) -> None:
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window_s:
            self._samples.popleft()

    def rate(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        if t1 - t0 < 1.0:
            return None
        return max(0.0, (d1 - d0) / (t1 - t0))

    def eta(self, remaining: float) -> float | None:
        rate = self.rate()
        if rate is None or rate <= 0:
            return None
        return max(0.0, remaining / rate)


def chunks_left(missing: int, embedded: int, bytes_seen: int, bytes_total: int) -> float:
    """Chunks still to embed: those of the files read so far, plus the unread bytes at the chunks-per-byte
    seen so far. The model's time is the run's time, so the ETA counts chunks, not finished bytes: a big
    file is "finished" only when its last chunk is written, and counting bytes made the ETA grow while the
    model worked through it."""
    known = max(0, missing - embedded)
    if bytes_seen <= 0:
        return float(known)
    return known + max(0, bytes_total - bytes_seen) * (missing / bytes_seen)


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}:{seconds % 60:02d}"


def format_event(e: ProgressEvent) -> str:
    if e.phase == "walk":
        return f"walk: {e.files_done} files found"
    eta = f", eta {duration(e.eta_s)}" if e.eta_s is not None else ""
    return (
        f"{e.phase}: {e.files_done}/{e.files_total} files, {e.chunks_done} chunks, {e.chunks_per_s:.0f} chunks/s{eta}"
    )


class _Bar:
    """tqdm bar; the ETA shown is the indexer's (rate of the current phase), not tqdm's own."""

    _FORMAT = "{desc:<8} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} files {postfix}"

    def __init__(self, stream):
        from tqdm import tqdm

        self._bar = tqdm(total=0, file=stream, dynamic_ncols=True, leave=True, bar_format=self._FORMAT, mininterval=0.2)

    def __call__(self, e: ProgressEvent) -> None:
        bar = self._bar
        if e.phase == "walk":
            bar.set_description_str("walk", refresh=False)
            bar.total = 0
            bar.n = 0
            bar.set_postfix_str(f"{e.files_done} found", refresh=True)
            return
        bar.set_description_str(e.phase, refresh=False)
        bar.total = max(e.files_total, e.files_done)
        bar.n = e.files_done
        eta = f", eta {duration(e.eta_s)}" if e.eta_s is not None else ""
        bar.set_postfix_str(f"{e.chunks_done} chunks, {e.chunks_per_s:.0f}/s{eta}", refresh=True)

    def clear(self) -> None:
        self._bar.clear()

    def close(self) -> None:
        self._bar.close()


class _LogLines:
    """For a stream that is not a terminal (a log file, CI): one plain line every `every_s` seconds."""

    def __init__(self, stream, every_s: float):
        self.stream = stream
        self.every_s = every_s
        self._last = float("-inf")
        self._phase = None

    def __call__(self, e: ProgressEvent) -> None:
        now = time.monotonic()
        # a new phase group (walk → indexing → optimize → done) is worth a line at once
        group = e.phase if e.phase in ("walk", "optimize", "done") else "index"
        if now - self._last < self.every_s and group == self._phase:
            return
        self._last, self._phase = now, group
        line = format_event(e)
        log.info("progress %s", line)
        print(f"[{time.strftime('%H:%M:%S')}] {line}", file=self.stream, flush=True)

    def clear(self) -> None:
        pass

    def close(self) -> None:
        pass


def progress_reporter(stream=None, log_every_s: float = 10.0):
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return _Bar(stream)
    return _LogLines(stream, log_every_s)
