"""The klein-search TUI: the app shell that owns the backend, indexing, the watcher and the status.

Screens are Textual modes (F2-F5); they query `app.backend` from their own worker threads and listen to
`status_signal` (status bar) and `index_signal` (the index changed: refresh what you show).
"""

from __future__ import annotations

import dataclasses
import subprocess

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.signal import Signal

from klein_app.tui import messages
from klein_app.tui.backend import Backend
from klein_app.tui.formatting import error_line, short_path
from klein_app.tui.opener import launch_detached, open_command
from klein_app.tui.progress import Throttle, apply_progress
from klein_app.tui.records import IndexStatus
from klein_app.tui.screens.clusters import ClustersScreen
from klein_app.tui.screens.duplicates import DuplicatesScreen
from klein_app.tui.screens.folders import FoldersScreen
from klein_app.tui.screens.help import HelpScreen
from klein_app.tui.screens.search import SearchScreen


class KleinApp(App[int]):
    CSS_PATH = "klein.tcss"
    TITLE = "klein-search"
    MODES = {
        "search": SearchScreen,
        "folders": FoldersScreen,
        "duplicates": DuplicatesScreen,
        "clusters": ClustersScreen,
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

    def __init__(self, backend: Backend, *, auto_index: bool = True, watch: bool = True) -> None:
        super().__init__()
        self.backend = backend
        self.auto_index = auto_index
        self.watch_folders = watch
        self.status = IndexStatus()
        self.status_signal: Signal[IndexStatus] = Signal(self, "status")
        self.index_signal: Signal[None] = Signal(self, "index")
        self._throttle = Throttle()

    # --- status --------------------------------------------------------------------------------

    def set_status(self, **changes) -> None:
        self.status = dataclasses.replace(self.status, **changes)
        self.status_signal.publish(self.status)

    def _index_changed(self) -> None:
        self.index_signal.publish(None)

    # --- start-up ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._startup()

    @work(thread=True, group="startup", exit_on_error=False)
    def _startup(self) -> None:
        backend = self.backend
        try:
            backend.open()
        except Exception as exc:
            self.post_message(messages.BackendFailed(error_line(exc)))
            return
        self.post_message(messages.BackendReady())
        self._post_totals()
        try:
            folders = backend.folders()
        except Exception as exc:
            self.post_message(messages.BackendFailed(error_line(exc)))
            return
        if folders or backend.has_index():
            self._load_model()
        if folders and self.auto_index:
            self._index_blocking(None)
        if folders and self.watch_folders:
            self._start_watcher()

    def _load_model(self) -> bool:
        self.post_message(messages.ModelState("loading"))
        try:
            self.backend.model()
        except Exception as exc:
            self.post_message(messages.ModelState("error", error_line(exc)))
            return False
        self.post_message(messages.ModelState("ready"))
        return True

    def _post_totals(self, summary: str = "") -> None:
        try:
            n_files, n_chunks = self.backend.totals()
        except Exception as exc:
            self.post_message(messages.IndexFinished(error=error_line(exc)))
            return
        self.post_message(messages.IndexFinished(summary=summary, n_files=n_files, n_chunks=n_chunks))

    @on(messages.BackendReady)
    def _handle_backend_ready(self) -> None:
        self.set_status(phase="idle")

    @on(messages.BackendFailed)
    def _failed(self, event: messages.BackendFailed) -> None:
        self.set_status(phase="error", message=event.error, busy=False)
        self.notify(event.error, title="Cannot open the index", severity="error", timeout=10)

    @on(messages.ModelState)
    def _model_state(self, event: messages.ModelState) -> None:
        self.set_status(model=event.state)
        if event.error:
            self.notify(event.error, title="Cannot load the model", severity="error", timeout=10)

    # --- indexing ------------------------------------------------------------------------------

    def start_indexing(self, paths: list[str] | None = None) -> None:
        """Index (or re-index) some folders, or all of them, in the background."""
        self._index_worker(paths)

    @work(thread=True, group="index", exit_on_error=False)
    def _index_worker(self, paths: list[str] | None) -> None:
        self.backend.stop_watcher()
        self._index_blocking(paths)
        if self.watch_folders:
            self._start_watcher()

    def _index_blocking(self, paths: list[str] | None) -> None:
        self.post_message(messages.IndexProgress(_Phase("starting")))
        if not self.backend.model_loaded() and not self._load_model():
            self.post_message(messages.IndexFinished(error="indexing needs the model"))
            return
        try:
            report = self.backend.index(paths, progress=self._indexer_callback)
        except Exception as exc:
            self.post_message(messages.IndexFinished(error=error_line(exc)))
            return
        self._post_totals(summary=_report_line(report))

    def _indexer_callback(self, event) -> None:
        # Called on the indexer's thread.
        if self._throttle.allow(event):
            self.post_message(messages.IndexProgress(event))

    @on(messages.IndexProgress)
    def _progress(self, event: messages.IndexProgress) -> None:
        self.set_status(**dataclasses.asdict(apply_progress(self.status, event.event)))

    @on(messages.IndexFinished)
    def _finished(self, event: messages.IndexFinished) -> None:
        phase = "watching" if self.backend.watching else "idle"
        if self.status.phase == "error" and not self.status.busy:
            return
        counts = {} if event.n_files is None else {"n_files": event.n_files, "n_chunks": event.n_chunks}
        self.set_status(phase=phase, busy=False, message=event.summary, eta_s=None, chunks_per_s=0.0, **counts)
        if event.error:
            self.notify(event.error, title="Indexing failed", severity="error", timeout=10)
        self._index_changed()

    # --- watching ------------------------------------------------------------------------------

    def _start_watcher(self) -> None:
        try:
            self.backend.start_watcher(on_event=self._watcher_callback)
        except Exception as exc:
            self.post_message(messages.IndexFinished(error=f"cannot watch folders: {error_line(exc)}"))
            return
        self.post_message(messages.WatchEvent(None))

    def _watcher_callback(self, event) -> None:
        # Called on the watcher's thread.
        if event is None or getattr(event, "phase", None) is None or self._throttle.allow(event):
            self.post_message(messages.WatchEvent(event))

    @on(messages.WatchEvent)
    def _watch_event(self, event: messages.WatchEvent) -> None:
        ev = event.event
        if ev is not None and getattr(ev, "phase", None) is not None and getattr(ev, "phase") != "done":
            self.set_status(**dataclasses.asdict(apply_progress(self.status, ev)))
            return
        if self.status.busy and ev is None:
            return
        self._refresh_totals()

    @work(thread=True, exclusive=True, group="totals", exit_on_error=False)
    def _refresh_totals(self) -> None:
        self._post_totals()

    # --- folders -------------------------------------------------------------------------------

    def remove_folder(self, folder: str) -> None:
        self._remove_worker(folder)

    @work(thread=True, group="index", exit_on_error=False)
    def _remove_worker(self, folder: str) -> None:
        self.backend.stop_watcher()
        try:
            self.backend.remove_folder(folder)
        except Exception as exc:
            self.call_from_thread(self.notify, error_line(exc), severity="error")
        else:
            self.call_from_thread(self.notify, f"No longer watching {short_path(folder)}.")
        self._post_totals()
        if self.watch_folders and self.backend.folders():
            self._start_watcher()

    # --- actions -------------------------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_file(self, path: str, line: int | None, *, system: bool = False) -> None:
        """Open in $EDITOR at the line (suspending the app while it runs), else the system opener."""
        env = None if not system else {}
        command = open_command(path, line, env)
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
            self.notify(f"Cannot open {short_path(path)}: {error_line(exc)}", severity="error")

    def on_unmount(self) -> None:
        self.backend.close()


@dataclasses.dataclass
class _Phase:
    phase: str


def _report_line(report) -> str:
    if report is None:
        return ""
    summary = getattr(report, "summary", None)
    if callable(summary):
        try:
            return str(summary())
        except Exception:
            return ""
    return ""


def run_tui(db: str | None) -> int:
    app = KleinApp(Backend(db))
    result = app.run()
    return int(result or 0)
