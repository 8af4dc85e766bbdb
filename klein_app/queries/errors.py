"""Exceptions a query can raise for reasons the user can fix.

The CLI and the TUI turn any `QueryError` into a one-line message; nothing else in `klein_app.queries`
is meant to escape to the user.
"""

from __future__ import annotations


class QueryError(Exception):
    """Base class: the message is already written for the user."""


class EmptyQueryError(QueryError):
    """The query has no searchable content (empty, or punctuation only in text mode)."""


class EmptyIndexError(QueryError):
    """Nothing has been indexed yet."""


class ModelMismatchError(QueryError):
    """The index was built with another model; its vectors cannot be compared with this model's."""


class BadFilterError(QueryError):
    """A --path / --ext / --since filter that cannot be understood."""


class UnknownFileError(QueryError):
    """A file asked about (for `similar`) is not in the index."""
