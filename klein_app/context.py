"""AppContext: settings, paths, the model and the index, loaded lazily and shared by CLI and TUI.

Public API:
    open_context(db=None) -> AppContext       reads settings; loads nothing heavy yet
    ctx.paths, ctx.settings
    ctx.model, ctx.store      the pair queries use: the store was built by exactly this model (loads the model)
    ctx.reader_store()        the store queries read, WITHOUT loading the model: the active generation opened
                              directly (the loaded query pair's store when that is current); None when nothing
                              was ever indexed. The one answer to "which store do queries read".
    ctx.index_model, ctx.index_store
                              the pair the indexer writes: the configured model and its generation
    ctx.open_index()          load the indexer's pair now: (index_model, index_store)
    ctx.loaded_index_store    the indexer's store if opened already, else None (never opens one)
    ctx.forget_index_store()  drop the cached indexer store (after its folder was moved aside)
    ctx.writer_state          this context's writer-lock state (see klein_app.index.lock)
    ctx.model_loaded          whether .model is loaded already (a cheap check; never loads)
    ctx.query_encoder()       what embeds queries: the numpy encoder of the model that built the active index
                              (klein_model.load_query_encoder: no torch, so a cold search answers in seconds)
    ctx.refresh()             forget the cached query pair (after a blue-green swap or a settings change)
    ctx.save_settings()

Normally both pairs are the same objects. After the configured model changes, the index for the
new model is built beside the old one (blue-green): until the indexer finishes and swaps, queries
keep using the old model and its index, so results never mix vectors of two models.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from klein_app.settings import Paths, Settings, load_settings, resolve_paths, save_settings

log = logging.getLogger(__name__)


class AppContext:
    def __init__(self, paths: Paths, settings: Settings, *, model=None):
        """`model`: an already loaded model for `settings.model` (tests share one), else loaded on first use."""
        self.paths = paths
        self.settings = settings
        self._lock = threading.RLock()
        self._index_model = model
        self._reader = None  # (active stamp, Store) opened without the model
        self._writer_state = None
        self._index_store = None
        self._query_pair = None
        self._active_stamp = None
        self._query_encoder = None

    @property
    def data_dir(self) -> Path:
        return self.paths.data_dir

    # --- the indexer's pair ------------------------------------------------------------------

    @property
    def index_model(self):
        with self._lock:
            if self._index_model is None:
                from klein_app.index.deferred_model import load_index_model

                self._index_model = load_index_model(self.settings.model)
            return self._index_model

    @property
    def index_store(self):
        with self._lock:
            if self._index_store is None:
                from klein_app.index.store import Store

                m = self.index_model
                self._index_store = Store.open(self.paths.data_dir, m.dim, m.fingerprint)
            return self._index_store

    def open_index(self):
        """(model, store) of the indexer, loaded now, so their errors show before any work starts."""
        return self.index_model, self.index_store

    @property
    def loaded_index_store(self):
        return self._index_store

    def forget_index_store(self) -> None:
        with self._lock:
            self._index_store = None
            self._query_pair = None  # it may have been the query pair's store too

    @property
    def writer_state(self):
        with self._lock:
            if self._writer_state is None:
                from klein_app.index.lock import WriterState

                self._writer_state = WriterState()
            return self._writer_state

    # --- the query pair ----------------------------------------------------------------------

    @property
    def model(self):
        return self._pair()[0]

    @property
    def store(self):
        return self._pair()[1]

    def _pair(self):
        with self._lock:
            # another process may have swapped generations since: one stat tells
            stamp = self._active_stamp_now()
            if self._query_pair is None or stamp != self._active_stamp:
                self._query_pair = self._resolve_query_pair()
                self._active_stamp = stamp
            return self._query_pair

    def reader_store(self):
        """The store queries read, opened without loading the model; None when nothing was ever indexed.

        Raises StoreError (a UserError) when the active generation exists but cannot be opened."""
        from klein_app.index.store import Store

        with self._lock:
            stamp = self._active_stamp_now()
            if stamp is None:
                # no pointer (active.json deleted, or an index written by other tools): open_active finds the
                # generation on disk; the index folder's own stamp says when it must look again, so a service
                # does not reopen the tables on every request
                stamp = self._index_dir_stamp()
                if stamp is None:
                    return None
            elif self._query_pair is not None and stamp == self._active_stamp:
                return self._query_pair[1]
            if self._reader is None or self._reader[0] != stamp:
                self._reader = (stamp, Store.open_active(self.paths.data_dir))
            return self._reader[1]

    def _active_stamp_now(self):
        from klein_app.index.store import ACTIVE_FILE, INDEX_DIR

        try:
            st = (self.paths.data_dir / INDEX_DIR / ACTIVE_FILE).stat()
            return (st.st_mtime_ns, st.st_ino, st.st_size)
        except OSError:
            return None

    def _index_dir_stamp(self):
        from klein_app.index.store import INDEX_DIR

        try:
            st = (self.paths.data_dir / INDEX_DIR).stat()
            return ("no pointer", st.st_mtime_ns, st.st_ino)
        except OSError:
            return None

    def _resolve_query_pair(self):
        from klein_app.index.store import Store, active_generation

        target = self.index_model
        active = active_generation(self.paths.data_dir)
        if active is None or (active.get("fingerprint"), active.get("dim")) == (target.fingerprint, target.dim):
            return target, self.index_store
        # The configured model changed and its index is not finished: keep answering from the
        # old generation with the model that built it, when both are still there.
        from klein_app.index.store import StoreError
        from klein_model.errors import ModelLoadError

        try:
            import klein_model

            old_model = klein_model.load(active.get("model"))
            if old_model.fingerprint == active.get("fingerprint"):
                return old_model, Store.open(self.paths.data_dir, old_model.dim, old_model.fingerprint, create=False)
            log.info("the active index's model %s changed since it was built; using the new index", active.get("model"))
        except (ModelLoadError, StoreError) as exc:
            # the old model or index is gone: the new (partial) index is all there is
            log.info("the active index cannot be read with its own model (%s); using the new index", exc)
        return target, self.index_store

    @property
    def model_loaded(self) -> bool:
        """Whether the query model is already loaded (never loads it)."""
        return self._query_pair is not None

    def query_encoder(self):
        with self._lock:
            from klein_app.index.store import active_generation

            active = active_generation(self.paths.data_dir) or {}
            fingerprint = active.get("fingerprint")
            current = self._query_encoder
            if current is not None and (fingerprint is None or current.fingerprint == fingerprint):
                return current
            import klein_model

            encoder = klein_model.load_query_encoder(active.get("model") if fingerprint else self.settings.model)
            if fingerprint and encoder.fingerprint != fingerprint and self.settings.model != active.get("model"):
                encoder = klein_model.load_query_encoder(self.settings.model)
            self._query_encoder = self.wrap_query_encoder(encoder)
            return self._query_encoder

    @property
    def query_encoder_loaded(self) -> bool:
        """Whether query_encoder() would answer without loading (a cheap check)."""
        return self._query_encoder is not None

    def wrap_query_encoder(self, encoder):
        """Hook for the service (its embedding cache); the CLI and the TUI use the encoder as it is."""
        return encoder

    def refresh(self) -> None:
        with self._lock:
            self._query_pair = None
            self._reader = None

    # --- settings ----------------------------------------------------------------------------

    def save_settings(self) -> None:
        save_settings(self.paths, self.settings)

    def reload_settings(self) -> None:
        with self._lock:
            old_model = self.settings.model
            self.settings = load_settings(self.paths)
            if self.settings.model != old_model:
                self._index_model = None
                self._index_store = None
                self._query_pair = None
                self._reader = None


def open_context(db: str | None = None) -> AppContext:
    paths = resolve_paths(db)
    return AppContext(paths, load_settings(paths))
