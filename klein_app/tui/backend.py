"""The TUI's one door to the index, the model and the queries.

Every method may block (LanceDB, torch) and is meant to be called from a worker thread. Heavy modules are
imported inside the methods so that importing the TUI stays cheap. Results come back as `records`, so the
screens never depend on the shapes of the query dataclasses.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from klein_app.tui.formatting import error_line
from klein_app.tui.records import ClusterRow, DupFile, DupGroup, FileRow, Hit, SimilarRow


class BackendError(Exception):
    """Something the user should read as one line (the index is missing, locked, the model failed...)."""


class Backend:
    """Wraps an `AppContext`: opened once in a worker, then shared by the screens' workers."""

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._ctx: Any = None
        self._open_error: str = ""
        self._ready = threading.Event()
        self._model_lock = threading.Lock()
        # One writer at a time: the indexer run by the app and the watcher never write together.
        self.write_lock = threading.Lock()
        self._watcher: Any = None
        self._peek: tuple[tuple[str, int], Any] | None = None

    # --- opening -------------------------------------------------------------------------------

    def open(self) -> None:
        try:
            from klein_app.context import open_context

            self._ctx = open_context(self.db)
        except Exception as exc:
            self._open_error = error_line(exc)
            raise BackendError(self._open_error) from exc
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
        # The context loads the model lazily; two workers asking at once must not load it twice.
        ctx = self.ctx
        with self._model_lock:
            return ctx.model

    def model_loaded(self) -> bool:
        ctx = self._ctx
        if ctx is None:
            return False
        loaded = getattr(ctx, "model_loaded", None)
        if callable(loaded):
            return bool(loaded())
        if loaded is not None:
            return bool(loaded)
        # Until the context says so itself: the query pair is cached once the model has loaded.
        return getattr(ctx, "_query_pair", None) is not None

    def close(self) -> None:
        self.stop_watcher()
        close = getattr(self._ctx, "close", None)
        if callable(close):
            try:
                close()
            except Exception:
                pass

    # --- settings ------------------------------------------------------------------------------

    def folders(self) -> list[str]:
        return [str(f) for f in (getattr(self.ctx.settings, "folders", None) or [])]

    def add_folder(self, path: str) -> str:
        folder = str(Path(path).expanduser().resolve())
        if not Path(folder).is_dir():
            raise BackendError(f"not a folder: {path}")
        current = self.folders()
        if folder in current:
            raise BackendError(f"already watched: {folder}")
        self._save_folders([*current, folder])
        return folder

    def remove_folder(self, folder: str) -> None:
        """Stop watching a folder and drop its rows from the index. The files on disk are left alone."""
        current = self.folders()
        if folder not in current:
            raise BackendError(f"not watched: {folder}")
        self._save_folders([f for f in current if f != folder])
        ctx = self.ctx
        from klein_app.index import indexer

        remove = getattr(indexer, "remove_folder", None)
        with self.write_lock:
            if callable(remove):
                remove(ctx, folder)
            else:
                # An index run over the remaining folders prunes rows of folders no longer watched.
                indexer.index_paths(ctx)

    def _save_folders(self, folders: list[str]) -> None:
        from klein_app.settings import save_settings

        ctx = self.ctx
        settings = ctx.settings
        kind = type(getattr(settings, "folders", []) or [])
        values = [Path(f) if _holds_paths(settings) else f for f in folders]
        new_folders = tuple(values) if kind is tuple else values
        if dataclasses.is_dataclass(settings) and getattr(type(settings), "__dataclass_params__").frozen:
            settings = dataclasses.replace(settings, folders=new_folders)
            try:
                ctx.settings = settings
            except Exception:
                object.__setattr__(ctx, "settings", settings)
        else:
            settings.folders = new_folders
        save_settings(ctx.paths, settings)

    # --- index ---------------------------------------------------------------------------------

    def _reader_store(self) -> Any:
        """The store queries read, or None when nothing was ever indexed.

        Before the model has loaded, open the active generation directly, so the Folders screen and
        the totals show at once instead of waiting for torch.
        """
        ctx = self.ctx
        if self.model_loaded():
            return ctx.store
        from klein_app.index.store import Store, active_generation

        active = active_generation(ctx.paths.data_dir)
        if not active:
            return None
        key = (str(active["fingerprint"]), int(active["dim"]))
        if self._peek is None or self._peek[0] != key:
            self._peek = (key, Store.open(ctx.paths.data_dir, key[1], key[0], create=False))
        return self._peek[1]

    def has_index(self) -> bool:
        from klein_app.index.store import active_generation

        return bool(active_generation(self.ctx.paths.data_dir))

    def list_files(self) -> list[FileRow]:
        store = self._reader_store()
        return [] if store is None else [_file_row(row) for row in store.list_files()]

    def totals(self) -> tuple[int, int]:
        """(indexed files, chunks)."""
        store = self._reader_store()
        if store is None:
            return 0, 0
        return int(store.count_files("indexed")), int(store.count_chunks())

    def index(self, paths: list[str] | None, progress: Callable[[Any], None]) -> Any:
        from klein_app.index.indexer import index_paths

        ctx = self.ctx
        with self.write_lock:
            return index_paths(ctx, paths=paths, progress=progress)

    def start_watcher(self, on_event: Callable[[Any], None]) -> None:
        from klein_app.index.watcher import Watcher

        self.stop_watcher()
        self._watcher = Watcher(self.ctx, on_event=on_event)
        self._watcher.start()

    def stop_watcher(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            try:
                watcher.stop()
            except Exception:
                pass

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    # --- queries -------------------------------------------------------------------------------

    def search(self, query: str, mode: str = "hybrid", path_glob: str | None = None, k: int = 30) -> list[Hit]:
        from klein_app.queries import search

        ctx = self.ctx
        model = self.model() if mode != "text" else _model_if_loaded(self, ctx)
        results = search(ctx.store, model, query, k=k, mode=mode, path_glob=path_glob or None)
        return [_hit(r) for r in results]

    def similar(self, path: str, k: int = 15) -> list[SimilarRow]:
        from klein_app.queries import similar

        return [_similar_row(r) for r in similar(self.ctx.store, path, k=k)]

    def duplicates(self, threshold: float = 0.92) -> list[DupGroup]:
        from klein_app.queries import duplicates

        return [_dup_group(g) for g in duplicates(self.ctx.store, threshold=threshold, level="file")]

    def clusters(self, n: int | None = None) -> list[ClusterRow]:
        from klein_app.queries import clusters

        return [_cluster_row(i, c) for i, c in enumerate(clusters(self.ctx.store, n=n))]


# --- conversions: tolerant of dicts and of dataclasses with slightly different field names -------


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, dict):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return default


