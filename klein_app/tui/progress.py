"""Turning the indexer's progress events into status-bar states."""

from __future__ import annotations

import dataclasses
from typing import Any

from klein_app.tui.status import IndexStatus


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
