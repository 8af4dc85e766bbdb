"""An Input that completes directory names as you type; → or Tab accepts the completion."""

from __future__ import annotations

import asyncio
import os

from textual.suggester import Suggester
from textual.widgets import Input


def complete_directory(value: str, show_hidden: bool = False) -> str | None:
    """`value` extended to the first matching sub-directory, keeping what was typed as typed.

    `~/Doc` -> `~/Documents/`; returns None when nothing matches or the value is already complete.
    """
    if not value:
        return None
    expanded = os.path.expanduser(value)
    parent, stem = os.path.split(expanded)
    parent = parent or "."
    try:
        entries = sorted(os.scandir(parent), key=lambda e: e.name)
    except OSError:
        return None
    want_hidden = show_hidden or stem.startswith(".")
    for entry in entries:
        if not entry.name.startswith(stem):
            continue
        if entry.name.startswith(".") and not want_hidden:
            continue
        try:
            if not entry.is_dir():
                continue
        except OSError:
            continue
        completion = value + entry.name[len(stem) :] + os.sep
        return completion if completion != value else None
    return None


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
