"""Search: vector (cosine), text (LanceDB native full-text) and hybrid (a weighted sum of both scores).

Each mode ranks chunks; the ranked chunks are then grouped by file, so a result is a file with its best chunk,
a snippet of that chunk with the query's terms marked, and the number of other matching chunks in the file.
Filters on path and extension are LanceDB prefilters, applied before the top-k cut; the modified-since filter
goes through the files table (the chunks table has no mtime).

Three rules keep the answers stable:
  - every list is cut at CANDIDATE_DEPTH chunks whatever k asks for, so the top 5 of `-k 5` are the top 5 of
    `-k 30`; a deeper round, when the candidates make too few files, only appends files;
  - a chunk's vector score is the exact cosine of its stored vector, computed here: the ANN index (built past
    20k chunks) only proposes candidates, its quantised distances never reach the user;
  - hybrid adds the cosine to the BM25 score scaled by the query's best BM25, so a chunk the full-text index
    ranks first by a wide margin keeps that margin (rank fusion would give it one rank's worth).
  - in vector and hybrid mode a file's score blends its best chunk with its opening's cosine (openings.py), so
    a long file with one close chunk does not bury the file that is about the query.
Quoted phrases are required as written (phrases.py); a hit whose cosine is below WEAK_COSINE and that lacks
most of the query's words is marked weak.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

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
from klein_app.queries.fusion import weighted_score_fusion
from klein_app.queries.grouping import group_by_file
from klein_app.queries.openings import rerank as rerank_by_opening
from klein_app.queries.phrases import ParsedQuery, parse_query
from klein_app.queries.results import SEARCH_MODES, Mode, SearchResult
from klein_app.queries.snippets import WORD, find_term_spans, make_snippet, query_terms

# Chunks each mode ranks before grouping, independent of k (see the module doc); k * CANDIDATES_PER_RESULT
# when k is larger. Files often have several matching chunks, and fusion needs depth in both lists.
CANDIDATE_DEPTH = 200
CANDIDATES_PER_RESULT = 5
# Deeper rounds (when the candidates make fewer than k files) stop past this many chunks per list.
MAX_CANDIDATES = 12_800
# Share of the hybrid score that comes from the cosine; the rest is BM25 / the query's best BM25. Cosines of
# a query's candidates span ~0.1-0.2, the scaled BM25 0-1, so the cosine needs the larger share to count as
# much. Chosen on bench/real_folder.py (42 queries): 0.5-0.9 all beat rank fusion, 0.7-0.8 best.
VECTOR_SHARE = 0.7
# The full-text share counts this much more when the query holds an identifier (see `identifiers`).
IDENTIFIER_TEXT_WEIGHT = 2.0
# Below this cosine a hit that also lacks most of the query's words is a weak match. On bench/real_folder.py
# the best hit of 37 of 42 real questions lies above it, of keyboard-mash and off-topic queries none.
WEAK_COSINE = 0.46
# ...and holds fewer than this share of the query's words (stop words aside).
WEAK_TERM_SHARE = 0.5
# The model reads at most a few hundred tokens; a longer query only costs tokenizer time.
MAX_QUERY_CHARS = 2_000
# A 100 KB pasted query would make a full-text query of thousands of terms.
MAX_TEXT_TERMS = 64
# Up to this many files matching the filters become an `IN (...)` prefilter; beyond it, a regex prefilter
# (--path, --ext) and post-filtering (--since).
MAX_PREFILTER_PATHS = 2_000
# A filter that passes at least this share of the files is applied to the ranked rows instead.
BROAD_FILTER_SHARE = 0.5
_TOKEN = re.compile(r"\S+")
_CAMEL = re.compile(r"[a-z][A-Z]")

_COLUMNS = ["path", "chunk_index", "start_line", "end_line", "text", "file_sha256"]


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
    """The k files best matching `query`, best first. Raises a QueryError subclass for input the user can fix.

    `model` may be None in text mode; the hits then carry no cosine and are never marked weak.
    """
    query = check_query(query, mode)
    if k <= 0:
        return []
    check_searchable(store, model)
    parsed = parse_query(query)
    filters = build_filters(path_glob, exts, since)
    where, allowed = _resolve_filters(store, filters)
    if allowed is not None and not allowed:
        return []

    query_vector = None if model is None else _query_vector(model, parsed.text)
    limit = max(CANDIDATE_DEPTH, k * CANDIDATES_PER_RESULT)
    groups: dict[str, object] = {}
    copies: dict[str, list[str]] = {}  # a listed file -> the files with the same bytes folded into it
    by_content: dict[str, str] = {}
    while True:
        hits, exhausted = _ranked_chunks(store, parsed, mode, where, limit, query_vector)
        if allowed is not None:
            hits = [(h, s) for h, s in hits if h["path"] in allowed]
        # A deeper round only appends files: the ranking of those found already never changes.
        seen = groups.keys() | {c for cs in copies.values() for c in cs}
        fresh = [g for g in group_by_file(hits, lambda h: h["path"]) if g.path not in seen]
        if query_vector is not None and mode != "text":
            fresh = rerank_by_opening(store, fresh, query_vector)
        for group in fresh:
            # a symlinked or copied file would take a second place with the same text: it is named instead
            sha = group.best.get("file_sha256")
            if sha and sha in by_content:
                copies[by_content[sha]].append(group.path)
                continue
            if sha:
                by_content[sha] = group.path
            groups[group.path] = group
            copies[group.path] = []
        if len(groups) >= k or exhausted or limit >= MAX_CANDIDATES:
            break
        limit *= 4
    terms = query_terms(parsed.text)
    return [_result(g, query, terms, copies[g.path]) for g in list(groups.values())[:k]]


def _result(group, query: str, terms: list[str], copies: list[str]) -> SearchResult:
    best = group.best
    cosine = best.get("cosine")
    return SearchResult(
        path=group.path,
        score=float(group.score),
        start_line=int(best["start_line"]),
        end_line=int(best["end_line"]),
        chunk_index=int(best["chunk_index"]),
        text=best["text"],
        snippet=make_snippet(best["text"], query),
        other_hits=group.others,
        cosine=None if cosine is None else float(cosine),
        weak=is_weak(cosine, best["text"], terms),
        copies=sorted(copies),
    )


def is_weak(cosine: float | None, text: str, terms: list[str]) -> bool:
    """A hit is weak when its meaning is far from the query and it holds fewer than WEAK_TERM_SHARE of the
    query's words (a long question is rarely matched word for word, even by the right passage)."""
    if cosine is None or cosine >= WEAK_COSINE:
        return False
    found = {text[s:e].casefold() for s, e in find_term_spans(text, terms)}
    held = sum(any(t in f or f in t for f in found) for t in terms)
    return not terms or held < WEAK_TERM_SHARE * len(terms)


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


