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
    # text: BM25; vector: cosine; hybrid: cosine and BM25 / the query's best BM25, weighted; in vector and hybrid
    # mode half of it is the file's opening's cosine (queries/openings.py)
    score: float
    start_line: int
    end_line: int
    chunk_index: int
    text: str  # the whole best chunk
    snippet: Snippet = field(default_factory=lambda: Snippet(""))  # a window of it, matches marked
    other_hits: int = 0  # further matching chunks of the same file
    cosine: float | None = None  # exact cosine of the best chunk to the query (None: text mode without a model)
    weak: bool = False  # far from the query in meaning and missing most of its words
    copies: list[str] = field(default_factory=list)  # other files with the same bytes (copies, links), not listed

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "score": round(float(self.score), 6),
            "cosine": None if self.cosine is None else round(float(self.cosine), 6),
            "weak": self.weak,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "chunk_index": self.chunk_index,
            "text": self.text,
            "snippet": {"text": self.snippet.text, "highlights": [list(h) for h in self.snippet.highlights]},
            "other_hits": self.other_hits,
            "copies": list(self.copies),
        }

    @classmethod
    def from_json(cls, d: dict) -> SearchResult:
        """The inverse of to_json (the TUI reads the service's answers with it)."""
        snippet = d.get("snippet") or {}
        return cls(
            path=d["path"],
            score=d["score"],
            start_line=d["start_line"],
            end_line=d["end_line"],
            chunk_index=d["chunk_index"],
            text=d["text"],
            other_hits=d.get("other_hits", 0),
            cosine=d.get("cosine"),
            weak=bool(d.get("weak", False)),
            copies=list(d.get("copies", [])),
            snippet=Snippet(snippet.get("text", ""), [tuple(h) for h in snippet.get("highlights", [])]),
        )


def no_good_match(results: list[SearchResult]) -> bool:
    """True when hits came back but every one is weak: the nearest files, not matches."""
    return bool(results) and all(r.weak for r in results)


@dataclass(frozen=True)
class SimilarFile:
    path: str
    score: float  # cosine between file vectors
    n_chunks: int

    def to_json(self) -> dict:
        return {"path": self.path, "score": round(float(self.score), 6), "n_chunks": self.n_chunks}

    @classmethod
    def from_json(cls, d: dict) -> SimilarFile:
        return cls(**d)


# Two files are near-duplicates when this share of one file's text is also in the other (see queries/dupes.py).
DEFAULT_DUPLICATE_SHARE = 0.8

DuplicateKind = Literal["identical", "near-identical", "partial"]
DuplicateRelation = Literal["representative", "identical", "near-identical", "partial"]


@dataclass(frozen=True)
class DuplicateItem:
    path: str
    size: int  # bytes of the file (file level) or of the passage text (chunk level)
    mtime: float
    relation: DuplicateRelation = "representative"  # how it stands to the group's first item
    share: float = 1.0  # share of this item's text that is also in the representative
    rep_share: float = 1.0  # share of the representative's text that is also in this item
    chunk_index: int | None = None
    start_line: int | None = None
    end_line: int | None = None
    text: str | None = None  # the passage, at chunk level

    @property
    def shares_note(self) -> str:
        """How it stands to the group's first item: "first", "identical", or its shares "93% / 95%"."""
        if self.relation == "representative":
            return "first"
        if self.relation == "identical":
            return "identical"
        return f"{self.share:.0%} / {self.rep_share:.0%}"

    def to_json(self) -> dict:
        out = {
            "path": self.path,
            "size": self.size,
            "mtime": self.mtime,
            "relation": self.relation,
            "share": round(float(self.share), 4),
            "rep_share": round(float(self.rep_share), 4),
        }
        if self.chunk_index is not None:
            out.update(chunk_index=self.chunk_index, start_line=self.start_line, end_line=self.end_line, text=self.text)
        return out


@dataclass(frozen=True)
class DuplicateGroup:
    """Files (or passages) sharing most of their text with the first item, the representative."""

    kind: DuplicateKind
    level: Literal["file", "chunk"]
    items: list[DuplicateItem] = field(default_factory=list)  # the representative first
    shared: float = 1.0  # the least share of text any member has in common with the representative, either way

    @property
    def wasted_bytes(self) -> int:
        """What deleting all but the largest copy would free."""
        sizes = self.sizes
        return int(sum(sizes) - max(sizes)) if sizes else 0

    @property
    def representative(self) -> DuplicateItem | None:
        return self.items[0] if self.items else None

    @property
    def paths(self) -> list[str]:
        return [item.path for item in self.items]

    @property
    def sizes(self) -> list[int]:
        return [item.size for item in self.items]

    @property
    def mtimes(self) -> list[float]:
        return [item.mtime for item in self.items]

    @property
    def description(self) -> str:
        """One line a person can read: what kind of duplicate, and how much text is shared."""
        if self.kind == "identical":
            return "identical"
        if self.kind == "near-identical" and self.shared >= 0.995:
            return "same text in another layout or format"
        if self.kind == "near-identical":
            return f"near-identical, each shares ≥ {_floor_pct(self.shared)} of its text with the first"
        return f"partial overlap, ≥ {_floor_pct(self.shared)} of text shared with the first"

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "level": self.level,
            "description": self.description,
            "shared": round(float(self.shared), 4),
            "wasted_bytes": self.wasted_bytes,
            "items": [item.to_json() for item in self.items],
        }

    @classmethod
    def from_json(cls, d: dict) -> DuplicateGroup:
        return cls(
            kind=d["kind"],
            level=d["level"],
            similarity=d["similarity"],
            items=[DuplicateItem(**item) for item in d["items"]],
        )


def _floor_pct(x: float) -> str:
    return f"{int(x * 100 + 1e-9)}%"  # rounded down: "≥ 89%" must not claim 90


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

    @classmethod
    def from_json(cls, d: dict) -> Cluster:
        return cls(
            id=d["id"],
            terms=d["terms"],
            size=d["size"],
            central_path=d["central_path"],
            paths=d["paths"],
            cohesion=d["cohesion"],
        )


@dataclass(frozen=True)
class Clustering:
    clusters: list[Cluster]
    k: int
    chosen_by: str  # "given", "size rule" (see queries/linkage.py) or "too few files"


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
