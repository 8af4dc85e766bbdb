"""Queries over the index: search, similar files, duplicates and clusters.

Plain functions returning dataclasses; the CLI and the TUI both call them. Every error a user can cause is a
`QueryError` (see errors.py) with a message ready to show.
"""

from klein_app.queries.clusters import Cluster, Clustering, cluster_files, clusters
from klein_app.queries.dupes import DuplicateGroup, DuplicateItem, duplicates
from klein_app.queries.errors import (
    BadFilterError,
    EmptyIndexError,
    EmptyQueryError,
    ModelMismatchError,
    QueryError,
    UnknownFileError,
)
from klein_app.queries.search import SearchResult, search
from klein_app.queries.similar import SimilarFile, similar
from klein_app.queries.snippets import Snippet

__all__ = [
    "BadFilterError",
    "Cluster",
    "Clustering",
    "DuplicateGroup",
    "DuplicateItem",
    "EmptyIndexError",
    "EmptyQueryError",
    "ModelMismatchError",
    "QueryError",
    "SearchResult",
    "SimilarFile",
    "Snippet",
    "UnknownFileError",
    "cluster_files",
    "clusters",
    "duplicates",
    "search",
    "similar",
]
