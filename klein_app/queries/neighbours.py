"""Nearest neighbours above a similarity threshold, by blocked matrix products.

Exact, with memory bounded by the block size: a block of rows is compared against the rest at once (one BLAS
call), so nothing is ever n x n in memory. Each item keeps at most `max_neighbours` neighbours, which bounds
the output when many items are alike (a thousand copies of one passage must not yield half a million pairs)
and is still enough for connected components.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def similar_pairs(
    vectors: np.ndarray,
    threshold: float,
    *,
    max_neighbours: int = 32,
    max_block_cells: int = 1 << 24,
    allowed=None,
) -> Iterator[tuple[int, int, float]]:
    """Pairs (i, j, cosine) with i < j and cosine >= threshold, over unit-length row vectors.

    Each i keeps its `max_neighbours` most similar j. `allowed(i, j)` (index arrays -> bool array) may veto
    candidate pairs, e.g. two passages of the same file. A block of rows is compared only with the rows after
    its start, so each pair is computed once; `max_block_cells` bounds the similarity block in memory.
    """
    n = len(vectors)
    if n < 2:
        return
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    block = max(16, min(4096, max_block_cells // n))
    for start in range(0, n, block):
        stop = min(n, start + block)
        sims = vectors[start:stop] @ vectors[start:].T  # column c is row start + c
        # Drop i >= j inside the diagonal square.
        sims[np.tril_indices(stop - start, m=sims.shape[1])] = -np.inf
        rows, cols = np.nonzero(sims >= threshold)
        if len(rows) == 0:
            continue
        values = sims[rows, cols]
        i, j = rows + start, cols + start
        if allowed is not None:
            keep = np.asarray(allowed(i, j), dtype=bool)
            i, j, values = i[keep], j[keep], values[keep]
        if len(i) == 0:
            continue
        i, j, values = _cap_per_row(i, j, values, max_neighbours)
        for a, b, v in zip(i.tolist(), j.tolist(), values.tolist()):
            yield a, b, min(1.0, float(v))


def _cap_per_row(i: np.ndarray, j: np.ndarray, values: np.ndarray, cap: int):
    """Keep, for each i, the `cap` pairs with the highest values (ties: smaller j first)."""
    order = np.lexsort((j, -values, i))
    i, j, values = i[order], j[order], values[order]
    first = np.r_[True, i[1:] != i[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(i)), 0))
    keep = (np.arange(len(i)) - group_start) < cap
    return i[keep], j[keep], values[keep]


def top_k(query: np.ndarray, vectors: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k rows most similar (dot product) to a unit query vector, best first."""
    if len(vectors) == 0 or k <= 0:
        return []
    sims = vectors @ np.asarray(query, dtype=np.float32)
    k = min(k, len(sims))
    idx = np.argpartition(-sims, k - 1)[:k]
    idx = idx[np.lexsort((idx, -sims[idx]))]
    return [(int(i), float(sims[i])) for i in idx]
