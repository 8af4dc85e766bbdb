"""Watched folders: adding and removing them (shared by the CLI and the TUI), and what they hold.

Public API:
    add_folders(ctx, paths) -> list[str]      the folders newly watched (absolute); saves settings
    remove_folder(ctx, path) -> int           forgets a folder and the index rows no other watched folder
                                              covers; returns rows removed
    watched_roots(folders) -> list[str]       the folders to walk: each absolute, none inside another
    covered_by(path, folders) -> list[str]    the watched folders that contain `path` (or are it)
    folder_rollup(folders, rows) -> list[FolderTotals]   per watched folder: files, skipped, chunks
    FolderError                               a path that cannot be added or removed (one-line message)

Nested folders: adding a folder inside a watched one adds nothing (it is indexed already). Adding a folder
that contains watched ones keeps them in the config beside it: the walk covers each file once (only the
outermost folders are walked), and removing the parent later leaves the separately added subfolders watched
and their files indexed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from klein_app.errors import UserError
from klein_app.pathutil import absolute, canonical, is_under


class FolderError(UserError):
    """The path cannot be added or removed; the message says why."""


@dataclass(frozen=True)
class FolderTotals:
    path: str
    exists: bool
    files: int
    skipped: int
    chunks: int


def watched_roots(folders) -> list[str]:
    roots = sorted({absolute(f) for f in folders}, key=len)
    out: list[str] = []
    for r in roots:
        if not any(is_under(r, o) for o in out):
            out.append(r)
    return out


def covered_by(path: str, folders) -> list[str]:
    return [f for f in folders if is_under(absolute(path), absolute(f))]


def add_folders(ctx, paths) -> list[str]:
    settings = ctx.settings
    current = [canonical(f) for f in settings.folders]
    added = []
    for raw in paths:
        path = canonical(raw)
        if not os.path.isdir(path):
            raise FolderError(f"not a folder: {raw}")
        if any(is_under(path, f) for f in current):
            continue
        current.append(path)
        added.append(path)
    if added:
        settings.folders = [*settings.folders, *added]
        ctx.save_settings()
    return added


def remove_folder(ctx, path: str) -> int:
    from klein_app.index.lock import writer_lock
    from klein_app.index.store import Store, active_generation

    target = canonical(path)
    plain = absolute(path)
    folders = ctx.settings.folders
    keep = [f for f in folders if canonical(f) != target and absolute(f) != plain]
    if len(keep) == len(folders):
        raise FolderError(f"not a watched folder: {path}")
    ctx.settings.folders = keep
    ctx.save_settings()
    removed = 0
    if active_generation(ctx.paths.data_dir) is None:
        return 0
    still = [absolute(f) for f in keep] + [canonical(f) for f in keep]
    with writer_lock(ctx):
        store = Store.open_active(ctx.paths.data_dir)
        stores = [store] if store is not None else []
        own = ctx.loaded_index_store
        if own is not None and (store is None or own.path != store.path):
            stores.append(own)
        for s in stores:
            for root in {target, plain}:
                # rows a remaining (sub)folder still covers stay indexed
                rows = [p for p in s.file_rows_under(root) if not any(is_under(p, k) for k in still)]
                if rows:
                    s.remove_paths(sorted(rows))
                    removed += len(rows)
    return removed


def folder_rollup(folders, rows) -> list[FolderTotals]:
    """Totals per watched folder from `files` rows (dicts with path, status, n_chunks)."""
    out = []
    for f in folders:
        root = absolute(f)
        mine = [r for r in rows if is_under(r["path"], root)]
        out.append(
            FolderTotals(
                path=root,
                exists=os.path.isdir(root),
                files=sum(1 for r in mine if r["status"] == "indexed"),
                skipped=sum(1 for r in mine if r["status"] != "indexed"),
                chunks=sum(r["n_chunks"] for r in mine),
            )
        )
    return out
