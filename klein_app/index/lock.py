"""One writer per index: an advisory file lock between processes, a mutex between threads.

Public API:
    writer_lock(ctx)   context manager around one batch of writes; blocks other threads of this
                       process, raises IndexBusy when another process holds the index
    WriterState        per-context lock state; `ctx.writer_state` holds one
    hold_index(ctx)    context manager that only claims the index for this process (the watcher
                       holds it for its lifetime so a second `index` fails fast and clearly)
    check_held(ctx)    raises IndexBusy when this process's lease on object storage was lost (a no-op
                       for the local flock, which cannot be lost); writers call it before each commit
    IndexBusy          its message names the other process

The file lock is an flock on data_dir/index/writer.lock, so the kernel drops it when the holder
dies (kill -9 included) and no stale lock ever needs clearing by hand. An index in object storage
uses a lease object at the same key instead (klein_app/index/object_lock.py).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

from klein_app.errors import UserError
from klein_app.location import ObjectPath, as_path

LOCK_NAME = "writer.lock"


class IndexBusy(UserError):
    """Another process holds the writer lock."""


class WriterState:
    def __init__(self):
        self.mutex = threading.RLock()  # serialises writers inside this process
        self.guard = threading.Lock()  # protects depth/fh
        self.depth = 0
        self.fh = None


def _state(ctx) -> WriterState:
    return ctx.writer_state


@contextmanager
def writer_lock(ctx):
    with _state(ctx).mutex:
        with hold_index(ctx):
            yield


@contextmanager
def hold_index(ctx):
    state = _state(ctx)
    with state.guard:
        if state.depth == 0:
            state.fh = _acquire(as_path(ctx.paths.data_dir) / "index" / LOCK_NAME)
        state.depth += 1
    try:
        yield
    finally:
        with state.guard:
            state.depth -= 1
            if state.depth == 0:
                _release(state.fh)
                state.fh = None


def check_held(ctx) -> None:
    from klein_app.index.object_lock import ObjectLease

    fh = _state(ctx).fh
    if isinstance(fh, ObjectLease) and fh.lost:
        raise IndexBusy(_LOST)


_LOST = "another writer took over the index's lease while this one was writing; run `index` again"


def _acquire(path):
    if isinstance(path, ObjectPath):
        from klein_app.index.object_lock import ObjectLease

        return ObjectLease.acquire(path)
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
    from klein_app.index.object_lock import ObjectLease

    if isinstance(fh, ObjectLease):
        lost = fh.lost
        fh.release()
        if lost:
            raise IndexBusy(_LOST)
        return
    try:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except (ImportError, OSError):
        pass
    fh.close()
