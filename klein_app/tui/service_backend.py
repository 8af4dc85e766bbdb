"""The TUI's backend when `klein-search serve` runs for the index: every call is a request to the service.

The service holds the model, the index and the watcher, so the TUI loads neither and starts no watcher of
its own; its first search is one HTTP request. Answers come back as the CLI's JSON and are read into the
same result types the in-process backend returns (`from_json`), so the screens cannot tell the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from klein_app.tui.backend import Backend, BackendError


class ServiceBackend(Backend):
    def __init__(self, db: str | None, client) -> None:
        super().__init__(db)
        self.client = client

    def _call(self, method: str, path: str, **kwargs) -> Any:
        from klein_app.server.client import ServiceError, ServiceUnavailable

        try:
            return self.client.request(method, path, **kwargs)
        except ServiceError as exc:
            raise BackendError(str(exc)) from exc  # keeps the service's error JSON as exc.__cause__.payload
        except (ServiceUnavailable, OSError) as exc:
            raise BackendError(
                f"the service at {self.client.info.url} stopped answering; restart klein-search"
            ) from exc

    # --- what the service does for us ----------------------------------------------------------

    def model(self) -> Any:
        return None  # the service has it loaded

    def model_loaded(self) -> bool:
        return True

    def start_watcher(self, on_event: Callable[[Any], None]) -> None:
        pass  # the service watches the folders

    def stop_watcher(self, timeout: float = 30.0) -> None:
        pass

    @property
    def watching(self) -> bool:
        return True

    # --- folders and index ---------------------------------------------------------------------

    def folders(self) -> list[str]:
        return list(self._call("GET", "/folders")["folders"])

    def add_folder(self, path: str) -> str:
        added = self._call("POST", "/folders", body={"paths": [path], "index": False})["added"]
        if not added:
            raise BackendError(f"already watched (it is inside a watched folder): {path}")
        return added[0]

    def remove_folder(self, folder: str) -> int:
        return int(self._call("DELETE", "/folders", params={"path": folder})["files_forgotten"])

    def has_index(self) -> bool:
        return self.totals()[1] > 0

    def totals(self) -> tuple[int, int]:
        counts = self._call("GET", "/counts")  # not /status: that lists every file
        return int(counts["files"]), int(counts["chunks"])

    def list_files(self):
        from klein_app.queries.results import FileRecord

        return [FileRecord.from_row(row) for row in self._call("GET", "/files")]

    def index(self, paths: list[str] | None, progress: Callable[[Any], None]) -> Any:
        from klein_app.index.indexer import IndexReport

        return IndexReport(**self._call("POST", "/index", body={"paths": paths or []}, timeout=None))

    # --- queries -------------------------------------------------------------------------------

    def search(self, query: str, mode: str = "hybrid", path_glob: str | None = None, k: int = 30):
        from klein_app.queries.results import SearchResult

        if not query.strip():
            return []
        try:
            rows = self._call("GET", "/search", params={"q": query, "mode": mode, "k": k, "path": path_glob or None})
        except BackendError as exc:
            # an empty index, or a query without words, is an empty result (as in-process)
            if getattr(exc.__cause__, "payload", {}).get("type") in ("EmptyIndexError", "EmptyQueryError"):
                return []
            raise
        return [SearchResult.from_json(row) for row in rows["results"]]

    def similar(self, path: str, k: int = 15):
        from klein_app.queries.results import SimilarFile

        return [SimilarFile.from_json(row) for row in self._call("GET", "/similar", params={"path": path, "k": k})]

    def duplicates(self, threshold: float = 0.92):
        from klein_app.queries.results import DuplicateGroup

        rows = self._call("GET", "/dupes", params={"threshold": threshold, "level": "file"})
        return [DuplicateGroup.from_json(row) for row in rows]

    def clusters(self, n: int | None = None):
        from klein_app.queries.results import Cluster

        return [Cluster.from_json(row) for row in self._call("GET", "/clusters", params={"n": n})]