def _holds_paths(settings: Any) -> bool:
    folders = getattr(settings, "folders", None) or []
    return any(isinstance(f, Path) for f in folders)


def _model_if_loaded(backend: Backend, ctx: Any) -> Any:
    # Text search needs no model: never make a person wait for it to load.
    return backend.model() if backend.model_loaded() else None


def _file_row(row: Any) -> FileRow:
    return FileRow(
        path=str(_get(row, "path", default="")),
        folder=str(_get(row, "folder", default="")),
        size=int(_get(row, "size", default=0) or 0),
        mtime=float(_get(row, "mtime", default=0.0) or 0.0),
        sha256=str(_get(row, "sha256", default="") or ""),
        status=str(_get(row, "status", default="indexed") or "indexed"),
        skip_reason=str(_get(row, "skip_reason", default="") or ""),
        n_chunks=int(_get(row, "n_chunks", default=0) or 0),
    )


def _hit(r: Any) -> Hit:
    return Hit(
        path=str(_get(r, "path", default="")),
        score=float(_get(r, "score", default=0.0) or 0.0),
        start_line=int(_get(r, "start_line", default=1) or 1),
        end_line=int(_get(r, "end_line", default=1) or 1),
        chunk_index=int(_get(r, "chunk_index", default=0) or 0),
        text=str(_get(r, "text", default="") or ""),
        snippet=str(_get(r, "snippet", default="") or ""),
        other_hits=int(_get(r, "other_hits", default=0) or 0),
    )


def _similar_row(r: Any) -> SimilarRow:
    return SimilarRow(path=str(_get(r, "path", default="")), score=float(_get(r, "score", "similarity", default=0.0)))


def _dup_file(f: Any) -> DupFile:
    if isinstance(f, (str, Path)):
        return DupFile(path=str(f))
    return DupFile(
        path=str(_get(f, "path", default="")),
        size=int(_get(f, "size", default=0) or 0),
        mtime=float(_get(f, "mtime", default=0.0) or 0.0),
    )


def _dup_group(g: Any) -> DupGroup:
    files = _get(g, "files", "members", default=None)
    if files is None:
        paths = _get(g, "paths", default=[]) or []
        sizes = _get(g, "sizes", default=None) or [0] * len(paths)
        mtimes = _get(g, "mtimes", default=None) or [0.0] * len(paths)
        files = [DupFile(str(p), int(s or 0), float(m or 0.0)) for p, s, m in zip(paths, sizes, mtimes)]
    else:
        files = [_dup_file(f) for f in files]
    kind = str(_get(g, "kind", "type", default="near") or "near")
    similarity = float(_get(g, "similarity", "score", "min_similarity", default=1.0) or 0.0)
    return DupGroup(kind="exact" if kind.startswith("exact") else "near", files=tuple(files), similarity=similarity)


def _cluster_row(i: int, c: Any) -> ClusterRow:
    paths = _get(c, "paths", "files", default=[]) or []
    paths = tuple(str(_get(p, "path", default=p)) if not isinstance(p, (str, Path)) else str(p) for p in paths)
    terms = tuple(str(t) for t in (_get(c, "terms", "top_terms", default=()) or ()))
    label = _get(c, "label", default=None) or ", ".join(terms[:4]) or f"cluster {i + 1}"
    return ClusterRow(
        cluster_id=int(_get(c, "cluster_id", "id", default=i) or 0),
        label=str(label),
        size=int(_get(c, "size", default=len(paths)) or len(paths)),
        central_path=str(_get(c, "central_path", "central_file", "medoid", default="") or ""),
        paths=paths,
        terms=terms,
    )
