"""What the status bar shows: the app owns one `IndexStatus` and publishes each change."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IndexStatus:
    """Indexing progress when busy, index totals when idle."""

    phase: str = "starting"  # starting | idle | walk | read | embed | write | watching | error
    files_done: int = 0
    files_total: int = 0
    chunks_done: int = 0
    chunks_per_s: float = 0.0
    eta_s: float | None = None
    current: str = ""
    n_files: int = 0
    n_chunks: int = 0
    model: str = ""  # "" (not loaded) | "loading" | "ready" | "error"
    message: str = ""
    busy: bool = False
    extra: dict = field(default_factory=dict, compare=False)
