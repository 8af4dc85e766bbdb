"""What the queries answer: plain dataclasses the CLI prints (`to_json()`, its `--json` form) and the TUI renders.

One definition each, with no numpy or LanceDB behind them, so the TUI can import them cheaply and a renamed
field fails loudly everywhere instead of silently showing zeros in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# the modes live in klein_app.search_modes (light: the argument parser needs them); re-exported here
from klein_app.search_modes import MODES as SEARCH_MODES  # noqa: F401
from klein_app.search_modes import Mode  # noqa: F401


@dataclass(frozen=True)
class Snippet:
    """A short window of a chunk; `highlights` are character spans of the query's terms in `text`."""

    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def marked(self, open_mark: str = "[", close_mark: str = "]") -> str:
        """The snippet with each highlight wrapped in markers, for plain-text output."""
        out, pos = [], 0
        for start, end in self.highlights:
            out.append(self.text[pos:start])
            out.append(f"{open_mark}{self.text[start:end]}{close_mark}")
            pos = end
        out.append(self.text[pos:])
        return "".join(out)


@dataclass(frozen=True)
class SearchResult:
    path: str
    score: float  # vector: cosine; text: BM25; hybrid: RRF scaled so 1.0 means "first in both lists"
    start_line: int
    end_line: int
    chunk_index: int
    text: str  # the whole best chunk
    snippet: Snippet = field(default_factory=lambda: Snippet(""))  # a window of it, matches marked
    other_hits: int = 0  # further matching chunks of the same file

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "score": round(float(self.score), 6),
            "start_line": self.start_line,
            "end_line": self.end_line,
            "chunk_index": self.chunk_index,
            "text": self.text,
        }


@dataclass(frozen=True)
class SimilarFile:
    path: str
    score: float  # cosine between file vectors
    n_chunks: int

    def to_json(self) -> dict:
        return {"path": self.path, "score": round(float(self.score), 6), "n_chunks": self.n_chunks}


@dataclass(frozen=True)
class DuplicateItem:
    path: str
    size: int  # bytes of the file (file level) or of the passage text (chunk level)
    mtime: float
    chunk_index: int | None = None
    start_line: int | None = None
    end_line: int | None = None
    text: str | None = None  # the passage, at chunk level

    def to_json(self) -> dict:
        out = {"path": self.path, "size": self.size, "mtime": self.mtime}
        if self.chunk_index is not None:
            out.update(chunk_index=self.chunk_index, start_line=self.start_line, end_line=self.end_line, text=self.text)
        return out


@dataclass(frozen=True)
class DuplicateGroup:
    kind: Literal["exact", "near"]
    level: Literal["file", "chunk"]
    items: list[DuplicateItem] = field(default_factory=list)
    similarity: float = 1.0  # the lowest cosine between two distinct contents of the group (1.0 when exact)

    @property
    def wasted_bytes(self) -> int:
        """What deleting all but the largest copy would free."""
        sizes = self.sizes
        return int(sum(sizes) - max(sizes)) if sizes else 0

    @property
    def paths(self) -> list[str]:
        return [item.path for item in self.items]

    @property
    def sizes(self) -> list[int]:
        return [item.size for item in self.items]

    @property
    def mtimes(self) -> list[float]:
        return [item.mtime for item in self.items]

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "level": self.level,
            "similarity": round(float(self.similarity), 6),
            "wasted_bytes": self.wasted_bytes,
            "items": [item.to_json() for item in self.items],
        }


@dataclass(frozen=True)
class Cluster:
    id: int
    terms: list[str]  # most distinctive first
    size: int
    central_path: str
    paths: list[str] = field(default_factory=list)  # closest to the centre first
    cohesion: float = 0.0  # mean cosine of the members to the centre

    @property
    def label(self) -> str:
        return ", ".join(self.terms) if self.terms else "(no words)"

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "terms": self.terms,
            "size": self.size,
            "central_path": self.central_path,
            "cohesion": round(float(self.cohesion), 6),
            "paths": self.paths,
        }


@dataclass(frozen=True)
class Clustering:
    clusters: list[Cluster]
    k: int
    chosen_by: str  # "given", "silhouette", "sqrt rule" or "too few files"


@dataclass(frozen=True)
class FileRecord:
    """One row of the index's `files` table: a file that was indexed or skipped, and why."""

    path: str
    folder: str
    size: int = 0
    mtime: float = 0.0
    sha256: str = ""
    status: str = "indexed"  # "indexed" | "skipped" | "error"
    skip_reason: str = ""
    n_chunks: int = 0

    @classmethod
    def from_row(cls, row: dict) -> FileRecord:
        return cls(
            path=row["path"],
            folder=row["folder"],
            size=int(row.get("size") or 0),
            mtime=float(row.get("mtime") or 0.0),
            sha256=row.get("sha256") or "",
            status=row.get("status") or "indexed",
            skip_reason=row.get("skip_reason") or "",
            n_chunks=int(row.get("n_chunks") or 0),
        )
