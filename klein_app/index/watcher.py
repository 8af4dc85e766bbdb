"""Keep the index in step with the disk while running: watchdog events -> debounce -> index_paths.

Public API:
    Watcher(ctx, on_event=None, *, debounce_s=0.4, max_wait_s=3.0, force_polling=False)
        .start()   claims the index, starts observers, runs a full pass, then follows changes
        .stop()    stops observers and the worker (an index batch in flight finishes first)
        .sync_folders()   re-read ctx.settings.folders: watch new ones, index them
        .rescan(paths=None)   queue a pass (all folders, or these paths) in the watcher's loop
        .wait_idle(timeout) -> bool   True once no change is pending and no batch is running
    WatchEvent(kind, message, report=None, progress=None)
        kind: "started", "progress", "indexed", "polling", "folder-missing", "error", "stopped"

Bursts (editors saving via temp file + rename, `git checkout`) are collected until the folder
has been quiet for debounce_s (or max_wait_s passed), then indexed as one batch. When the
kernel's inotify watch limit is hit, the folder is polled instead and a message says so.
A full pass every rescan_s catches anything the kernel dropped (queue overflows). Edits to the
config file (a folder added from another terminal) are picked up within a second or so.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from dataclasses import dataclass

from klein_app.errors import KleinError
from klein_app.humanize import brief_summary, one_line
from klein_app.index.folders import watched_roots
from klein_app.index.progress import ProgressEvent
from klein_app.pathutil import is_under
from klein_app.sources.walk import ALWAYS_SKIP_DIRS, IGNORE_FILES

log = logging.getLogger(__name__)

FULL_PASS_ABOVE = 2000  # more changed paths than this in one batch: walk everything instead
_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})


@dataclass
class WatchEvent:
    kind: str
    message: str
    report: object | None = None
    progress: ProgressEvent | None = None


class Watcher:
    def __init__(
        self,
        ctx,
        on_event=None,
        *,
        debounce_s: float = 0.4,
        max_wait_s: float = 3.0,
        force_polling: bool = False,
        poll_interval_s: float = 1.0,
        rescan_s: float = 600.0,
    ):
        self.ctx = ctx
        self.on_event = on_event
        self.debounce_s = debounce_s
        self.max_wait_s = max_wait_s
        self.force_polling = force_polling
        self.poll_interval_s = poll_interval_s
        self.rescan_s = rescan_s
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._full = True  # the first batch is a full pass
        self._first_at: float | None = None
        self._last_at = 0.0
        self._busy = False
        self._stop = threading.Event()
        self._observers: dict[str, object] = {}
        self._obs_lock = threading.RLock()  # sync_folders (caller's thread) vs root checks (worker)
        self._missing: set[str] = set()
        self._thread: threading.Thread | None = None
        self._hold = None
        self._config_stamp = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        from klein_app.index.lock import hold_index

        self._hold = hold_index(self.ctx)
        self._hold.__enter__()  # raises IndexBusy before anything starts
        try:
            self._config_stamp = self.ctx.paths.config_file.stat().st_mtime_ns
        except OSError:
            self._config_stamp = 0
        try:
            self.sync_folders()
        except BaseException:
            self._release()
            raise
        self._thread = threading.Thread(target=self._loop, name="klein-watcher", daemon=True)
        self._thread.start()
        self._emit("started", f"watching {len(self._roots())} folder(s)")

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        with self._obs_lock:
            for obs in list(self._observers.values()):
                _stop_observer(obs)
            self._observers.clear()
        if self._thread is not None:
            self._thread.join(timeout)
        self._release()
        self._emit("stopped", "stopped watching")

    def _release(self) -> None:
        if self._hold is not None:
            self._hold.__exit__(None, None, None)
            self._hold = None

    def rescan(self, paths: list[str] | None = None) -> None:
        """Queue a pass over `paths` (None: every folder) in the watcher's own loop, so its
        progress arrives through on_event like any other batch."""
        self._request(None if paths is None else [os.path.abspath(p) for p in paths])

    def wait_idle(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._full or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
        return True

    # --- observers ---------------------------------------------------------------------------

    def _roots(self) -> list[str]:
        return watched_roots(self.ctx.settings.folders)

    def sync_folders(self) -> None:
        with self._obs_lock:
            self._sync_folders()

    def _sync_folders(self) -> None:
        roots = self._roots()
        for root in list(self._observers):
            if root not in roots:
                _stop_observer(self._observers.pop(root))
                self._request(None)  # a full pass drops the rows of a folder no longer watched
        for root in roots:
            if root not in self._observers:
                self._schedule(root)

    def _schedule(self, root: str) -> None:
        if not os.path.isdir(root):
            if root not in self._missing:
                self._missing.add(root)
                self._emit("folder-missing", f"{root} is missing; its index entries are kept until it returns")
            return
        self._missing.discard(root)
        handler = _Handler(self)
        observer = None
        if not self.force_polling:
            try:
                from watchdog.observers import Observer

                observer = Observer()
                observer.schedule(handler, root, recursive=True)
                observer.start()
            except OSError as exc:
                _stop_observer(observer)
                observer = None
                if exc.errno in (errno.ENOSPC, errno.EMFILE):
                    self._emit(
                        "polling",
                        f"the system's inotify watch limit is reached; polling {root} every "
                        f"{self.poll_interval_s:g} s instead (raise fs.inotify.max_user_watches to fix)",
                    )
                else:
                    self._emit("polling", f"cannot watch {root} ({exc.strerror or exc}); polling it instead")
        if observer is None:
            from watchdog.observers.polling import PollingObserver

            observer = PollingObserver(timeout=self.poll_interval_s)
            observer.schedule(handler, root, recursive=True)
            observer.start()
        self._observers[root] = observer
        self._request([root])

    # --- events ------------------------------------------------------------------------------

    def _wanted(self, path: str) -> bool:
        data_dir = str(self.ctx.paths.data_dir)
        if is_under(path, data_dir):
            return False  # our own writes, when the index lives inside a watched folder
        return not any(part in ALWAYS_SKIP_DIRS for part in path.split(os.sep))

    def _on_fs_event(self, event) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        paths = [event.src_path]
        if getattr(event, "dest_path", None):
            paths.append(event.dest_path)
        wanted = []
        for p in paths:
            p = os.fsdecode(p)
            if os.path.basename(p) in IGNORE_FILES:
                p = os.path.dirname(p)  # new ignore rules change what the whole folder holds
            if self._wanted(p):
                wanted.append(p)
        if wanted:
            self._request(wanted)

    def _request(self, paths: list[str] | None) -> None:
        with self._cond:
            now = time.monotonic()
            if paths is None:
                self._full = True
            else:
                self._pending.update(paths)
            if self._first_at is None:
                self._first_at = now
            self._last_at = now
            self._cond.notify_all()

    # --- worker ------------------------------------------------------------------------------

    def _take_batch(self):
        """Wait for a quiet moment; returns ("full", None) or ("paths", [...]) or None on stop."""
        with self._cond:
            while not self._stop.is_set():
                if self._full or self._pending:
                    now = time.monotonic()
                    quiet = now - self._last_at >= self.debounce_s
                    overdue = self._first_at is not None and now - self._first_at >= self.max_wait_s
                    if quiet or overdue or (self._full and not self._pending):
                        full = self._full or len(self._pending) > FULL_PASS_ABOVE
                        paths = sorted(self._pending)
                        self._pending.clear()
                        self._full = False
                        self._first_at = None
                        self._busy = True
                        return ("full", None) if full else ("paths", paths)
                    self._cond.wait(self.debounce_s / 4)
                else:
                    self._cond.wait(1.0)
                    return ("tick", None)
            return None

    def _loop(self) -> None:
        from klein_app.index.indexer import index_paths

        last_full = 0.0
        while not self._stop.is_set():
            batch = self._take_batch()
            if batch is None:
                break
            kind, paths = batch
            if kind == "tick":
                self._reload_settings()
                self._check_roots()
                if time.monotonic() - last_full >= self.rescan_s:
                    self._request(None)
                continue
            try:
                report = index_paths(
                    self.ctx,
                    None if kind == "full" else paths,
                    progress=lambda e: self._emit("progress", e.phase, progress=e),
                    stop=self._stop,
                )
                if kind == "full":
                    last_full = time.monotonic()
                self._emit("indexed", brief_summary(report), report=report)
            except Exception as exc:  # the watcher must outlive one bad batch
                if not isinstance(exc, KleinError):
                    log.exception("indexing batch failed")
                self._emit("error", f"indexing failed: {one_line(exc)}")
                time.sleep(min(5.0, self.max_wait_s))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _reload_settings(self) -> None:
        """Follow config edits made elsewhere (`klein-search add` while this watcher runs)."""
        try:
            stamp = self.ctx.paths.config_file.stat().st_mtime_ns
        except OSError:
            return
        if stamp == self._config_stamp:
            return
        self._config_stamp = stamp
        try:
            self.ctx.reload_settings()
        except Exception as exc:  # a config being edited must not stop the watcher
            log.warning("cannot reload settings", exc_info=not isinstance(exc, KleinError))
            self._emit("error", f"cannot reload settings: {one_line(exc)}")
            return
        self.sync_folders()

    def _check_roots(self) -> None:
        with self._obs_lock:
            self._check_roots_locked()

    def _check_roots_locked(self) -> None:
        for root in self._roots():
            obs = self._observers.get(root)
            if obs is not None and not os.path.isdir(root):
                _stop_observer(self._observers.pop(root))
                self._missing.discard(root)
                self._schedule(root)  # reports it missing
            elif obs is None and os.path.isdir(root):
                self._schedule(root)  # it came back

    def _emit(self, kind: str, message: str, report=None, progress=None) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(WatchEvent(kind, message, report, progress))
        except Exception:  # a broken display callback must not stop indexing
            log.exception("the watcher's event callback failed on a %s event", kind)


class _Handler:
    """Duck-typed watchdog handler: watchdog calls dispatch(event)."""

    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def dispatch(self, event) -> None:
        self.watcher._on_fs_event(event)


def _stop_observer(observer) -> None:
    if observer is None:
        return
    try:
        observer.stop()
        observer.join(timeout=5)
    except Exception:  # stopping is best effort: the process is going away
        log.warning("cannot stop the file-system observer", exc_info=True)


