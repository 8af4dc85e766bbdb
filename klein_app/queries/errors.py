"""Exceptions a query can raise for reasons the user can fix.

All derive from `klein_app.errors.KleinError`: the CLI and the TUI translate them once; nothing else in
`klein_app.queries` is meant to escape to the user.
"""

from __future__ import annotations

from klein_app.errors import EXIT_OK, EXIT_USAGE, UserError

NOTHING_INDEXED = "nothing is indexed yet: add a folder with `klein-search add PATH`, then index it"


class QueryError(UserError):
    """Base class: the message is already written for the user (a runtime condition, exit 1)."""


class QueryUsageError(QueryError):
    """The query's arguments are wrong (exit 2, like any usage error)."""

    exit_code = EXIT_USAGE
    kind = "usage"


class EmptyQueryError(QueryUsageError):
    """The query has no searchable content (empty, or punctuation only in text mode)."""


class EmptyIndexError(QueryError):
    """Nothing has been indexed yet: "nothing found" is an answer, so the CLI exits 0 with the message."""

    exit_code = EXIT_OK
    kind = "empty"


class ModelMismatchError(QueryError):
    """The index was built with another model; its vectors cannot be compared with this model's."""


class BadFilterError(QueryUsageError):
    """A --path / --ext / --since filter that cannot be understood."""


class BadParameterError(QueryUsageError):
    """A query parameter out of range (threshold, level, number of clusters)."""


class UnknownFileError(QueryError):
    """A file asked about (for `similar`) is not in the index."""
