"""Search: vector (cosine), text (LanceDB native full-text) and hybrid (reciprocal-rank fusion of both).

Each mode ranks chunks; the ranked chunks are then grouped by file, so a result is a file with its best chunk,
a snippet of that chunk with the query's terms marked, and the number of other matching chunks in the file.
Filters on path and extension are LanceDB prefilters, applied before the top-k cut; the modified-since filter
goes through the files table (the chunks table has no mtime).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from klein_app.index import ann
from klein_app.queries.errors import (
    NOTHING_INDEXED,
    EmptyIndexError,
    EmptyQueryError,
    ModelMismatchError,
    QueryError,
    QueryUsageError,
)
from klein_app.queries.filters import Filters, build_filters, sql_string
from klein_app.queries.fusion import RRF_K, reciprocal_rank_fusion
from klein_app.queries.grouping import group_by_file
from klein_app.queries.results import SEARCH_MODES, Mode, SearchResult
from klein_app.queries.snippets import WORD, make_snippet

# Each mode fetches this many chunks per wanted file before grouping: files often have several matching
# chunks, and fusion needs some depth in both lists to work.
CANDIDATES_PER_RESULT = 5
MIN_CANDIDATES = 50
# The model reads at most a few hundred tokens; a longer query only costs tokenizer time.
MAX_QUERY_CHARS = 2_000
# A 100 KB pasted query would make a full-text query of thousands of terms.
MAX_TEXT_TERMS = 64
# Up to this many files matching the filters become an `IN (...)` prefilter; beyond it, a regex prefilter
# (--path, --ext) and post-filtering (--since).
MAX_PREFILTER_PATHS = 2_000
# A filter that passes at least this share of the files is applied to the ranked rows instead.
BROAD_FILTER_SHARE = 0.5
# Weight of the full-text ranking in hybrid fusion when the query holds an identifier (see `identifiers`).
IDENTIFIER_TEXT_WEIGHT = 2.0
_TOKEN = re.compile(r"\S+")
_CAMEL = re.compile(r"[a-z][A-Z]")

_COLUMNS = ["path", "chunk_index", "start_line", "end_line", "text"]


def search(
    store,
    model,
    query: str,
    *,
    k: int = 10,
    mode: Mode = "hybrid",
    path_glob: str | None = None,
    exts: str | list[str] | None = None,
    since=None,
) -> list[SearchResult]:
    """The k files best matching `query`, best first. Raises a QueryError subclass for input the user can fix."""
    query = check_query(query, mode)
    if k <= 0:
        return []
    check_searchable(store, model)
    filters = build_filters(path_glob, exts, since)
    where, allowed = _resolve_filters(store, filters)
    if allowed is not None and not allowed:
        return []

    # Fetch deeper while the candidates make fewer than k files: one long file can fill the first round,
    # and post-filtering (--since over many files) can empty it.
    limit = max(k * CANDIDATES_PER_RESULT, MIN_CANDIDATES)
    query_vector = None
    while True:
        ranked, exhausted = _ranked_chunks(store, model, query, mode, where, limit, query_vector)
        if mode != "text" and query_vector is None:
            query_vector = ranked.query_vector
        hits = ranked.hits if allowed is None else [(h, s) for h, s in ranked.hits if h["path"] in allowed]
        groups = group_by_file(hits, lambda h: h["path"])
        if len(groups) >= k or exhausted or limit >= 64 * k + 1_000:
            break
        limit *= 4
    return [
        SearchResult(
            path=g.path,
            score=float(g.score),
            start_line=int(g.best["start_line"]),
            end_line=int(g.best["end_line"]),
            chunk_index=int(g.best["chunk_index"]),
            text=g.best["text"],
            snippet=make_snippet(g.best["text"], query),
            other_hits=g.others,
        )
        for g in groups[:k]
    ]


def check_query(query: str | None, mode: str = "hybrid") -> str:
    """The query stripped, or a QueryUsageError; cheap (no model, no index), so callers check before loading."""
    if mode not in SEARCH_MODES:
        raise QueryUsageError(f"unknown search mode {mode!r} (choose {', '.join(SEARCH_MODES)})")
    query = (query or "").strip()
    if not query:
        raise EmptyQueryError("the query is empty")
    if not WORD.search(query):
        raise EmptyQueryError("the query has no words or numbers to search for")
    return query


def check_searchable(store, model) -> None:
    """Raise when the index is empty or was built by another model."""
    if store.chunks_table.count_rows() == 0:
        raise EmptyIndexError(NOTHING_INDEXED)
    if model is not None and getattr(store, "fingerprint", None) != getattr(model, "fingerprint", None):
        raise ModelMismatchError(
            "the index was built with another model; re-index with the current model (`klein-search index`)"
        )


@dataclass
class _Ranked:
    hits: list[tuple[dict, float]]
    query_vector: np.ndarray | None


def _ranked_chunks(store, model, query, mode, where, limit, query_vector):
    # In hybrid mode an identifier in the query must appear in a full-text hit, and that ranking counts
    # double: "ERR_4711" should find the file that says ERR_4711, not the ones that merely say ERR_4712.
    must = identifiers(query)[:8] if mode == "hybrid" else []
    if mode == "text":
        text_hits = text_chunks(store, query, limit=limit, where=where, required=True)
        return _Ranked(text_hits, None), len(text_hits) < limit
    if mode == "vector":
        query_vector = _query_vector(model, query, query_vector)
        vector_hits = vector_chunks(store, query_vector, limit=limit, where=where)
        return _Ranked(vector_hits, query_vector), len(vector_hits) < limit
    # the full-text search needs no query vector, so it runs beside the embedding and the vector search
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(text_chunks, store, query, limit=limit, where=where, must=must)
        query_vector = _query_vector(model, query, query_vector)
        vector_hits = vector_chunks(store, query_vector, limit=limit, where=where)
        text_hits = pending.result()
    exhausted = len(vector_hits) < limit and len(text_hits) < limit
    text_weight = IDENTIFIER_TEXT_WEIGHT if must else 1.0
    return _Ranked(fuse(vector_hits, text_hits, text_weight=text_weight), query_vector), exhausted


def _query_vector(model, query: str, known: np.ndarray | None) -> np.ndarray:
    if known is not None:
        return known
    return np.asarray(model.encode([query[:MAX_QUERY_CHARS]])[0], dtype=np.float32)


def fuse(vector_hits, text_hits, *, k: int = RRF_K, text_weight: float = 1.0) -> list[tuple[dict, float]]:
    """RRF of two chunk rankings, scores scaled to [0, 1] (1.0: ranked first by both)."""
    rows = {}
    for hit, _ in vector_hits + text_hits:
        rows.setdefault(_key(hit), hit)
    fused = reciprocal_rank_fusion(
        [[_key(h) for h, _ in vector_hits], [_key(h) for h, _ in text_hits]], k=k, weights=[1.0, text_weight]
    )
    best_possible = (1.0 + text_weight) / (k + 1)
    return [(rows[key], score / best_possible) for key, score in fused]


def vector_chunks(store, query_vector, *, limit: int, where: str | None = None) -> list[tuple[dict, float]]:
    """Chunks by cosine similarity to a unit query vector, best first."""
    q = store.chunks_table.search(query_vector, vector_column_name="vector").distance_type("cosine")
    q = ann.tune(q)
    if where:
        q = q.where(where, prefilter=True)
    rows = q.select([*_COLUMNS, "_distance"]).limit(limit).to_arrow().to_pylist()
    return [(row, 1.0 - float(row.pop("_distance"))) for row in rows]


def text_chunks(
    store,
    query: str,
    *,
    limit: int,
    where: str | None = None,
    required: bool = False,
    must: list[str] | None = None,
) -> list[tuple[dict, float]]:
    """Chunks by BM25 over the native full-text index, best first; with `must`, only chunks holding every
    word of each of those strings.

    Without a full-text index (it is built after the first batch) text mode says so; hybrid quietly uses
    the vector ranking alone.
    """
    terms = WORD.findall(query)[:MAX_TEXT_TERMS]
    if not terms:
        return []
    text_query = " ".join(terms)
    if must:
        from lancedb.query import BooleanQuery, FullTextOperator, MatchQuery, Occur

        text_query = BooleanQuery(
            [(Occur.SHOULD, MatchQuery(text_query, "text"))]
            + [(Occur.MUST, MatchQuery(" ".join(WORD.findall(m)), "text", operator=FullTextOperator.AND)) for m in must]
        )
    q = store.chunks_table.search(text_query, query_type="fts")
    if where:
        q = q.where(where, prefilter=True)
    try:
        rows = q.select([*_COLUMNS, "_score"]).limit(limit).to_arrow().to_pylist()
    except ValueError as exc:
        if "INVERTED index" not in str(exc):
            raise
        if required:
            raise QueryError("the full-text index is not built yet; run `klein-search index`") from None
        return []
    return [(row, float(row.pop("_score"))) for row in rows]


def identifiers(query: str) -> list[str]:
    """Tokens that look like identifiers (ERR_4711, getUserName, v2beta, x86_64): letters mixed with digits,
    inner underscores or camelCase. An embedding model blurs them; the full-text index matches them exactly.
    """
    out = []
    for token in _TOKEN.findall(query):
        token = token.strip(".,;:!?()[]{}<>'\"`")
        has_alpha = any(c.isalpha() for c in token)
        if not has_alpha or not WORD.search(token):
            continue
        if any(c.isdigit() for c in token) or "_" in token.strip("_") or _CAMEL.search(token):
            if token not in out:
                out.append(token)
    return out


def _key(hit: dict) -> tuple[str, int]:
    return hit["path"], int(hit["chunk_index"])


def _resolve_filters(store, filters: Filters) -> tuple[str | None, set[str] | None]:
    """(chunk `where`, set of allowed paths or None).

    The filters are first matched against the files table (one row per file, not per chunk). When few files
    match, the chunk query gets a plain `path IN (...)` prefilter: LanceDB then ranks only those files' rows
    instead of evaluating a regex over every chunk.
    """
    if filters.empty:
        return None, None
    clauses = [c for c in (filters.where, None if filters.since is None else f"mtime >= {float(filters.since)!r}") if c]
    files = store.files_table.search().where(" AND ".join(clauses)).select(["path"]).limit(None).to_arrow()
    paths = set(files.column("path").to_pylist())
    if not paths:
        return filters.where, set()
    if len(paths) <= MAX_PREFILTER_PATHS:
        return f"path IN ({', '.join(sql_string(p) for p in sorted(paths))})", None
    if len(paths) >= BROAD_FILTER_SHARE * store.files_table.count_rows():
        # most files pass: ranking everything and dropping the few others beats a regex over every chunk
        return None, paths
    # many files, not most: the path/ext regex stays a prefilter, and --since is checked on the ranked rows
    return filters.where, (paths if filters.since is not None else None)


def count_matching_files(store, *, path_glob=None, exts=None, since=None) -> int:
    """How many indexed files pass the filters (to tell "no match" from "filter matches nothing")."""
    filters = build_filters(path_glob, exts, since)
    clauses = [c for c in (filters.where, None if filters.since is None else f"mtime >= {filters.since!r}") if c]
    return store.files_table.count_rows(" AND ".join(clauses) if clauses else None)
