"""Reciprocal-rank fusion of several rankings into one.

RRF (Cormack et al., 2009) scores an item by sum(1 / (k + rank)) over the rankings it appears in. It needs
no score calibration, which matters here: cosine similarities and BM25 scores live on unrelated scales.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

# The constant from the original paper; it damps the weight of the very first ranks so that one list
# cannot dominate on the strength of a single top hit.
RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Iterable[Hashable]],
    *,
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[Hashable, float]]:
    """Fuse rankings (each best first) into one list of (item, score), best first.

    Items repeated within one ranking count once, at their best rank. Ties are broken by the best rank an
    item reached in any list, then by first appearance, so the result is deterministic.
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[Hashable, float] = {}
    best_rank: dict[Hashable, int] = {}
    first_seen: dict[Hashable, int] = {}
    for ranking, weight in zip(rankings, weights):
        seen: set[Hashable] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
            first_seen.setdefault(item, len(first_seen))
    return sorted(scores.items(), key=lambda kv: (-kv[1], best_rank[kv[0]], first_seen[kv[0]]))


def weighted_score_fusion(
    scores: Sequence[Mapping[Hashable, float]], *, weights: Sequence[float]
) -> list[tuple[Hashable, float]]:
    """Fuse scored lists (each item -> a score in [0, 1]) by their weighted mean, best first.

    An item missing from a list scores 0 there. Unlike RRF this keeps margins: an item far ahead in one list
    stays ahead unless the other list disagrees as strongly. Ties are broken by first appearance.
    """
    if len(weights) != len(scores):
        raise ValueError("one weight per list")
    total = float(sum(weights))
    if total <= 0:
        raise ValueError("the weights must sum to more than 0")
    fused: dict[Hashable, float] = {}
    for listed, weight in zip(scores, weights):
        for item, score in listed.items():
            fused[item] = fused.get(item, 0.0) + weight * float(score) / total
    order = {item: n for n, item in enumerate(fused)}
    return sorted(fused.items(), key=lambda kv: (-kv[1], order[kv[0]]))