def _ranked_chunks(store, parsed: ParsedQuery, mode, where, limit, query_vector):
    """(chunk hits best first as (row, score), whether the lists ran out before `limit`)."""
    # In hybrid mode an identifier in the query must appear in a full-text hit, and that ranking counts
    # double: "ERR_4711" should find the file that says ERR_4711, not the ones that merely say ERR_4712.
    must = identifiers(parsed.text)[:8] if mode == "hybrid" else []
    must += list(parsed.phrases)
    if mode == "text":
        text_hits = text_chunks(
            store, parsed.text, limit=limit, where=where, required=True, must=must, query_vector=query_vector
        )
        return _phrase_filter(text_hits, parsed), len(text_hits) < limit
    if mode == "vector":
        vector_hits = vector_chunks(store, query_vector, limit=limit, where=where)
        if parsed.phrases:
            # chunks holding the phrase may lie past the vector depth: the full-text index finds them
            extra = text_chunks(store, parsed.text, limit=limit, where=where, must=must, query_vector=query_vector)
            vector_hits = _by_cosine(_union(vector_hits, extra))
        return _phrase_filter(vector_hits, parsed), len(vector_hits) < limit
    # the full-text search runs beside the vector search (LanceDB releases the GIL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(
            text_chunks, store, parsed.text, limit=limit, where=where, must=must, query_vector=query_vector
        )
        vector_hits = vector_chunks(store, query_vector, limit=limit, where=where)
        text_hits = pending.result()
    exhausted = len(vector_hits) < limit and len(text_hits) < limit
    text_weight = IDENTIFIER_TEXT_WEIGHT if identifiers(parsed.text) else 1.0
    fused = fuse(vector_hits, text_hits, text_weight=text_weight)
    return _phrase_filter(fused, parsed), exhausted


