"""Queries over the index: search, similar files, duplicates and clusters.

Plain functions returning the dataclasses of results.py; the CLI and the TUI both call them. Every error a user can cause is a
`QueryError` (see errors.py) with a message ready to show.
"""

from klein_app.queries.clusters import cluster_files, clusters
from klein_app.queries.dupes import duplicates
from klein_app.queries.errors import (
    BadFilterError,
    EmptyIndexError,
    EmptyQueryError,
    ModelMismatchError,
    QueryError,
    UnknownFileError,
)
from klein_app.queries.results import (
    Cluster,
    Clustering,
    DuplicateGroup,
    DuplicateItem,
    FileRecord,
    SearchResult,
    SimilarFile,
    Snippet,
)
from klein_app.queries.search import search
from klein_app.queries.similar import similar

__all__ = [
    "BadFilterError",
    "Cluster",
    "Clustering",
    "DuplicateGroup",
    "DuplicateItem",
    "EmptyIndexError",
    "EmptyQueryError",
    "FileRecord",
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
