"""Similar files ("more like this"): the files whose vectors are closest to a given file's vector.

A file vector is the normalised mean of its chunk vectors. On a small index all file vectors are compared
exactly; on a large one the chunk ANN index proposes candidate files first, and only their vectors are built.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa

from klein_app.index import ann
from klein_app.queries.errors import NOTHING_INDEXED, EmptyIndexError, UnknownFileError
from klein_app.queries.filters import sql_string
from klein_app.queries.neighbours import top_k
from klein_app.queries.results import SimilarFile
from klein_app.queries.vectors import FILE_VECTOR_COLUMNS, file_means, file_vectors, read_chunks

# Below this many chunks, building every file vector is cheaper than a round of ANN queries.
EXACT_BELOW_CHUNKS = 50_000
CANDIDATE_CHUNKS_PER_RESULT = 30
_IN_BATCH = 400


def similar(store, path: str, *, k: int = 10) -> list[SimilarFile]:
    """The k files most similar in meaning to `path` (which must be indexed), best first."""
    if store.chunks_table.count_rows() == 0:
        raise EmptyIndexError(NOTHING_INDEXED)
    path = resolve_indexed_path(store, path)
    if k <= 0:
        return []
    query = file_means(read_chunks(store, FILE_VECTOR_COLUMNS, f"path = {sql_string(path)}"))[1][0]
    if store.chunks_table.count_rows() < EXACT_BELOW_CHUNKS:
        files = file_vectors(store)
        paths, matrix, counts = files.paths, files.matrix, files.n_chunks
    else:
        paths, matrix, counts = _candidate_vectors(store, query, path, k)
    ranked = top_k(query, matrix, k + 1)
    out = [
        SimilarFile(path=paths[i], score=min(1.0, score), n_chunks=int(counts[i]))
        for i, score in ranked
        if paths[i] != path
    ]
    return out[:k]


def resolve_indexed_path(store, path: str) -> str:
    """The indexed form of a user-given path (as given, or made absolute and resolved)."""
    candidates = [str(path)]
    resolved = os.path.realpath(os.path.expanduser(str(path)))
    if resolved not in candidates:
        candidates.append(resolved)
    for candidate in candidates:
        if store.chunks_table.count_rows(f"path = {sql_string(candidate)}") > 0:
            return candidate
    raise UnknownFileError(f"not in the index (or has no text): {path}")


def _candidate_vectors(store, query: np.ndarray, path: str, k: int):
    """File vectors of the files owning the chunks nearest to `query`."""
    limit = max(200, k * CANDIDATE_CHUNKS_PER_RESULT)
    q = ann.tune(store.chunks_table.search(query, vector_column_name="vector").distance_type("cosine"))
    hits = q.where(f"path != {sql_string(path)}", prefilter=True).select(["path", "_distance"]).limit(limit)
    candidates = list(dict.fromkeys(hits.to_arrow().column("path").to_pylist()))
    if not candidates:
        return [], np.zeros((0, len(query)), np.float32), np.zeros(0, int)
    tables = [
        read_chunks(
            store, FILE_VECTOR_COLUMNS, f"path IN ({', '.join(sql_string(p) for p in candidates[i : i + _IN_BATCH])})"
        )
        for i in range(0, len(candidates), _IN_BATCH)
    ]
    return file_means(pa.concat_tables(tables))
