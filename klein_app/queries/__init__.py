"""Queries over the index: search, similar files, duplicates and clusters.

Plain functions returning the dataclasses of results.py; the CLI and the TUI both call them. Every error a user can cause is a
`QueryError` (see errors.py) with a message ready to show.

The names load on first use (PEP 562): `from klein_app.queries.filters import ...` or `.checks` must not pull in
numpy, LanceDB and scikit-learn, so a command line with a mistake is answered before any of them loads.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "cluster_files": "clusters", "clusters": "clusters",
    "duplicates": "dupes",
    "BadFilterError": "errors", "EmptyIndexError": "errors", "EmptyQueryError": "errors",
    "ModelMismatchError": "errors", "QueryError": "errors", "UnknownFileError": "errors",
    "Cluster": "results", "Clustering": "results", "DuplicateGroup": "results", "DuplicateItem": "results",
    "FileRecord": "results", "SearchResult": "results", "SimilarFile": "results", "Snippet": "results",
    "search": "search",
    "similar": "similar",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
