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

# Share of a file's score that comes from its opening's cosine; the rest is its best chunk's score. Any share
# from 0.25 to 0.5 beats the best chunk alone (hybrid MRR@10 on bench/real_folder.py's questions: 0.658 at 0,
# 0.733 at 0.25, 0.779 at 0.5, klein-v1). Re-chosen for klein-v2 on a second tree that is not the benchmark's
# (bench/real_folder_dev.json: 0.3 / 0.4 / 0.5 -> hybrid MRR@10 0.809 / 0.825 / 0.810 on its questions, 0.903 on
# its keywords at all three), then checked on the benchmark (0.795 / 0.820 / 0.811). Code files are the known
# cost: their opening is often a licence header.
OPENING_SHARE = 0.4
# Openings kept per store between queries (a long-lived service); 256-d float32 is 1 KiB each.
CACHE_LIMIT = 50_000
# The IN list of one read stays well below LanceDB's filter limits.
READ_GROUP = 500


@dataclass
class OpeningCache:
    """Unit opening vectors by path, each kept with the content hash of the file it was read for.

    An entry stays right for as long as its file's bytes do, whatever else is written to the index, so a
    service that watches folders keeps its cache across writes; a file rewritten (new hash) is read again.
    Re-chunking changes chunk 0 without changing the bytes: the cache holds for one chunking only.
    """

    chunking: object = None
    vectors: dict[str, tuple[str, np.ndarray | None]] = field(default_factory=dict)


def rerank(store, groups: list[FileGroup], query_vector: np.ndarray) -> list[FileGroup]:
    """The groups re-scored as (1 - OPENING_SHARE) x best-chunk score + OPENING_SHARE x opening cosine, best
    first (ties keep the chunk ranking's order). A file whose opening cannot be read keeps its best chunk's
    cosine in that place."""
    if not groups:
        return groups
    openings = opening_vectors(store, {g.path: g.best.get("file_sha256") for g in groups})
    scored = []
    for order, group in enumerate(groups):
        vector = openings.get(group.path)
        best_cosine = float(group.best.get("cosine") or 0.0)
        opening = best_cosine if vector is None else float(vector @ query_vector)
        score = (1.0 - OPENING_SHARE) * float(group.score) + OPENING_SHARE * opening
        scored.append((score, order, group))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [FileGroup(g.path, g.best, score, g.others) for score, _, g in scored]


def opening_vectors(store, files: dict[str, str | None]) -> dict[str, np.ndarray | None]:
    """Unit vector of chunk 0 of each path (None where the file has none), given each path's content hash as
    the chunks table holds it; read from the index only for files the cache does not hold at that hash."""
    cache = _cache_of(store)
    out: dict[str, np.ndarray | None] = {}
    missing = []
    for path, sha in files.items():
        entry = cache.vectors.get(path)
        if sha and entry is not None and entry[0] == sha:
            out[path] = entry[1]
        else:
            missing.append(path)
    found: dict[str, tuple[str, np.ndarray]] = {}
    for start in range(0, len(missing), READ_GROUP):
        group = missing[start : start + READ_GROUP]
        found.update(_read_openings(store, f"chunk_index = 0 AND path IN ({', '.join(sql_string(p) for p in group)})"))
    if len(cache.vectors) + len(missing) > CACHE_LIMIT:
        cache.vectors.clear()
    for path in missing:
        sha, vector = found.get(path, (files[path], None))
        if sha and sha == files[path]:  # kept only for the bytes the hit was ranked on
            cache.vectors[path] = (sha, vector)
        out[path] = vector
    return out


def warm(store) -> int:
    """Read every file's opening into the cache at once (a service, before its first query; one scan costs
    about what ten per-query reads do). Skipped past CACHE_LIMIT files; returns how many were read."""
    if store.files_table.count_rows() > CACHE_LIMIT:
        return 0
    cache = _cache_of(store)
    cache.vectors.update(_read_openings(store, "chunk_index = 0"))
    return len(cache.vectors)


def _read_openings(store, where: str) -> dict[str, tuple[str, np.ndarray]]:
    from klein_app.queries.vectors import vector_matrix

    columns = ["path", "file_sha256", "vector"]
    table = store.chunks_table.search().where(where).select(columns).limit(None).to_arrow()
    vectors = vector_matrix(table)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    paths, shas = table.column("path").to_pylist(), table.column("file_sha256").to_pylist()
    return {p: (s, v) for p, s, v in zip(paths, shas, vectors)}


def _cache_of(store) -> OpeningCache:
    chunking = store.read_meta().get("chunking")
    cache = store.read_cache.get("openings")
    if cache is None or cache.chunking != chunking:
        cache = OpeningCache(chunking=chunking)
        store.read_cache["openings"] = cache
    return cache
