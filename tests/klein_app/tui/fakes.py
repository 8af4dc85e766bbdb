"""A backend with fixed data, so screen tests and snapshots need no model, no index and no clock."""

from __future__ import annotations

from klein_app.tui.backend import BackendError
from klein_app.tui.records import ClusterRow, DupFile, DupGroup, FileRow, Hit, SimilarRow

ROOT = "/data/notes"

FILES = [
    FileRow(f"{ROOT}/cooking/bread.md", ROOT, 2048, 0.0, "a1", "indexed", "", 4),
    FileRow(f"{ROOT}/cooking/bread copy.md", ROOT, 2048, 0.0, "a1", "indexed", "", 4),
    FileRow(f"{ROOT}/cooking/pasta.md", ROOT, 1500, 0.0, "b2", "indexed", "", 3),
    FileRow(f"{ROOT}/code/parser.py", ROOT, 5200, 0.0, "c3", "indexed", "", 9),
    FileRow(f"{ROOT}/code/lexer.py", ROOT, 4100, 0.0, "d4", "indexed", "", 7),
    FileRow(f"{ROOT}/travel/japan.md", ROOT, 3000, 0.0, "e5", "indexed", "", 5),
    FileRow(f"{ROOT}/photo.jpg", ROOT, 900_000, 0.0, "", "skipped", "binary file", 0),
    FileRow(f"{ROOT}/.env", ROOT, 120, 0.0, "", "skipped", "secret (never indexed by default)", 0),
]

HITS = [
    Hit(f"{ROOT}/cooking/bread.md", 0.912, 3, 9, 0, "Sourdough bread needs a starter.\nFeed the starter daily.", "Sourdough **bread** needs a starter.", 2),
    Hit(f"{ROOT}/cooking/pasta.md", 0.701, 1, 6, 0, "Fresh pasta: flour and eggs, knead well.", "Fresh pasta: flour and eggs", 0),
    Hit(f"{ROOT}/travel/japan.md", 0.512, 10, 14, 2, "In Kyoto the bakeries sell melon bread.", "the bakeries sell melon **bread**", 0),
]

GROUPS = [
    DupGroup("exact", (DupFile(f"{ROOT}/cooking/bread.md", 2048), DupFile(f"{ROOT}/cooking/bread copy.md", 2048)), 1.0),
    DupGroup("near", (DupFile(f"{ROOT}/code/parser.py", 5200), DupFile(f"{ROOT}/code/lexer.py", 4100)), 0.94),
]

CLUSTERS = [
    ClusterRow(0, "bread, starter, flour, pasta", 3, f"{ROOT}/cooking/bread.md",
               (f"{ROOT}/cooking/bread.md", f"{ROOT}/cooking/bread copy.md", f"{ROOT}/cooking/pasta.md")),
    ClusterRow(1, "token, parse, lexer, ast", 2, f"{ROOT}/code/parser.py", (f"{ROOT}/code/parser.py", f"{ROOT}/code/lexer.py")),
    ClusterRow(2, "kyoto, temple, train", 1, f"{ROOT}/travel/japan.md", (f"{ROOT}/travel/japan.md",)),
]


class FakeBackend:
    """Same methods as `klein_app.tui.backend.Backend`; `fail` makes every query raise."""

    def __init__(self, *, folders=(ROOT,), files=FILES, hits=HITS, groups=GROUPS, clusters=CLUSTERS, fail: str = "") -> None:
        self._folders = list(folders)
        self._files = list(files)
        self._hits = list(hits)
        self._groups = list(groups)
        self._clusters = list(clusters)
        self.fail = fail
        self.watching = False
        self.searches: list[tuple[str, str, str | None]] = []
        self.indexed: list[list[str] | None] = []
        self.thresholds: list[float] = []

    def _check(self) -> None:
        if self.fail:
            raise BackendError(self.fail)

    def open(self) -> None:
        self._check()

    def wait_ready(self, timeout: float = 60.0):
        return self

    def model(self):
        return object()

    def model_loaded(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def folders(self) -> list[str]:
        return list(self._folders)

    def add_folder(self, path: str) -> str:
        self._folders.append(path)
        return path

    def remove_folder(self, folder: str) -> None:
        self._folders.remove(folder)

    def has_index(self) -> bool:
        return bool(self._files)

    def list_files(self) -> list[FileRow]:
        self._check()
        return [f for f in self._files if any(f.path.startswith(d) for d in self._folders)]

    def totals(self) -> tuple[int, int]:
        files = [f for f in self.list_files() if f.status == "indexed"]
        return len(files), sum(f.n_chunks for f in files)

    def index(self, paths, progress):
        self.indexed.append(paths)
        return None

    def start_watcher(self, on_event) -> None:
        self.watching = True

    def stop_watcher(self, timeout: float = 30.0) -> None:
        self.watching = False

    def search(self, query: str, mode: str = "hybrid", path_glob: str | None = None, k: int = 30) -> list[Hit]:
        self._check()
        self.searches.append((query, mode, path_glob))
        words = query.lower().split()
        return [h for h in self._hits if any(w in h.text.lower() for w in words)]

    def similar(self, path: str, k: int = 15) -> list[SimilarRow]:
        self._check()
        return [SimilarRow(f.path, 0.9 - 0.1 * i) for i, f in enumerate(self._files[:4]) if f.path != path]

    def duplicates(self, threshold: float = 0.92) -> list[DupGroup]:
        self._check()
        self.thresholds.append(threshold)
        # the real query's contract: 1.0 means identical content only
        return [g for g in self._groups if threshold < 1.0 or g.kind == "exact"]

    def clusters(self, n: int | None = None) -> list[ClusterRow]:
        self._check()
        return list(self._clusters)
