"""Reading vectors out of the index: chunk vectors as a matrix, and file vectors built from them.

A file vector is the normalised mean of its chunk vectors, each weighted by its length in characters: one
point per file for similar files, duplicate files and clusters. Weighting keeps a short tail chunk, or a
chunk boundary moved when sections are reordered, from pulling the file's vector as much as a full chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from klein_app.queries.neighbours import normalise_rows


@dataclass(frozen=True)
class FileVectors:
    paths: list[str]  # sorted, so everything built on them is deterministic
    matrix: np.ndarray  # (len(paths), dim) float32, unit rows
    n_chunks: np.ndarray  # chunks per file


def read_chunks(store, columns: list[str], where: str | None = None):
    """Chosen columns of the chunks table (all rows, or those matching `where`) as a pyarrow Table."""
    query = store.chunks_table.search()
    if where:
        query = query.where(where)
    return query.select(columns).limit(None).to_arrow()


def vector_matrix(table, column: str = "vector") -> np.ndarray:
    """A fixed-size-list column as an (n, dim) float32 array."""
    col = table.column(column)
    if table.num_rows == 0:
        size = getattr(col.type, "list_size", 0) or 0
        return np.zeros((0, size), dtype=np.float32)
    flat = col.combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(table.num_rows, -1).astype(np.float32, copy=False)


def mean_by_key(
    keys: list[str], vectors: np.ndarray, weights: np.ndarray | None = None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(sorted distinct keys, normalised (weighted) mean vector per key, rows per key)."""
    if len(keys) == 0:
        return [], np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), np.float32), np.zeros(0, int)
    uniq, inverse = np.unique(np.asarray(keys, dtype=object), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=len(uniq))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rows = vectors.astype(np.float64)
    if weights is not None:
        rows = rows * np.maximum(np.asarray(weights, np.float64), 1.0)[:, None]
    sums = np.add.reduceat(rows[order], starts, axis=0)
    return [str(u) for u in uniq], normalise_rows(sums), counts


# what file_means needs from the chunks table
FILE_VECTOR_COLUMNS = ["path", "vector", "text"]


def file_means(table) -> tuple[list[str], np.ndarray, np.ndarray]:
    """mean_by_key over a chunks table read with FILE_VECTOR_COLUMNS, chunks weighted by their length."""
    import pyarrow.compute as pc

    lengths = pc.utf8_length(table.column("text")).to_numpy(zero_copy_only=False)
    return mean_by_key(table.column("path").to_pylist(), vector_matrix(table), lengths)


def file_vectors(store, where: str | None = None) -> FileVectors:
    paths, matrix, counts = file_means(read_chunks(store, FILE_VECTOR_COLUMNS, where))
    return FileVectors(paths=paths, matrix=matrix, n_chunks=counts)
