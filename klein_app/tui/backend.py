"""The TUI's one door to the index, the model and the queries.

Every method may block (LanceDB, torch) and is meant to be called from a worker thread. Heavy modules are
imported inside the methods so that importing the TUI stays cheap. Results are the query modules' own
dataclasses (klein_app/queries/results.py), in the order the queries give them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from klein_app.errors import UserError
from klein_app.humanize import one_line

if TYPE_CHECKING:
    from klein_app.queries.results import Cluster, DuplicateGroup, FileRecord, SearchResult, SimilarFile


class BackendError(UserError):
    """Something the user should read as one line (the index is missing, locked, the model failed...)."""


class IndexBusyError(BackendError):
    """Another process writes this index: the TUI can still read it, but not index."""


class Backend:
    """Wraps an `AppContext`: opened once in a worker, then shared by the screens' workers."""

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._ctx: Any = None
        self._open_error = ""
        self._ready = threading.Event()
        self._watcher: Any = None

    # --- opening -------------------------------------------------------------------------------

    def open(self) -> None:
        try:
            from klein_app.context import open_context

            self._ctx = open_context(self.db)
        except Exception as exc:
            # The app reports it (a bug is logged there); later calls get its line as a BackendError.
            self._open_error = one_line(exc)
            raise
        finally:
            self._ready.set()

    def wait_ready(self, timeout: float = 60.0) -> Any:
        if not self._ready.wait(timeout):
            raise BackendError("the index is still opening")
        if self._ctx is None:
            raise BackendError(self._open_error or "the index could not be opened")
        return self._ctx

    @property
    def ctx(self) -> Any:
        return self.wait_ready()

    def model(self) -> Any:
        """The query encoder (numpy: loads in well under a second, without torch; the watcher loads its own)."""
        return self.ctx.query_encoder()

    def model_loaded(self) -> bool:
        return self._ctx is not None and self._ctx.query_encoder_loaded

    def close(self) -> None:
        # Quitting must not wait for an embedding batch to finish: the index survives an interrupted
        # batch by design (a files row is written only after its chunks), so give the watcher a moment.
        self.stop_watcher(timeout=1.0)

    # --- folders -------------------------------------------------------------------------------

    def folders(self) -> list[str]:
        return [str(f) for f in self.ctx.settings.folders]

    def add_folder(self, path: str) -> str:
        from klein_app.index.folders import add_folders

        added = _user_errors(add_folders, self.ctx, [path])
        if not added:
            raise BackendError(f"already watched (it is inside a watched folder): {path}")
        self._sync_watcher()
        return added[0]

    def remove_folder(self, folder: str) -> int:
        """Stop watching a folder and drop its rows from the index. The files on disk are left alone."""
        from klein_app.index.folders import remove_folder

        removed = _user_errors(remove_folder, self.ctx, folder)
        self._sync_watcher()
        return removed

    # --- index ---------------------------------------------------------------------------------

    def _reader_store(self) -> Any:
        """The store queries read, or None when nothing was ever indexed (never waits for the model)."""
        return self.ctx.reader_store()

    def has_index(self) -> bool:
        from klein_app.index.store import active_generation

        return bool(active_generation(self.ctx.paths.data_dir))

    def list_files(self) -> list[FileRecord]:
        from klein_app.queries.results import FileRecord

        store = self._reader_store()
        return [] if store is None else [FileRecord.from_row(row) for row in store.list_files()]

    def totals(self) -> tuple[int, int]:
        """(indexed files, chunks)."""
        store = self._reader_store()
        if store is None:
            return 0, 0
        return int(store.count_files("indexed")), int(store.count_chunks())

    def index(self, paths: list[str] | None, progress: Callable[[Any], None]) -> Any:
        from klein_app.index.indexer import index_paths

        return _user_errors(index_paths, self.ctx, paths, progress=progress)

    def start_watcher(self, on_event: Callable[[Any], None]) -> None:
        """Watch every folder: a full pass first, then changes as they happen (on the watcher's threads)."""
        from klein_app.index.watcher import Watcher

        self.stop_watcher()
        watcher = Watcher(self.ctx, on_event=on_event)
        _user_errors(watcher.start)
        self._watcher = watcher

    def stop_watcher(self, timeout: float = 30.0) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            try:
                watcher.stop(timeout=timeout)
            except Exception:
                pass

    def _sync_watcher(self) -> None:
        if self._watcher is not None:
            self._watcher.sync_folders()

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    # --- queries -------------------------------------------------------------------------------

    def search(self, query: str, mode: str = "hybrid", path_glob: str | None = None, k: int = 30) -> list[SearchResult]:
        from klein_app.queries import EmptyIndexError, EmptyQueryError, search

        store = self._reader_store()
        if store is None:
            return []
        # Text search needs no model: never make a person wait for one to load.
        model = None if mode == "text" and not self.model_loaded() else self.model()
        try:
            return _user_errors(search, store, model, query, k=k, mode=mode, path_glob=path_glob or None)
        except (EmptyIndexError, EmptyQueryError):
            return []

    def similar(self, path: str, k: int = 15) -> list[SimilarFile]:
        from klein_app.queries import similar

        store = self._reader_store()
        return [] if store is None else _user_errors(similar, store, path, k=k)

    def duplicates(self, threshold: float | None = None) -> list[DuplicateGroup]:
        """Groups in the query's own order (most wasted bytes first)."""
        from klein_app.queries import EmptyIndexError, duplicates
        from klein_app.queries.results import DEFAULT_DUPLICATE_SHARE

        try:
            share = DEFAULT_DUPLICATE_SHARE if threshold is None else threshold
            store = self._reader_store()
            return [] if store is None else _user_errors(duplicates, store, threshold=share, level="file")
        except EmptyIndexError:
            return []

    def clusters(self, n: int | None = None) -> list[Cluster]:
        from klein_app.queries import EmptyIndexError, clusters

        try:
            store = self._reader_store()
            return [] if store is None else _user_errors(clusters, store, n=n)
        except EmptyIndexError:
            return []


def _user_errors(fn: Callable, *args, **kwargs) -> Any:
    """Call `fn`, turning the backends' user-facing errors into BackendError (one line, no traceback)."""
    from klein_app.index.folders import FolderError
    from klein_app.index.lock import IndexBusy
    from klein_app.queries import EmptyIndexError, EmptyQueryError, QueryError

    try:
        return fn(*args, **kwargs)
    except (EmptyIndexError, EmptyQueryError):
        raise  # callers turn these into an empty result with a friendly message
    except IndexBusy as exc:
        raise IndexBusyError(one_line(exc)) from exc
    except (FolderError, QueryError) as exc:
        raise BackendError(one_line(exc)) from exc


def make_backend(db: str | None, use_service: bool = True) -> Backend:
    """The service's backend when `klein-search serve` runs for this index (found with a stat and a small
    read: nothing heavy), else the in-process one."""
    if use_service:
        from klein_app.server.client import ServiceClient
        from klein_app.settings import resolve_paths

        client = ServiceClient.find(resolve_paths(db).data_dir)
        if client is not None:
            from klein_app.tui.service_backend import ServiceBackend

            return ServiceBackend(db, client)
    return Backend(db)
