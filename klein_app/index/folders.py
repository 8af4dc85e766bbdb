"""Adding and removing watched folders (shared by the CLI and the TUI).

Public API:
    add_folders(ctx, paths) -> list[str]      the folders newly watched (absolute); saves settings
    remove_folder(ctx, path) -> int           forgets a folder and its index rows; returns rows removed
    FolderError                               a path that cannot be added or removed (one-line message)

A folder inside an already watched one adds nothing; a folder that contains watched ones
replaces them, so no file is ever indexed twice under two roots.
"""

from __future__ import annotations

import os


class FolderError(Exception):
    """The path cannot be added or removed; the message says why."""


def _norm(path: str) -> str:
    return os.path.realpath(os.path.abspath(os.path.expanduser(path)))


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def add_folders(ctx, paths) -> list[str]:
    settings = ctx.settings
    current = [_norm(f) for f in settings.folders]
    added = []
    for raw in paths:
        path = _norm(raw)
        if not os.path.isdir(path):
            raise FolderError(f"not a folder: {raw}")
        if any(_under(path, f) for f in current):
            continue
        current = [f for f in current if not _under(f, path)]
        current.append(path)
        added.append(path)
    if added:
        settings.folders = current
        ctx.save_settings()
    return added


def remove_folder(ctx, path: str) -> int:
    from klein_app.index.lock import writer_lock
    from klein_app.index.store import Store, active_generation

    target = _norm(path)
    plain = os.path.abspath(os.path.expanduser(path))
    folders = ctx.settings.folders
    keep = [f for f in folders if _norm(f) != target and os.path.abspath(os.path.expanduser(f)) != plain]
    if len(keep) == len(folders):
        raise FolderError(f"not a watched folder: {path}")
    ctx.settings.folders = keep
    ctx.save_settings()
    removed = 0
    if active_generation(ctx.paths.data_dir) is None:
        return 0
    with writer_lock(ctx):
        store = Store.open_active(ctx.paths.data_dir)
        stores = [store] if store is not None else []
        if ctx._index_store is not None and (store is None or ctx._index_store.path != store.path):
            stores.append(ctx._index_store)
        for s in stores:
            for root in {target, plain}:
                rows = s.file_rows_under(root)
                if rows:
                    s.remove_paths(sorted(rows))
                    removed += len(rows)
    return removed
