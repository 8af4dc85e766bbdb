"""What the service holds for its lifetime: one AppContext (model, stores), the query-embedding cache and the
watcher that keeps the index in step with the folders.

Many readers at once: every request runs on a worker thread and reads LanceDB (which sees each commit as it
lands). One writer: the watcher holds the index's writer lock for the service's life, and `POST /index` and
folder changes write through the same lock (klein_app/index/lock.py), one batch at a time.
"""

from __future__ import annotations

import logging
import threading
import time

from klein_app.context import AppContext
from klein_app.logs import log_file
from klein_app.server.embed_cache import CachedEncoder, QueryCache
from klein_app.settings import load_settings, resolve_paths

log = logging.getLogger(__name__)


class ServiceContext(AppContext):
    """An AppContext whose query encoder answers repeated queries from an LRU cache."""

    def __init__(self, paths, settings, cache: QueryCache):
        super().__init__(paths, settings)
        self.query_cache = cache

    def wrap_query_encoder(self, encoder):
        return CachedEncoder(encoder, self.query_cache)


class ServiceState:
    def __init__(self, db: str | None = None, *, watch: bool = True, cache_size: int | None = None) -> None:
        paths = resolve_paths(db)
        cache = QueryCache() if cache_size is None else QueryCache(cache_size)
        self.ctx = ServiceContext(paths, load_settings(paths), cache)
        self.watch = watch
        self.watcher = None
        self.watch_error: str | None = None
        self.started_at = time.time()
        self.log_path = log_file(paths.data_dir)  # named in the message of an unexpected error
        self.info = None  # the ServiceInfo run.py publishes
        self.cli_commands = 0  # CLI commands run here for a client (klein_app/server/forward.py)
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load what the first query needs (the query encoder, the reader store, the files' openings), then
        start watching."""
        try:
            self.ctx.query_encoder()
        except Exception as exc:  # no model yet: the first query reports it
            log.info("query encoder not loaded: %s", exc)
        try:
            store = self.ctx.reader_store()
            if store is not None:
                from klein_app.queries import openings

                log.info("openings of %d files read", openings.warm(store))
        except Exception as exc:  # an unreadable index: the first query reports it
            log.info("openings not read: %s", exc)
        if self.watch and self.ctx.settings.folders:
            self.start_watcher()

    def start_watcher(self) -> None:
        from klein_app.index.watcher import Watcher

        with self._lock:
            if self.watcher is not None:
                return
            try:
                watcher = Watcher(self.ctx)
                watcher.start()
            except Exception as exc:
                self.watch_error = str(exc)
                log.warning("not watching folders: %s", exc)
                return
            self.watcher, self.watch_error = watcher, None

    def folders_changed(self) -> None:
        if self.watcher is not None:
            self.watcher.sync_folders()
        elif self.watch and self.ctx.settings.folders:
            self.start_watcher()

    def close(self) -> None:
        with self._lock:
            watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop(timeout=5.0)

    def describe(self) -> dict:
        """What `GET /status` and `klein-search status` add about the service itself."""
        out = {
            "running": True,
            "pid": self.info.pid if self.info else None,
            "url": self.info.url if self.info else None,
            "token_file": self.info.token_file if self.info else None,
            "started_at": self.started_at,
            "watching": self.watcher is not None,
            "query_cache": self.ctx.query_cache.stats(),
            "cli_commands": self.cli_commands,
        }
        if self.watch_error:
            out["watch_error"] = self.watch_error
        return out
