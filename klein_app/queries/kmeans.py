"""k-means on unit file features, for a number of clusters the user gives (linkage.py chooses otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Above this many files MiniBatchKMeans keeps the fit within seconds on two cores.
MINIBATCH_ABOVE = 20_000


@dataclass(frozen=True)
class KMeansFit:
    labels: np.ndarray  # cluster id per row
    centroids: np.ndarray  # unit vectors, one per cluster
    k: int
    chosen_by: str  # "given" or "capped" (more asked than distinct files)


def fit_kmeans(vectors: np.ndarray, k: int, *, seed: int = 0) -> KMeansFit:
    """Cluster unit row vectors into k groups (at most one per row). Deterministic for a given seed."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    n = len(vectors)
    if n == 0:
        return KMeansFit(np.zeros(0, dtype=int), np.zeros((0, vectors.shape[1]), np.float32), 0, "given")
    chosen_by = "given"
    # More clusters than distinct vectors cannot be fitted (sklearn warns and leaves clusters empty): cap it.
    distinct = len(np.unique(np.round(vectors, 5), axis=0))
    capped = max(1, min(int(k), n, distinct))
    if capped < k and chosen_by == "given":
        chosen_by = "capped"
    k = capped
    if k == 1:
        labels = np.zeros(n, dtype=int)
    elif n > MINIBATCH_ABOVE:
        labels = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=seed).fit_predict(vectors)
    else:
        labels = KMeans(n_clusters=k, n_init=4, max_iter=100, random_state=seed).fit_predict(vectors)
    centroids = np.zeros((k, vectors.shape[1]), dtype=np.float32)
    for c in range(k):
        members = vectors[labels == c]
        if len(members):
            mean = members.mean(axis=0)
            norm = np.linalg.norm(mean)
            centroids[c] = mean / norm if norm > 0 else mean
    return KMeansFit(labels=np.asarray(labels), centroids=centroids, k=k, chosen_by=chosen_by)
