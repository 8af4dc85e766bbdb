"""Nearest neighbours above a similarity threshold, by blocked matrix products.

Up to EXACT_UP_TO items the search is exact: a block of rows is compared against the rest at once (one BLAS
call), so nothing is ever n x n in memory. Beyond that the work would grow with n^2 (50k passages: minutes on
two cores), so items are first bucketed by k-means (sqrt(n) centroids, each item in the buckets of its
PROBES nearest centroids, as an IVF index does) and compared within buckets only; pairs above a high
threshold almost always share a bucket, and bench/query_latency.py reports the recall against exact.
Each item keeps at most `max_neighbours` neighbours, which bounds the output when many items are alike
(a thousand copies of one passage must not yield half a million pairs) and is still enough for connected
components.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


EXACT_UP_TO = 20_000
PROBES = 2


def similar_pairs(
    vectors: np.ndarray,
    threshold: float,
    *,
    max_neighbours: int = 32,
    max_block_cells: int = 1 << 24,
    allowed=None,
    exact_up_to: int = EXACT_UP_TO,
    seed: int = 0,
) -> Iterator[tuple[int, int, float]]:
    """Pairs (i, j, cosine) with i < j and cosine >= threshold, over unit-length row vectors.

    Each i keeps its `max_neighbours` most similar j. `allowed(i, j)` (index arrays -> bool array) may veto
    candidate pairs, e.g. two passages of the same file. Exact up to `exact_up_to` items, bucketed beyond.
    """
    if len(vectors) <= exact_up_to:
        yield from exact_pairs(
            vectors, threshold, max_neighbours=max_neighbours, max_block_cells=max_block_cells, allowed=allowed
        )
    else:
        yield from bucketed_pairs(vectors, threshold, max_neighbours=max_neighbours, allowed=allowed, seed=seed)


def exact_pairs(
    vectors: np.ndarray,
    threshold: float,
    *,
    max_neighbours: int = 32,
    max_block_cells: int = 1 << 24,
    allowed=None,
) -> Iterator[tuple[int, int, float]]:
    """`similar_pairs` by comparing every pair; a block of rows is compared only with the rows after its
    start, so each pair is computed once, and `max_block_cells` bounds the similarity block in memory."""
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
        above = sims >= threshold
        # Rows with more neighbours than wanted (many near-identical items) are cut to their best ones here,
        # before millions of pairs would be listed.
        heavy = np.flatnonzero(above.sum(axis=1) > max_neighbours)
        parts_i, parts_j, parts_v = [], [], []
        if len(heavy):
            sub = sims[heavy]
            if allowed is not None:
                ii = np.broadcast_to((heavy + start)[:, None], sub.shape)
                jj = np.broadcast_to(np.arange(start, n)[None, :], sub.shape)
                sub[~np.asarray(allowed(ii, jj), dtype=bool)] = -np.inf
            top = np.argpartition(-sub, max_neighbours - 1, axis=1)[:, :max_neighbours]
            top_values = np.take_along_axis(sub, top, axis=1)
            r, c = np.nonzero(top_values >= threshold)
            parts_i.append(heavy[r] + start)
            parts_j.append(top[r, c] + start)
            parts_v.append(top_values[r, c])
            above[heavy] = False
        rows, cols = np.nonzero(above)
        if len(rows):
            i, j, values = rows + start, cols + start, sims[rows, cols]
            if allowed is not None:
                keep = np.asarray(allowed(i, j), dtype=bool)
                i, j, values = i[keep], j[keep], values[keep]
            parts_i.append(i)
            parts_j.append(j)
            parts_v.append(values)
        if not parts_i:
            continue
        i, j, values = np.concatenate(parts_i), np.concatenate(parts_j), np.concatenate(parts_v)
        if len(i) == 0:
            continue
        i, j, values = _cap_per_row(i, j, values, max_neighbours)
        for a, b, v in zip(i.tolist(), j.tolist(), values.tolist()):
            yield a, b, min(1.0, float(v))


def bucketed_pairs(
    vectors: np.ndarray,
    threshold: float,
    *,
    max_neighbours: int = 32,
    allowed=None,
    probes: int = PROBES,
    seed: int = 0,
) -> Iterator[tuple[int, int, float]]:
    """`similar_pairs` within k-means buckets (approximate, for many items)."""
    n = len(vectors)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n_buckets = max(2, int(np.sqrt(n)))
    centroids = _rough_centroids(vectors, n_buckets, seed=seed)
    buckets: list[list[np.ndarray]] = [[] for _ in range(n_buckets)]
    for start in range(0, n, 8192):
        sims = vectors[start : start + 8192] @ centroids.T
        nearest = np.argpartition(-sims, probes - 1, axis=1)[:, :probes]
        for p in range(probes):
            order = np.argsort(nearest[:, p], kind="stable")
            ids = nearest[order, p]
            bounds = np.searchsorted(ids, np.arange(n_buckets + 1))
            for b in range(n_buckets):
                if bounds[b] < bounds[b + 1]:
                    buckets[b].append(order[bounds[b] : bounds[b + 1]] + start)
    found: dict[tuple[int, int], float] = {}
    for parts in buckets:
        if not parts:
            continue
        members = np.unique(np.concatenate(parts))
        if len(members) < 2:
            continue
        local_allowed = None if allowed is None else (lambda i, j, m=members: allowed(m[i], m[j]))
        for a, b, v in exact_pairs(vectors[members], threshold, max_neighbours=max_neighbours, allowed=local_allowed):
            found[(int(members[a]), int(members[b]))] = v
    if not found:
        return
    keys = np.array(list(found.keys()), dtype=np.int64)
    values = np.array(list(found.values()), dtype=np.float32)
    i, j, values = _cap_per_row(keys[:, 0], keys[:, 1], values, max_neighbours)
    for a, b, v in zip(i.tolist(), j.tolist(), values.tolist()):
        yield a, b, float(v)


def _rough_centroids(vectors: np.ndarray, k: int, *, seed: int, iterations: int = 4) -> np.ndarray:
    """A few spherical k-means steps from random items on a sample: buckets need only be roughly even and
    coherent, and k-means++ seeding alone would cost more than the whole pair search."""
    rng = np.random.default_rng(seed)
    sample = vectors[np.sort(rng.choice(len(vectors), min(len(vectors), 20 * k), replace=False))]
    centroids = sample[rng.choice(len(sample), k, replace=False)].copy()
    for _ in range(iterations):
        labels = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, sample)
        empty = ~np.bincount(labels, minlength=k).astype(bool)
        sums[empty] = centroids[empty]  # keep a centroid that attracted nothing
        centroids = normalise_rows(sums)
    return centroids


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
