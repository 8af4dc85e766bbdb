"""Exceptions raised by the model runtime."""


class ModelLoadError(Exception):
    """A model folder is missing, incomplete or corrupt. The message names the offending file."""
