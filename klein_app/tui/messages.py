"""Messages worker threads post to the app (post_message is thread-safe and never blocks the worker)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class ErrorRaised(Message):
    """An error for the person to read, already one line (see KleinApp.report_error)."""

    def __init__(self, line: str, title: str) -> None:
        super().__init__()
        self.line = line
        self.title = title


class BackendFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class IndexProgress(Message):
    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class IndexFinished(Message):
    """A run ended (or the index changed): fresh totals and a one-line summary (errors are reported apart)."""

    def __init__(
        self,
        summary: str = "",
        n_files: int | None = None,
        n_chunks: int | None = None,
        folders: list[str] | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.folders = folders
        self.read_only = read_only
        self.summary = summary
        self.n_files = n_files
        self.n_chunks = n_chunks


class WatchEvent(Message):
    """The watcher changed the index (or reported progress while doing so)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class ModelState(Message):
    def __init__(self, state: str) -> None:
        super().__init__()
        self.state = state


class IndexGrew(Message):
    """Mid-run counts: what a running pass has written so far (searches already see it)."""

    def __init__(self, n_files: int, n_chunks: int) -> None:
        super().__init__()
        self.n_files = n_files
        self.n_chunks = n_chunks
