"""Cosine similarity, top-k semantic search and paraphrase mining over embedding matrices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _as_2d(x: Any) -> np.ndarray:
    arr = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=np.float32)
    return arr[None, :] if arr.ndim == 1 else arr


def normalize(x: Any) -> np.ndarray:
    arr = _as_2d(x)
    return arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)


def cos_sim(a: Any, b: Any) -> np.ndarray:
    """Cosine similarity matrix of shape (len(a), len(b)); 1-D inputs count as one row."""
    return normalize(a) @ normalize(b).T


def semantic_search(
    query_emb: Any, corpus_emb: Any, top_k: int = 10, chunk_size: int = 1024
) -> list[list[dict[str, float | int]]]:
    """For each query, the top_k corpus rows by cosine: [{"corpus_id", "score"}, …] best first."""
    queries = normalize(query_emb)
    corpus = normalize(corpus_emb)
    k = min(top_k, len(corpus))
    results: list[list[dict[str, float | int]]] = []
    if k == 0:
        return [[] for _ in range(len(queries))]
    for start in range(0, len(queries), chunk_size):
        scores = queries[start : start + chunk_size] @ corpus.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        for row, idx in zip(scores, top):
            ranked = idx[np.argsort(-row[idx], kind="stable")]
            results.append([{"corpus_id": int(j), "score": float(row[j])} for j in ranked])
    return results


def paraphrase_mining_embeddings(
    embeddings: Any, threshold: float = 0.8, top_k: int = 100, chunk_size: int = 1024
) -> list[tuple[float, int, int]]:
    """Pairs (score, i, j) with i < j and cosine >= threshold, best first.

    Works in blocks with a per-row top_k, so memory stays bounded for large inputs.
    """
    emb = normalize(embeddings)
    n = len(emb)
    k = min(top_k + 1, n)
    pairs: dict[tuple[int, int], float] = {}
    for start in range(0, n, chunk_size):
        scores = emb[start : start + chunk_size] @ emb.T
        if k < n:
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        else:
            top = np.tile(np.arange(n), (len(scores), 1))
        for r, idx in enumerate(top):
            i = start + r
            for j in idx:
                j = int(j)
                if j == i:
                    continue
                s = float(scores[r, j])
                if s >= threshold:
                    pairs[(min(i, j), max(i, j))] = s
    return sorted(((s, i, j) for (i, j), s in pairs.items()), key=lambda p: (-p[0], p[1], p[2]))


def paraphrase_mining(
    model: Any, texts: Sequence[str], threshold: float = 0.8, top_k: int = 100, batch_size: int = 64
) -> list[tuple[float, int, int]]:
    """Embed texts with `model` and return the pairs at or above `threshold`, best first."""
    emb = model.encode(list(texts), batch_size=batch_size)
    return paraphrase_mining_embeddings(emb, threshold=threshold, top_k=top_k)
