"""Pure roll-ups of what the index returns, for the Folders screen."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from klein_app.pathutil import is_under

if TYPE_CHECKING:
    from klein_app.queries.results import FileRecord


@dataclass(frozen=True)
class FolderRow:
    """A watched folder with what the index holds of it."""

    path: str
    files: int
    chunks: int
    skipped: int
    state: str


def folder_rows(folders: Iterable[str], files: Iterable[FileRecord], *, busy: bool, watching: bool) -> list[FolderRow]:
    """One row per watched folder: indexed files, chunks, skipped files and a one-word state."""
    folders = list(folders)
    counts = {f: [0, 0, 0] for f in folders}
    for row in files:
        owner = row.folder if row.folder in counts else next((f for f in folders if is_under(row.path, f)), None)
        if owner is None:
            continue
        if row.status == "indexed":
            counts[owner][0] += 1
            counts[owner][1] += row.n_chunks
        else:
            counts[owner][2] += 1
    rows = []
    for folder in folders:
        if not os.path.isdir(folder):
            state = "missing"
        elif busy:
            state = "indexing"
        elif watching:
            state = "watching"
        else:
            state = "indexed"
        n_files, n_chunks, n_skipped = counts[folder]
        rows.append(FolderRow(folder, n_files, n_chunks, n_skipped, state))
    return rows


def skipped_files(files: Iterable[FileRecord], folder: str | None = None) -> list[FileRecord]:
    """Files the index holds no chunks for, with their reasons, sorted by reason then path."""
    rows = [
        f for f in files if f.status != "indexed" and (folder is None or f.folder == folder or is_under(f.path, folder))
    ]
    return sorted(rows, key=lambda f: (f.skip_reason, f.path))
