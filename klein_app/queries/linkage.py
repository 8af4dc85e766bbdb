"""Choosing clusters when the user gives no number: average linkage, cut at the granularity a person names.

Features: each file's meaning (its unit vector) beside its wording (TF-IDF of its words reduced to LSA_DIMS
dimensions by truncated SVD, also unit length). Meaning alone puts changelogs of different packages together
and splits one project's documents by style; the words a project uses ("tmux", "pane", "keybinding") pull its
files together. On the nine-package /usr/share/doc tree (bench/real_folder.py) the pair scored V-measure 0.68
against the package, meaning alone 0.66 at best and k-means with the silhouette's k 0.54 (k = 2 to 6).

The cut: average-linkage (cosine) merges files bottom-up; cut at the number of clusters that yields the most
clusters holding at least MIN_SHARE of the files (never fewer than MIN_SIZE), never splitting groups that are
close compared with the tree's top merge (MIN_RELATIVE_HEIGHT); the smaller groups (stragglers, odd files)
join the cluster whose centre is nearest. Silhouette-style scores prefer two or three huge clusters
on real folders; counting clusters of a nameable size does not.

Above SAMPLE files the tree is built on an even sample (its memory grows with the square of the files) and
the other files join the nearest cluster centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from klein_app.queries.neighbours import normalise_rows

LSA_DIMS = 100
MIN_SHARE = 1 / 60
MIN_SIZE = 3
MAX_CUT = 80  # numbers of clusters tried when cutting the tree
# A cut that splits groups closer than this share of the tree's top merge distance splits a tight group in
# pieces: six clean topics are six clusters, not thirty fragments of them.
MIN_RELATIVE_HEIGHT = 0.5
SAMPLE = 3_000


@dataclass(frozen=True)
class LinkageFit:
    labels: np.ndarray  # cluster id per row, 0..k-1
    k: int


def file_features(vectors: np.ndarray, texts: list[str], *, seed: int = 0) -> np.ndarray:
    """Meaning and wording side by side, each part of unit length."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    from klein_app.queries.labels import TOKEN_PATTERN

    n = len(texts)
    if n < 4:
        return vectors
    try:
        tfidf = TfidfVectorizer(
            token_pattern=TOKEN_PATTERN, stop_words="english", sublinear_tf=True, min_df=2, max_df=0.5
        ).fit_transform(texts)
    except ValueError:  # no word occurs in two files
        return vectors
    dims = min(LSA_DIMS, tfidf.shape[1] - 1, n - 1)
    if dims < 2:
        return vectors
    lexical = normalise_rows(TruncatedSVD(dims, random_state=seed).fit_transform(tfidf))
    return normalise_rows(np.hstack([vectors, lexical]))


def fit_linkage(features: np.ndarray, *, seed: int = 0) -> LinkageFit:
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(features)
    if n < 2 * MIN_SIZE:
        return LinkageFit(np.zeros(n, dtype=int), 1 if n else 0)
    rows = np.arange(n)
    if n > SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(n, SAMPLE, replace=False))
    sample = features[rows]
    tree = linkage(sample, method="average", metric="cosine")
    min_size = max(MIN_SIZE, int(round(len(sample) * MIN_SHARE)))
    best_labels, best_count = None, 0
    top = float(tree[-1, 2])
    for k in range(2, min(MAX_CUT, len(sample)) + 1):
        if float(tree[-(k - 1), 2]) < MIN_RELATIVE_HEIGHT * top:
            break
        labels = fcluster(tree, k, criterion="maxclust")
        count = int((np.bincount(labels) >= min_size).sum())
        if count > best_count:
            best_labels, best_count = labels, count
    if best_labels is None:
        return LinkageFit(np.zeros(n, dtype=int), 1)
    sizes = np.bincount(best_labels)
    kept = [c for c in range(len(sizes)) if sizes[c] >= min_size]
    centres = normalise_rows(np.stack([sample[best_labels == c].mean(axis=0) for c in kept]))
    # every file (sampled stragglers and unsampled files alike) to its nearest kept cluster, members stay
    nearest = np.argmax(features @ centres.T, axis=1)
    index_of = {c: i for i, c in enumerate(kept)}
    labels = nearest.copy()
    for position, row in enumerate(rows):
        if best_labels[position] in index_of:
            labels[row] = index_of[best_labels[position]]
    return LinkageFit(labels.astype(int), len(kept))
