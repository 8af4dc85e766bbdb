"""Nearest neighbours of unit vectors: normalising rows, and the top k rows for a query."""

from __future__ import annotations

import numpy as np


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def top_k(query: np.ndarray, vectors: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k rows most similar (dot product) to a unit query vector, best first."""
    if len(vectors) == 0 or k <= 0:
        return []
    sims = vectors @ np.asarray(query, dtype=np.float32)
    k = min(k, len(sims))
    idx = np.argpartition(-sims, k - 1)[:k]
    idx = idx[np.lexsort((idx, -sims[idx]))]
    return [(int(i), float(sims[i])) for i in idx]
