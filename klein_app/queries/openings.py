"""A file's opening (its first chunk: title, NAME line, summary) as a file-level signal for ranking.

Chunk-level ranking favours long files: a 500-chunk manual or a stack of release notes has many chances to
hold one chunk close to any query, and wins over the short page that is about the query as a whole. Where a
file starts says what it is about, so a file's score blends its best chunk with how close its opening is to
the query, the way a title field counts in document search.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from klein_app.queries.filters import sql_string
from klein_app.queries.grouping import FileGroup

# Share of a file's score that comes from its opening's cosine; the rest is its best chunk's score. Chosen on
# bench/real_folder.py, vector and hybrid: 0.25 and 0.5 both beat the best chunk alone on its 42 questions and
# on its 21 two- or three-word keyword queries (hybrid MRR@10 0.658/0.770 at 0, 0.733/0.794 at 0.25,
# 0.779/0.778 at 0.5). Code files are the known cost: their opening is often a licence header.
OPENING_SHARE = 0.5
# Openings kept per store between queries (a long-lived service); 256-d float32 is 1 KiB each.
CACHE_LIMIT = 50_000
# The IN list of one read stays well below LanceDB's filter limits.
READ_GROUP = 500


@dataclass
class OpeningCache:
    """Unit opening vectors by path, valid for one version of the chunks table."""

    version: object = None
    vectors: dict[str, np.ndarray | None] = field(default_factory=dict)


def rerank(store, groups: list[FileGroup], query_vector: np.ndarray) -> list[FileGroup]:
    """The groups re-scored as (1 - OPENING_SHARE) x best-chunk score + OPENING_SHARE x opening cosine, best
    first (ties keep the chunk ranking's order). A file whose opening cannot be read keeps its best chunk's
    cosine in that place."""
    if not groups:
        return groups
    openings = opening_vectors(store, [g.path for g in groups])
    scored = []
    for order, group in enumerate(groups):
        vector = openings.get(group.path)
        best_cosine = float(group.best.get("cosine") or 0.0)
        opening = best_cosine if vector is None else float(vector @ query_vector)
        score = (1.0 - OPENING_SHARE) * float(group.score) + OPENING_SHARE * opening
        scored.append((score, order, group))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [FileGroup(g.path, g.best, score, g.others) for score, _, g in scored]


def opening_vectors(store, paths: list[str]) -> dict[str, np.ndarray | None]:
    """Unit vector of chunk 0 of each path (None where the file has none), read once per table version."""
    from klein_app.queries.vectors import vector_matrix

    cache = _cache_of(store)
    missing = [p for p in dict.fromkeys(paths) if p not in cache.vectors]
    for start in range(0, len(missing), READ_GROUP):
        group = missing[start : start + READ_GROUP]
        where = f"chunk_index = 0 AND path IN ({', '.join(sql_string(p) for p in group)})"
        table = store.chunks_table.search().where(where).select(["path", "vector"]).limit(None).to_arrow()
        vectors = vector_matrix(table)
        norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        found = dict(zip(table.column("path").to_pylist(), vectors / norms))
        if len(cache.vectors) + len(group) > CACHE_LIMIT:
            cache.vectors.clear()
        for path in group:
            cache.vectors[path] = found.get(path)
    return {p: cache.vectors.get(p) for p in paths}


def _cache_of(store) -> OpeningCache:
    version = _table_version(store.chunks_table)
    cache = store.read_cache.get("openings")
    if cache is None or version is None or cache.version != version:
        cache = OpeningCache(version=version)
        store.read_cache["openings"] = cache
    return cache


def _table_version(table):
    try:
        return table.version
    except Exception:  # a table type without versions: nothing is kept between queries
        return None
