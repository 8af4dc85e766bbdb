"""Pure evaluation metrics with MTEB's definitions (linear gain nDCG as in pytrec_eval; cutoffs at k)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation (ties get average ranks)."""
    from scipy.stats import spearmanr

    return float(spearmanr(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)).statistic)


def paired_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return (a * b).sum(axis=1)


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    gains = [relevant.get(doc, 0) for doc in ranked[:k]]
    dcg = sum(g / np.log2(i + 2) for i, g in enumerate(gains) if g > 0)
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / np.log2(i + 2) for i, g in enumerate(ideal))
    return float(dcg / idcg) if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    rel = {d for d, g in relevant.items() if g > 0}
    if not rel:
        return 0.0
    return len(rel.intersection(ranked[:k])) / len(rel)


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    for i, doc in enumerate(ranked[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def retrieval_scores(
    rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]], k: int = 10
) -> dict[str, float]:
    """Mean nDCG@k, Recall@k and MRR@k (x100) over the queries that have judgments."""
    qids = [q for q in qrels if q in rankings]
    if not qids:
        return {f"ndcg@{k}": 0.0, f"recall@{k}": 0.0, f"mrr@{k}": 0.0, "queries": 0}
    return {
        f"ndcg@{k}": 100 * float(np.mean([ndcg_at_k(rankings[q], qrels[q], k) for q in qids])),
        f"recall@{k}": 100 * float(np.mean([recall_at_k(rankings[q], qrels[q], k) for q in qids])),
        f"mrr@{k}": 100 * float(np.mean([mrr_at_k(rankings[q], qrels[q], k) for q in qids])),
        "queries": len(qids),
    }


def top_k_ids(query_emb: np.ndarray, doc_emb: np.ndarray, doc_ids: Sequence[str], k: int = 10) -> list[list[str]]:
    """Doc ids by descending cosine for each query (ties broken by corpus order)."""
    q = query_emb / np.maximum(np.linalg.norm(query_emb, axis=1, keepdims=True), 1e-12)
    d = doc_emb / np.maximum(np.linalg.norm(doc_emb, axis=1, keepdims=True), 1e-12)
    scores = q @ d.T
    k = min(k, scores.shape[1])
    out = []
    for row in scores:
        part = np.argpartition(-row, k - 1)[:k]
        part = part[np.lexsort((part, -row[part]))]
        out.append([doc_ids[i] for i in part])
    return out
