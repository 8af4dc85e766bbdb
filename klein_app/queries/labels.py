"""Cluster labels by class-based TF-IDF (c-TF-IDF, as in BERTopic), over words and two-word phrases.

All text of a cluster is treated as one document. A term's weight in cluster c is
    tf(t, c) * log(1 + A / f(t))
where tf is the term's relative frequency in c, f(t) its count over all clusters and A the average number of
words per cluster. Terms frequent in one cluster and rare elsewhere win; words common everywhere lose.

Terms are words of three or more letters and pairs of adjacent such words ("release notes", "host key"),
English stop words, words of program text (keywords, common identifiers, markup) and the vocabulary of URLs
and licences removed first. A word is not repeated in a label: once a phrase is chosen, its words alone add
nothing, and a phrase of two chosen words adds nothing either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Letters only (no digits or underscores), three or more: labels should be words, not ids or numbers.
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{3,}\b"

# Words that fill code, markup, URLs and boilerplate in every folder: never what a group of files is about.
NOISE_WORDS = frozenset(
    """
    def self return int char const void struct static unsigned bool null none true false elif endif ifdef
    ifndef define include fi esac done then else echo printf sprintf fprintf malloc free sizeof typedef enum
    var let func function lambda import from class public private protected new delete try catch throw
    str len args argv argc kwargs param params obj tmp buf ptr val err res ret foo bar baz
    http https www com org net html htm txt gz pdf url uri href src img div span
    copyright licence license licensed gnu gpl warranty redistribute redistribution merchantability
    did does doing used use uses using make makes made like just also way thing things want need needs
    toctree literalinclude rubric versionadded versionchanged admonition automodule autoclass ref doc rst tab
    tabs equiv
    """.split()
)


def _stop_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS | NOISE_WORDS)


def ctfidf_labels(cluster_texts: Sequence[str], *, top_n: int = 6, max_features: int = 50_000) -> list[list[str]]:
    """The `top_n` most distinctive terms of each cluster's text, best first (ties broken alphabetically)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not cluster_texts:
        return []
    vectorizer = CountVectorizer(
        token_pattern=TOKEN_PATTERN,
        stop_words=_stop_words(),
        lowercase=True,
        max_features=max_features,
        ngram_range=(1, 2),
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
        labels.append(_distinct_terms(((str(terms[i]), float(row[i])) for i in order if row[i] > 0), top_n))
    return labels


# A phrase takes the place of a word already in the label only when it is nearly as distinctive.
PHRASE_REPLACES = 0.6


def _distinct_terms(ranked, top_n: int) -> list[str]:
    """The first `top_n` terms that each add a word not already in the label."""
    chosen: list[tuple[str, float]] = []
    for term, weight in ranked:
        words = term.split()
        if len(set(words)) < len(words):  # "cve cve": a word repeated in a list, not a phrase
            continue
        inside = [(t, w) for t, w in chosen if len(words) > 1 and t in words]
        if inside and all(weight >= PHRASE_REPLACES * w for _, w in inside):
            chosen = [c for c in chosen if c not in inside]  # the phrase says more than its words alone
            inside = []
        covered = {w for t, _ in chosen for w in t.split()}
        if inside or set(words) <= covered:
            continue
        chosen.append((term, weight))
        if len(chosen) >= top_n:
            break
    return [t for t, _ in chosen]


def ctfidf_matrix(counts) -> np.ndarray:
    """c-TF-IDF weights from a dense (clusters x terms) count matrix."""
    counts_dense = np.asarray(counts, dtype=np.float64)
    words_per_cluster = counts_dense.sum(axis=1, keepdims=True)
    tf = np.divide(counts_dense, words_per_cluster, out=np.zeros_like(counts_dense), where=words_per_cluster > 0)
    term_totals = counts_dense.sum(axis=0)
    average_words = words_per_cluster.mean()
    idf = np.log1p(np.divide(average_words, term_totals, out=np.zeros_like(term_totals), where=term_totals > 0))
    return tf * idf[None, :]
