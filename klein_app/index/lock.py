"""One writer per index: an advisory file lock, re-entrant within one AppContext.

Public API:
    writer_lock(ctx)   context manager; raises IndexBusy when another process is writing
    IndexBusy          its message names the other process

The lock is an flock on data_dir/index/writer.lock, so the kernel drops it when the holder dies
(kill -9 included) and no stale lock ever needs clearing by hand.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "writer.lock"


class IndexBusy(Exception):
    """Another process holds the writer lock."""


@contextmanager
def writer_lock(ctx):
    state = ctx.__dict__.setdefault("_writer_lock_state", {"depth": 0, "fh": None})
    if state["depth"]:
        state["depth"] += 1
        try:
            yield
        finally:
            state["depth"] -= 1
        return
    fh = _acquire(Path(ctx.paths.data_dir) / "index" / LOCK_NAME)
    state["depth"], state["fh"] = 1, fh
    try:
        yield
    finally:
        state["depth"], state["fh"] = 0, None
        _release(fh)


def _acquire(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+", encoding="utf-8")
    try:
        import fcntl
    except ImportError:  # no flock on this platform: single-writer is then up to the user
        return fh
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        other = fh.read().strip() or "unknown"
        fh.close()
        raise IndexBusy(
            f"the index is being updated by another klein-search process (pid {other}); "
            "wait for it or stop it, then try again"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return fh


def _release(fh) -> None:
    try:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except (ImportError, OSError):
        pass
    fh.close()
