"""An Input that completes directory names as you type; → or Tab accepts the completion."""

from __future__ import annotations

import asyncio
import os

from textual.suggester import Suggester
from textual.widgets import Input


def complete_directory(value: str, show_hidden: bool = False) -> str | None:
    """`value` extended as far as the matching sub-directories agree, keeping what was typed as typed.

    One match completes the name and adds a separator (`~/Doc` -> `~/Documents/`); several complete their
    common prefix only (`~/D` -> `~/Do` with Documents and Downloads), as a shell does. None when nothing
    matches or nothing can be added.
    """
    if not value:
        return None
    parent, stem = os.path.split(os.path.expanduser(value))
    want_hidden = show_hidden or stem.startswith(".")
    try:
        names = [
            entry.name
            for entry in os.scandir(parent or ".")
            if entry.name.startswith(stem) and (want_hidden or not entry.name.startswith(".")) and _is_dir(entry)
        ]
    except OSError:
        return None
    if not names:
        return None
    if len(names) == 1:
        completion = value + names[0][len(stem) :] + os.sep
    else:
        completion = value + os.path.commonprefix(names)[len(stem) :]
    return completion if completion != value else None


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


class DirectorySuggester(Suggester):
    def __init__(self) -> None:
        # Paths are case-sensitive, and the disk changes, so no casefolding and no cache.
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_directory, value)


class PathInput(Input):
    """A path field; Tab accepts the completion instead of moving focus when one is shown."""

    BINDINGS = [("tab", "accept_completion", "Complete")]

    def __init__(self, value: str = "", **kwargs) -> None:
        super().__init__(value=value, suggester=DirectorySuggester(), **kwargs)

    def action_accept_completion(self) -> None:
        if self._suggestion and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()
