"""Errors that reach the user."""


class UserError(Exception):
    """An error the user can fix; shown as one line, never as a traceback."""
