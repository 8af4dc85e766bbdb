"""Turning the indexer's progress events into status-bar states, and keeping their rate sane."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from klein_app.tui.records import IndexStatus


def apply_progress(status: IndexStatus, event: Any) -> IndexStatus:
    """The status after one `ProgressEvent` (read by attribute, so any object with those fields works)."""

    def get(name: str, default: Any) -> Any:
        value = getattr(event, name, default)
        return default if value is None and default is not None else value

    return dataclasses.replace(
        status,
        phase=str(get("phase", status.phase)),
        files_done=int(get("files_done", 0)),
        files_total=int(get("files_total", 0)),
        chunks_done=int(get("chunks_done", 0)),
        chunks_per_s=float(get("chunks_per_s", 0.0)),
        eta_s=get("eta_s", None),
        current=str(get("current", "") or ""),
        busy=True,
        message="",
    )


class Throttle:
    """Lets an event through when its phase changes or `interval` has passed, so a fast indexer does not
    flood the UI thread with repaints."""

    def __init__(self, interval: float = 0.1, clock=time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._last = float("-inf")
        self._phase: str | None = None

    def allow(self, event: Any) -> bool:
        now = self.clock()
        phase = getattr(event, "phase", None)
        done = getattr(event, "files_total", 0) and getattr(event, "files_done", 0) >= getattr(event, "files_total", 0)
        if phase != self._phase or done or now - self._last >= self.interval:
            self._phase = phase
            self._last = now
            return True
        return False
