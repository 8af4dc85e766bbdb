"""Clusters: groups of indexed files by meaning and wording, each labelled by its most distinctive terms.

Without a number, average linkage cut at a nameable granularity (linkage.py); with `n`, k-means into exactly
n groups (kmeans.py); both over the files' meaning and wording side by side. Labels by class-based TF-IDF over
the clusters' text (labels.py), words and two-word phrases; the central file is the member closest to the
cluster's mean direction (of the file vectors).
Clusters are sorted by size, largest first, and numbered in that order; the same index and seed give the same
clusters.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from klein_app.queries.errors import BadParameterError
from klein_app.queries.kmeans import fit_kmeans
from klein_app.queries.labels import ctfidf_labels
from klein_app.queries.linkage import file_features, fit_linkage
from klein_app.queries.neighbours import normalise_rows
from klein_app.queries.results import Cluster, Clustering
from klein_app.queries.vectors import file_vectors, read_chunks

# Labels only need a sample of each file's words; this bounds the text read on large indexes.
LABEL_CHUNKS_PER_FILE = 8
LABEL_TERMS = 6


def clusters(store, *, n: int | None = None, seed: int = 0) -> list[Cluster]:
    """The indexed files in `n` clusters (chosen automatically when None), largest first."""
    return cluster_files(store, n=n, seed=seed).clusters


def cluster_files(store, *, n: int | None = None, seed: int = 0) -> Clustering:
    if n is not None and n < 1:
        raise BadParameterError("the number of clusters must be at least 1")
    files = file_vectors(store)
    if not files.paths:
        return Clustering([], 0, "given" if n else "too few files")
    texts = _file_texts(store, files.paths)
    features = file_features(files.matrix, texts, seed=seed)
    if n is not None:
        fit = fit_kmeans(features, n, seed=seed)
        fit_labels, chosen_by = fit.labels, fit.chosen_by
    elif len(files.paths) < 3:
        fit_labels, chosen_by = np.zeros(len(files.paths), dtype=int), "too few files"
    else:
        fit_labels, chosen_by = fit_linkage(features, seed=seed).labels, "size rule"
    members: dict[int, list[int]] = defaultdict(list)
    for row, label in enumerate(fit_labels.tolist()):
        members[label].append(row)
    cluster_ids = sorted(members)
    labels = ctfidf_labels(["\n".join(texts[r] for r in members[c]) for c in cluster_ids], top_n=LABEL_TERMS)
    centroids = normalise_rows(np.stack([files.matrix[members[c]].mean(axis=0) for c in cluster_ids]))

    found = []
    for c, terms, centre in zip(cluster_ids, labels, centroids):
        rows = members[c]
        closeness = files.matrix[rows] @ centre
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
        chosen_by=chosen_by,
    )


def _file_texts(store, paths: list[str]) -> list[str]:
    """Each file's first chunks: enough of its words for features and labels, bounded on large indexes."""
    table = read_chunks(store, ["path", "chunk_index", "text"], f"chunk_index < {LABEL_CHUNKS_PER_FILE}")
    by_path: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for path, index, text in zip(
        table.column("path").to_pylist(), table.column("chunk_index").to_pylist(), table.column("text").to_pylist()
    ):
        by_path[path].append((index, text))
    return ["\n".join(text for _, text in sorted(by_path.get(p, []))) for p in paths]
