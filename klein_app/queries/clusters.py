"""Clusters: groups of indexed files by meaning, each labelled by its most distinctive terms.

k-means over file vectors (see kmeans.py for how k is chosen when not given); labels by class-based TF-IDF over
the clusters' text (labels.py); the central file is the member closest to the cluster's mean direction.
Clusters are sorted by size, largest first, and numbered in that order; the same index and seed give the same
clusters.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from klein_app.queries.errors import BadParameterError
from klein_app.queries.kmeans import fit_kmeans
from klein_app.queries.labels import ctfidf_labels
from klein_app.queries.results import Cluster, Clustering
from klein_app.queries.vectors import file_vectors, read_chunks

# Labels only need a sample of each file's words; this bounds the text read on large indexes.
LABEL_CHUNKS_PER_FILE = 8
LABEL_TERMS = 5


def clusters(store, *, n: int | None = None, seed: int = 0) -> list[Cluster]:
    """The indexed files in `n` clusters (chosen automatically when None), largest first."""
    return cluster_files(store, n=n, seed=seed).clusters


def cluster_files(store, *, n: int | None = None, seed: int = 0) -> Clustering:
    if n is not None and n < 1:
        raise BadParameterError("the number of clusters must be at least 1")
    files = file_vectors(store)
    if not files.paths:
        return Clustering([], 0, "given" if n else "too few files")
    fit = fit_kmeans(files.matrix, n, seed=seed)
    members: dict[int, list[int]] = defaultdict(list)
    for row, label in enumerate(fit.labels.tolist()):
        members[label].append(row)
    cluster_ids = sorted(members)
    labels = ctfidf_labels(_cluster_texts(store, files.paths, [members[c] for c in cluster_ids]), top_n=LABEL_TERMS)

    found = []
    for c, terms in zip(cluster_ids, labels):
        rows = members[c]
        closeness = files.matrix[rows] @ fit.centroids[c]
        order = np.lexsort(([files.paths[r] for r in rows], -closeness))
        paths = [files.paths[rows[i]] for i in order]
        found.append((len(rows), terms, paths, float(closeness.mean())))
    found.sort(key=lambda f: (-f[0], f[2][0]))
    return Clustering(
        clusters=[
            Cluster(id=i, terms=terms, size=size, central_path=paths[0], paths=paths, cohesion=cohesion)
            for i, (size, terms, paths, cohesion) in enumerate(found)
        ],
        k=len(found),
        chosen_by=fit.chosen_by,
    )


def _cluster_texts(store, paths: list[str], groups: list[list[int]]) -> list[str]:
    """One document per cluster: the first chunks of each member file."""
    table = read_chunks(store, ["path", "chunk_index", "text"], f"chunk_index < {LABEL_CHUNKS_PER_FILE}")
    by_path: dict[str, list[str]] = defaultdict(list)
    for path, text in zip(table.column("path").to_pylist(), table.column("text").to_pylist()):
        by_path[path].append(text)
    return ["\n".join(t for r in rows for t in by_path.get(paths[r], [])) for rows in groups]