def _query_vector(model, query: str) -> np.ndarray:
    vector = np.asarray(model.encode([query[:MAX_QUERY_CHARS]])[0], dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _phrase_filter(hits, parsed: ParsedQuery):
    return [(h, s) for h, s in hits if parsed.matches(h["text"])] if parsed.phrases else hits


def _union(first, second):
    seen = {_key(h) for h, _ in first}
    return first + [(h, s) for h, s in second if _key(h) not in seen]


def _by_cosine(hits):
    return sorted(((h, h["cosine"]) for h, _ in hits), key=lambda hs: -hs[1])


def fuse(vector_hits, text_hits, *, text_weight: float = 1.0) -> list[tuple[dict, float]]:
    """Hybrid ranking of chunk hits: VECTOR_SHARE x cosine + the rest x BM25 / best BM25, in [0, 1].

    Every hit carries its exact cosine (`row["cosine"]`), full-text hits included, so a chunk found by only
    one list is still scored on both sides; a chunk the full-text list lacks scores 0 there.
    """
    rows = {}
    for hit, _ in vector_hits + text_hits:
        rows.setdefault(_key(hit), hit)
    cosines = {key: max(0.0, float(hit.get("cosine") or 0.0)) for key, hit in rows.items()}
    best_bm25 = max((s for _, s in text_hits), default=0.0)
    bm25 = {_key(h): s / best_bm25 for h, s in text_hits} if best_bm25 > 0 else {}
    fused = weighted_score_fusion([cosines, bm25], weights=[VECTOR_SHARE, (1.0 - VECTOR_SHARE) * text_weight])
    return [(rows[key], score) for key, score in fused]


def vector_chunks(store, query_vector, *, limit: int, where: str | None = None) -> list[tuple[dict, float]]:
    """Chunks by exact cosine similarity to a unit query vector, best first.

    The ANN index, once built, only chooses the candidates: its distances come from int8-quantised vectors,
    so each candidate is scored again from its stored float vector, and the list re-sorted.
    """
    q = store.chunks_table.search(query_vector, vector_column_name="vector").distance_type("cosine")
    q = ann.tune(q)
    if where:
        q = q.where(where, prefilter=True)
    table = q.select([*_COLUMNS, "vector"]).limit(limit).to_arrow()
    return _by_cosine([(row, 0.0) for row in _with_cosines(table, query_vector)])


def _with_cosines(table, query_vector) -> list[dict]:
    """The rows of `table` without their vectors, each with `cosine` to the unit query vector."""
    from klein_app.queries.vectors import vector_matrix

    if query_vector is None:
        return table.drop_columns(["vector"]).to_pylist() if "vector" in table.column_names else table.to_pylist()
    vectors = vector_matrix(table)
    norms = np.maximum(np.linalg.norm(vectors, axis=1), 1e-12) if len(vectors) else np.ones(0, np.float32)
    cosines = (vectors @ query_vector) / norms
    rows = table.drop_columns(["vector"]).to_pylist()
    for row, cosine in zip(rows, cosines):
        row["cosine"] = float(cosine)
    return rows


def text_chunks(
    store,
    query: str,
    *,
    limit: int,
    where: str | None = None,
    required: bool = False,
    must: list[str] | None = None,
    query_vector: np.ndarray | None = None,
) -> list[tuple[dict, float]]:
    """Chunks by BM25 over the native full-text index, best first; with `must`, only chunks holding every
    word of each of those strings; with `query_vector`, each row also gets its exact `cosine`.

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
    columns = [*_COLUMNS, "_score"] + (["vector"] if query_vector is not None else [])
    try:
        table = q.select(columns).limit(limit).to_arrow()
    except ValueError as exc:
        if "INVERTED index" not in str(exc):
            raise
        if required:
            raise QueryError("the full-text index is not built yet; run `klein-search index`") from None
        return []
    return [(row, float(row.pop("_score"))) for row in _with_cosines(table, query_vector)]


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
