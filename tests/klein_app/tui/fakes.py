"""A backend with fixed data, so screen tests and snapshots need no model, no index and no clock."""

from __future__ import annotations

from klein_app.queries.results import (
    Cluster,
    DuplicateGroup,
    DuplicateItem,
    FileRecord,
    SearchResult,
    SimilarFile,
    Snippet,
)
from klein_app.tui.backend import BackendError

ROOT = "/data/notes"

FILES = [
    FileRecord(f"{ROOT}/cooking/bread.md", ROOT, 2048, 0.0, "a1", "indexed", "", 4),
    FileRecord(f"{ROOT}/cooking/bread copy.md", ROOT, 2048, 0.0, "a1", "indexed", "", 4),
    FileRecord(f"{ROOT}/cooking/pasta.md", ROOT, 1500, 0.0, "b2", "indexed", "", 3),
    FileRecord(f"{ROOT}/code/parser.py", ROOT, 5200, 0.0, "c3", "indexed", "", 9),
    FileRecord(f"{ROOT}/code/lexer.py", ROOT, 4100, 0.0, "d4", "indexed", "", 7),
    FileRecord(f"{ROOT}/travel/japan.md", ROOT, 3000, 0.0, "e5", "indexed", "", 5),
    FileRecord(f"{ROOT}/photo.jpg", ROOT, 900_000, 0.0, "", "skipped", "binary file", 0),
    FileRecord(f"{ROOT}/.env", ROOT, 120, 0.0, "", "skipped", "secret (never indexed by default)", 0),
]

HITS = [
    SearchResult(
        f"{ROOT}/cooking/bread.md",
        0.912,
        3,
        9,
        0,
        "Sourdough bread needs a starter.\nFeed the starter daily.",
        Snippet("Sourdough bread needs a starter.", [(10, 15)]),
        2,
    ),
    SearchResult(
        f"{ROOT}/cooking/pasta.md",
        0.701,
        1,
        6,
        0,
        "Fresh pasta: flour and eggs, knead well.",
        Snippet("Fresh pasta: flour and eggs"),
    ),
    SearchResult(
        f"{ROOT}/travel/japan.md",
        0.512,
        10,
        14,
        2,
        "In Kyoto the bakeries sell melon bread.",
        Snippet("the bakeries sell melon bread", [(24, 29)]),
    ),
]


def _dup(path: str, size: int) -> DuplicateItem:
    return DuplicateItem(path, size, 0.0)


# In the order the real query returns them (queries.dupes.group_order): most wasted bytes first.
GROUPS = [
    DuplicateGroup(
        "near-identical",
        "file",
        [
            _dup(f"{ROOT}/code/lexer.py", 4100),
            DuplicateItem(f"{ROOT}/code/parser.py", 5200, 0.0, relation="near-identical", share=0.94, rep_share=0.96),
        ],
        0.94,
    ),
    DuplicateGroup(
        "identical",
        "file",
        [
            _dup(f"{ROOT}/cooking/bread copy.md", 2048),
            DuplicateItem(f"{ROOT}/cooking/bread.md", 2048, 0.0, relation="identical"),
        ],
    ),
]

CLUSTERS = [
    Cluster(
        0,
        ["bread", "starter", "flour", "pasta"],
        3,
        f"{ROOT}/cooking/bread.md",
        [f"{ROOT}/cooking/bread.md", f"{ROOT}/cooking/bread copy.md", f"{ROOT}/cooking/pasta.md"],
    ),
    Cluster(
        1,
        ["token", "parse", "lexer", "ast"],
        2,
        f"{ROOT}/code/parser.py",
        [f"{ROOT}/code/parser.py", f"{ROOT}/code/lexer.py"],
    ),
    Cluster(2, ["kyoto", "temple", "train"], 1, f"{ROOT}/travel/japan.md", [f"{ROOT}/travel/japan.md"]),
]


class FakeBackend:
    """Same methods as `klein_app.tui.backend.Backend`; `fail` makes every query raise."""

    def __init__(
        self, *, folders=(ROOT,), files=FILES, hits=HITS, groups=GROUPS, clusters=CLUSTERS, fail: str = ""
    ) -> None:
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

    def list_files(self) -> list[FileRecord]:
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

    def search(self, query: str, mode: str = "hybrid", path_glob: str | None = None, k: int = 30) -> list[SearchResult]:
        self._check()
        self.searches.append((query, mode, path_glob))
        words = query.lower().split()
        return [h for h in self._hits if any(w in h.text.lower() for w in words)]

    def similar(self, path: str, k: int = 15) -> list[SimilarFile]:
        self._check()
        return [SimilarFile(f.path, 0.9 - 0.1 * i, f.n_chunks) for i, f in enumerate(self._files[:4]) if f.path != path]

    def duplicates(self, threshold: float | None = None) -> list[DuplicateGroup]:
        self._check()
        self.thresholds.append(threshold)
        # the real query's contract: 1.0 means identical content only
        return [g for g in self._groups if threshold < 1.0 or g.kind == "identical"]

    def clusters(self, n: int | None = None) -> list[Cluster]:
        self._check()
        return list(self._clusters)
