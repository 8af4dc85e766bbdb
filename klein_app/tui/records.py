"""Plain records the screens render.

The backend converts the query and index dataclasses into these, so a screen depends on one small,
stable shape and the tests can feed fixed data without a model or an index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEARCH_MODES = ("hybrid", "vector", "text")


@dataclass(frozen=True)
class Hit:
    """One search result: the best chunk of one file."""

    path: str
    score: float
    start_line: int
    end_line: int
    chunk_index: int = 0
    text: str = ""
    snippet: str = ""
    other_hits: int = 0
    snippet_spans: tuple[tuple[int, int], ...] = ()  # matched terms in `snippet`, as character spans


@dataclass(frozen=True)
class FileRow:
    """One row of the index's `files` table."""

    path: str
    folder: str
    size: int = 0
    mtime: float = 0.0
    sha256: str = ""
    status: str = "indexed"
    skip_reason: str = ""
    n_chunks: int = 0


@dataclass(frozen=True)
class FolderRow:
    """A watched folder with what the index holds of it."""

    path: str
    files: int
    chunks: int
    skipped: int
    state: str


@dataclass(frozen=True)
class DupFile:
    path: str
    size: int = 0
    mtime: float = 0.0


@dataclass(frozen=True)
class DupGroup:
    """Files that are copies (exact) or nearly copies of each other."""

    kind: str  # "exact" | "near"
    files: tuple[DupFile, ...]
    similarity: float = 1.0

    @property
    def wasted_bytes(self) -> int:
        # Keeping the largest copy, every other copy is space a person could win back.
        sizes = sorted((f.size for f in self.files), reverse=True)
        return sum(sizes[1:])


@dataclass(frozen=True)
class ClusterRow:
    """A group of files about the same thing."""

    cluster_id: int
    label: str
    size: int
    central_path: str = ""
    paths: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class SimilarRow:
    path: str
    score: float


@dataclass(frozen=True)
class IndexStatus:
    """What the status bar shows: indexing progress when busy, index totals when idle."""

    phase: str = "starting"  # starting | idle | walk | read | embed | write | watching | error
    files_done: int = 0
    files_total: int = 0
    chunks_done: int = 0
    chunks_per_s: float = 0.0
    eta_s: float | None = None
    current: str = ""
    n_files: int = 0
    n_chunks: int = 0
    model: str = ""  # "" (not loaded) | "loading" | "ready" | "error"
    message: str = ""
    busy: bool = False
    extra: dict = field(default_factory=dict, compare=False)
