"""Cluster labels by class-based TF-IDF (c-TF-IDF, as in BERTopic).

All text of a cluster is treated as one document. A term's weight in cluster c is
    tf(t, c) * log(1 + A / f(t))
where tf is the term's relative frequency in c, f(t) its count over all clusters and A the average number of
words per cluster. Terms frequent in one cluster and rare elsewhere win; words common everywhere lose.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Letters only (no digits or underscores), three or more: labels should be words, not ids or numbers.
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{3,}\b"


def ctfidf_labels(
    cluster_texts: Sequence[str], *, top_n: int = 5, max_features: int = 50_000
) -> list[list[str]]:
    """The `top_n` most distinctive terms of each cluster's text, best first (ties broken alphabetically)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not cluster_texts:
        return []
    vectorizer = CountVectorizer(
        token_pattern=TOKEN_PATTERN, stop_words="english", lowercase=True, max_features=max_features
    )
    try:
        counts = vectorizer.fit_transform(cluster_texts)
    except ValueError:  # no words at all (empty or digits-only text)
        return [[] for _ in cluster_texts]
    terms = vectorizer.get_feature_names_out()
    # Dense is fine: a few dozen clusters by at most `max_features` terms.
    weights = ctfidf_matrix(counts.toarray())
    labels = []
    for row in weights:
        order = np.lexsort((terms, -row))
        labels.append([str(terms[i]) for i in order[:top_n] if row[i] > 0])
    return labels


def ctfidf_matrix(counts) -> np.ndarray:
    """c-TF-IDF weights from a dense (clusters x terms) count matrix."""
    counts_dense = np.asarray(counts, dtype=np.float64)
    words_per_cluster = counts_dense.sum(axis=1, keepdims=True)
    tf = np.divide(counts_dense, words_per_cluster, out=np.zeros_like(counts_dense), where=words_per_cluster > 0)
    term_totals = counts_dense.sum(axis=0)
    average_words = words_per_cluster.mean()
    idf = np.log1p(np.divide(average_words, term_totals, out=np.zeros_like(term_totals), where=term_totals > 0))
    return tf * idf[None, :]
