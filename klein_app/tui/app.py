"""The klein-search TUI: the app shell that owns the backend, the watcher and the status line.

Screens are Textual modes (F2-F5). They query `app.backend` from their own worker threads and listen to
`status_signal` (what the status bar shows) and `index_signal` (the index changed: refresh what you show).
Indexing runs in the watcher's thread (a full pass at start, then changes as they happen); its events
reach the UI thread as messages, never by touching widgets from another thread.
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import time

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.signal import Signal

from klein_app.errors import KleinError
from klein_app.humanize import one_line
from klein_app.tui import messages
from klein_app.tui.backend import Backend, IndexBusyError
from klein_app.tui.formatting import display_path, short_path
from klein_app.tui.opener import launch_detached, open_command
from klein_app.tui.progress import apply_progress
from klein_app.tui.screens.search import SearchScreen
from klein_app.tui.status import IndexStatus

STARTUP_DELAY_S = 0.15
LIVE_COUNT_S = 3.0  # how often screens refresh from a pass still running
READ_ONLY = "read-only: another klein-search is indexing"
# Watcher event kinds worth a toast; progress and "indexed" go to the status bar instead.
_WARN_KINDS = {"polling": "warning", "folder-missing": "warning", "error": "error"}
ERROR_TOAST_S = 10

log = logging.getLogger(__name__)


class KleinApp(App[int]):
    CSS_PATH = "klein.tcss"
    TITLE = "klein-search"
    # Only the home screen is imported up front; the others load on first visit (first paint is sooner).
    MODES = {
        "search": SearchScreen,
        "folders": lambda: _screen("folders", "FoldersScreen"),
        "duplicates": lambda: _screen("duplicates", "DuplicatesScreen"),
        "clusters": lambda: _screen("clusters", "ClustersScreen"),
    }
    DEFAULT_MODE = "search"
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f2", "switch_mode('search')", "Search", show=False),
        Binding("f3", "switch_mode('folders')", "Folders", show=False),
        Binding("f4", "switch_mode('duplicates')", "Dupes", show=False),
        Binding("f5", "switch_mode('clusters')", "Clusters", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, backend: Backend, *, debounce_s: float = 0.25) -> None:
        super().__init__()
        self.backend = backend
        # How long typing must pause before a search runs: long enough to skip half-typed words.
        self.debounce_s = debounce_s
        self.status = IndexStatus()
        self.folders: list[str] = []  # the watched folders, as of the last index change
        self.read_only = False  # another process holds the index: we can search it, not update it
        self._last_live_count = 0.0
        self._error_shown_until: dict[tuple[str, str], float] = {}
        self.status_signal: Signal[IndexStatus] = Signal(self, "status")
        self.index_signal: Signal[None] = Signal(self, "index")

    # --- status --------------------------------------------------------------------------------

    def set_status(self, **changes) -> None:
        self.status = dataclasses.replace(self.status, **changes)
        self.status_signal.publish(self.status)

    # --- errors: the one place an exception becomes what a person reads -----------------------

    def report_error(self, exc: BaseException, title: str) -> str:
        """Show `exc` as one error toast and return its line (for a screen's inline state). Any thread.

        A KleinError's message is written for the user; anything else is a bug, so it is logged with its
        traceback as well.
        """
        line = one_line(exc)
        if not isinstance(exc, KleinError):
            log.error("%s: unexpected %s", title, type(exc).__name__, exc_info=exc)
        self.post_message(messages.ErrorRaised(line, title))
        return line

    @on(messages.ErrorRaised)
    def _handle_error(self, event: messages.ErrorRaised) -> None:
        # Search-as-you-type against a broken index fails on every pause: one toast says it, not a stack.
        key, now = (event.title, event.line), time.monotonic()
        if self._error_shown_until.get(key, 0.0) > now:
            return
        self._error_shown_until[key] = now + ERROR_TOAST_S
        self.notify(event.line, title=event.title, severity="error", timeout=ERROR_TOAST_S)

    # --- start-up: open the index, warm the model, start watching ------------------------------

    def on_mount(self) -> None:
        # Importing lancedb and torch holds the GIL for a while: start once the first frame has been
        # written out (the driver writes from its own thread, which needs the GIL too).
        self.call_after_refresh(self.set_timer, STARTUP_DELAY_S, self._startup)

    @work(thread=True, group="startup", exit_on_error=False)
    def _startup(self) -> None:
        backend = self.backend
        try:
            backend.open()
            self._post_totals()
            if backend.folders():
                self._start_watcher()
            if backend.folders() or backend.has_index():
                # Load it now, not on the first keystroke; the watcher's first pass may be loading it already.
                self._load_model()
                self._post_totals()
        except Exception as exc:
            self.post_message(messages.BackendFailed(self.report_error(exc, "Cannot open the index")))

    def _load_model(self) -> bool:
        self.post_message(messages.ModelState("loading"))
        try:
            self.backend.model()
        except Exception as exc:
            self.report_error(exc, "Cannot load the model")
            self.post_message(messages.ModelState("error"))
            return False
        self.post_message(messages.ModelState("ready"))
        return True

    def _post_totals(self, summary: str = "") -> None:
        """Count what the index holds (worker thread) and tell the UI thread."""
        try:
            n_files, n_chunks = self.backend.totals()
            folders = self.backend.folders()
        except Exception as exc:
            self.report_error(exc, "Cannot read the index")
            self.post_message(messages.IndexFinished())
            return
        self.post_message(messages.IndexFinished(summary, n_files=n_files, n_chunks=n_chunks, folders=folders))

    @on(messages.BackendFailed)
    def _handle_backend_failed(self, event: messages.BackendFailed) -> None:
        self.set_status(phase="error", message=event.error, busy=False)

    @on(messages.ModelState)
    def _handle_model_state(self, event: messages.ModelState) -> None:
        self.set_status(model=event.state)

    # --- indexing runs the app starts itself (re-index of a folder) -----------------------------

    def start_indexing(self, paths: list[str] | None = None) -> None:
        """Index (or re-check) some folders, or all of them, in the background."""
        self._index_worker(paths)

    @work(thread=True, group="index", exit_on_error=False)
    def _index_worker(self, paths: list[str] | None) -> None:
        self.post_message(messages.IndexProgress(_Phase("starting")))
        try:
            report = self.backend.index(paths, progress=lambda e: self.post_message(messages.IndexProgress(e)))
        except Exception as exc:
            self.report_error(exc, "Indexing")
            self.post_message(messages.IndexFinished())
            return
        self._post_totals(summary=_report_line(report))

    @on(messages.IndexProgress)
    def _handle_progress(self, event: messages.IndexProgress) -> None:
        phase = getattr(event.event, "phase", "")
        if phase == "done":
            return
        self.set_status(**_fields(apply_progress(self.status, event.event)))
        now = time.monotonic()
        if phase == "write" and now - self._last_live_count >= LIVE_COUNT_S:
            # A long first pass writes in groups: let the screens show what is searchable already.
            self._last_live_count = now
            self._count_live()

    @work(thread=True, exclusive=True, group="live-count", exit_on_error=False)
    def _count_live(self) -> None:
        try:
            n_files, n_chunks = self.backend.totals()
        except Exception:
            return  # the final count after the pass will say what went wrong
        self.post_message(messages.IndexGrew(n_files, n_chunks))

    @on(messages.IndexGrew)
    def _handle_grew(self, event: messages.IndexGrew) -> None:
        if self.status.busy:  # a late mid-run count must not overwrite the final one
            self.set_status(n_files=event.n_files, n_chunks=event.n_chunks)
            self.index_signal.publish(None)

    @on(messages.IndexFinished)
    def _handle_finished(self, event: messages.IndexFinished) -> None:
        if self.status.phase == "error" and not self.status.busy:
            return  # the index never opened; keep saying so
        if event.folders is not None:
            self.folders = list(event.folders)
        self.read_only = self.read_only or event.read_only
        summary = event.summary or (READ_ONLY if self.read_only else "")
        counts = {} if event.n_files is None else {"n_files": event.n_files, "n_chunks": event.n_chunks}
        phase = "watching" if self.backend.watching else "idle"
        self.set_status(phase=phase, busy=False, message=summary, eta_s=None, chunks_per_s=0.0, **counts)
        self.index_signal.publish(None)

    # --- the watcher ---------------------------------------------------------------------------

    def _start_watcher(self) -> None:
        # Its first pass loads the model and walks every folder before any progress: say so meanwhile.
        self.post_message(messages.IndexProgress(_Phase("starting")))
        try:
            self.backend.start_watcher(on_event=lambda ev: self.post_message(messages.WatchEvent(ev)))
        except IndexBusyError as exc:
            self.report_error(exc, "Indexing")
            self.post_message(messages.IndexFinished(read_only=True))
        except Exception as exc:
            self.report_error(exc, "Not watching folders")
            self.post_message(messages.IndexFinished())

    @on(messages.WatchEvent)
    def _handle_watch_event(self, event: messages.WatchEvent) -> None:
        ev = event.event
        kind = getattr(ev, "kind", "")
        if kind == "progress" and getattr(ev, "progress", None) is not None:
            self._handle_progress(messages.IndexProgress(ev.progress))
        elif kind == "indexed":
            self._refresh_totals(_report_line(getattr(ev, "report", None)))
        elif kind in _WARN_KINDS:
            self.notify(str(getattr(ev, "message", "")), severity=_WARN_KINDS[kind], timeout=8)
            if kind == "error":
                self._refresh_totals()

    @work(thread=True, exclusive=True, group="totals", exit_on_error=False)
    def _refresh_totals(self, summary: str = "") -> None:
        self._post_totals(summary)

    def after_folder_added(self, folder: str) -> None:
        # A running watcher picks the folder up itself; otherwise start one (its first pass indexes).
        if not self.backend.watching:
            self._watcher_worker()

    @work(thread=True, group="index", exit_on_error=False)
    def _watcher_worker(self) -> None:
        self._start_watcher()

    # --- folders -------------------------------------------------------------------------------

    def remove_folder(self, folder: str) -> None:
        self._remove_worker(folder)

    @work(thread=True, group="index", exit_on_error=False)
    def _remove_worker(self, folder: str) -> None:
        try:
            self.backend.remove_folder(folder)
        except Exception as exc:
            self.report_error(exc, "Cannot remove the folder")
        else:
            self.call_from_thread(self.notify, f"No longer watching {short_path(folder)}; its files are untouched.")
        self._post_totals()

    # --- actions -------------------------------------------------------------------------------

    def display_path(self, path: str, width: int | None = None) -> str:
        return display_path(path, self.folders, width)

    def action_help(self) -> None:
        from klein_app.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_file(self, path: str, line: int | None, *, system: bool = False) -> None:
        """Open in $EDITOR at the line (suspending the app while it runs), else the system opener."""
        command = open_command(path, line, {} if system else None)
        if command is None:
            self.notify("Set $EDITOR, or install xdg-open, to open files.", severity="warning")
            return
        try:
            if command.terminal:
                with self.suspend():
                    subprocess.run(command.argv, check=False)
                self.refresh()
            else:
                launch_detached(command.argv)
        except Exception as exc:
            self.report_error(exc, f"Cannot open {short_path(path)}")

    def on_unmount(self) -> None:
        self.backend.close()


def _screen(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(f"klein_app.tui.screens.{module}"), name)()


@dataclasses.dataclass
class _Phase:
    phase: str


def _fields(status: IndexStatus) -> dict:
    return {f.name: getattr(status, f.name) for f in dataclasses.fields(status)}


def _report_line(report) -> str:
    """`3 indexed, 1 removed`: what a run changed, without timings (they would make captures unstable)."""
    if report is None:
        return ""
    parts = []
    for name, label in (("indexed", "indexed"), ("removed", "removed"), ("skipped", "skipped"), ("errors", "errors")):
        value = getattr(report, name, 0)
        if isinstance(value, int) and value:
            parts.append(f"{value} {label}")
    return "last run: " + ", ".join(parts) if parts else ""


def run_tui(db: str | None, use_service: bool = True) -> int:
    from klein_app.tui.backend import make_backend

    app = KleinApp(make_backend(db, use_service))
    return int(app.run() or 0)
