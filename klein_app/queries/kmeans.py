"""k-means on unit file vectors, and choosing k when the user does not.

How k is chosen: k-means is fitted on a sample of at most 2,000 files for each k in a small grid between 2 and
min(30, files - 1) (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30), and the k with the best mean silhouette (cosine)
on that sample wins; ties go to the smaller k. When no k reaches a silhouette of 0.02 the data has no cluster structure worth the name, and the
rule of thumb k = sqrt(files / 2) (capped at 30) is used instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SAMPLE = 2_000
MAX_K = 30
MIN_SILHOUETTE = 0.02
_GRID = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30)
# Fits on the sample only rank the candidates: a bounded number of steps (and, on big samples, one start)
# is enough and keeps the choice within seconds for 10k files.
_PROBE_ITERATIONS = 60
# Above this many files MiniBatchKMeans keeps the fit within seconds on two cores.
MINIBATCH_ABOVE = 20_000


@dataclass(frozen=True)
class KMeansFit:
    labels: np.ndarray  # cluster id per row
    centroids: np.ndarray  # unit vectors, one per cluster
    k: int
    chosen_by: str  # "given", "capped" (more asked than distinct files), "silhouette" or "sqrt rule"


def rule_of_thumb_k(n: int) -> int:
    return max(1, min(MAX_K, round(math.sqrt(n / 2))))


def choose_k(vectors: np.ndarray, *, seed: int = 0) -> tuple[int, str]:
    """(k, how it was chosen) for unit row vectors."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 3:
        return 1, "too few files"
    rng = np.random.default_rng(seed)
    sample = vectors if n <= SAMPLE else vectors[np.sort(rng.choice(n, SAMPLE, replace=False))]
    distinct = len(np.unique(np.round(sample, 5), axis=0))
    candidates = [k for k in _GRID if k <= min(MAX_K, len(sample) - 1, distinct)]
    # Small samples are cheap to fit several times, and a single start is a noisy judge of few points.
    n_init = 4 if len(sample) <= 500 else 1
    best_k, best_score = None, -1.0
    for k in candidates:
        labels = KMeans(n_clusters=k, n_init=n_init, max_iter=_PROBE_ITERATIONS, random_state=seed).fit_predict(sample)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(sample, labels, metric="cosine"))
        if score > best_score + 1e-9:
            best_k, best_score = k, score
    if best_k is None or best_score < MIN_SILHOUETTE:
        return min(rule_of_thumb_k(n), max(1, distinct)), "sqrt rule"
    return best_k, "silhouette"


def fit_kmeans(vectors: np.ndarray, k: int | None = None, *, seed: int = 0) -> KMeansFit:
    """Cluster unit row vectors into k groups (k chosen when None). Deterministic for a given seed."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    n = len(vectors)
    if n == 0:
        return KMeansFit(np.zeros(0, dtype=int), np.zeros((0, vectors.shape[1]), np.float32), 0, "given")
    chosen_by = "given"
    if k is None:
        k, chosen_by = choose_k(vectors, seed=seed)
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
