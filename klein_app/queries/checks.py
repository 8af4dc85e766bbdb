"""Checks of a query that need neither the model nor the index (numpy, LanceDB): run before loading them."""

from __future__ import annotations

from klein_app.queries.errors import EmptyQueryError, QueryUsageError
from klein_app.queries.snippets import WORD
from klein_app.search_modes import MODES as SEARCH_MODES


def check_query(query: str | None, mode: str = "hybrid") -> str:
    """The query stripped, or a QueryUsageError; cheap (no model, no index), so callers check before loading."""
    if mode not in SEARCH_MODES:
        raise QueryUsageError(f"unknown search mode {mode!r} (choose {', '.join(SEARCH_MODES)})")
    query = (query or "").strip()
    if not query:
        raise EmptyQueryError("the query is empty")
    if not WORD.search(query):
        raise EmptyQueryError("the query has no words or numbers to search for")
    return query
