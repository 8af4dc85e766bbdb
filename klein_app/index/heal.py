"""Repairs a writer makes before it writes: the index is a cache of the files, so anything damaged
is set aside (never deleted) and rebuilt from them, and a broken pointer is pointed again.

Public API:
    heal_for_writing(ctx, rebuild=False) -> list[str]   one line per repair; call holding the writer lock
    classify_failure(exc, path) -> StoreError | None    a lance/OS failure during writes, as one line

What is repaired, and how:
    active.json missing, unreadable or malformed -> pointed at the generation on disk (infer_active)
    meta.json malformed                          -> rewritten by Store.open (folder name = its hash)
    a table unreadable, a data file missing      -> the generation is set aside and built anew; queries
                                                    keep the old generation while that one is readable
    --rebuild                                    -> any generation that will not open is set aside
"""

from __future__ import annotations

import errno
import re

from klein_app.index.store import (
    BrokenIndex,
    Store,
    StoreError,
    infer_active,
    read_pointer,
    set_active,
    set_aside,
    write_pointer,
)


class DiskError(StoreError):
    """The disk refused a write (full, read-only, no permission); the index is still consistent."""


def heal_for_writing(ctx, rebuild: bool = False) -> list[str]:
    notes: list[str] = []
    data_dir = ctx.data_dir
    _record, problem = read_pointer(data_dir)
    if problem:
        inferred = infer_active(data_dir)
        if inferred is not None:
            write_pointer(data_dir, inferred)
            notes.append(f"{problem}; pointed it at {inferred['generation']} again")
        else:
            notes.append(f"{problem}; it is rewritten when this index is built")
        ctx.refresh()
    try:
        store = ctx.index_store
    except StoreError as exc:
        if not (isinstance(exc, BrokenIndex) or rebuild):
            raise
        store = _set_aside_and_reopen(ctx, exc, notes)
    notes.extend(store.repairs)
    store.repairs = []
    _check_serving_generation(ctx, store, notes)
    return notes


def _set_aside_and_reopen(ctx, exc: Exception, notes: list[str]) -> Store:
    model = ctx.index_model
    moved = set_aside(ctx.data_dir, model.dim, model.fingerprint)
    ctx.forget_index_store()
    store = ctx.index_store
    where = f"; moved it aside to {moved.name}" if moved is not None else ""
    notes.append(f"{_reason(exc)}{where}; rebuilding it from the files")
    return store


def _check_serving_generation(ctx, store: Store, notes: list[str]) -> None:
    """Blue-green: the old generation keeps answering queries while the new one is built, unless it
    is itself damaged: then queries move to the new one at once."""
    record, _ = read_pointer(ctx.data_dir)
    if record is None or record["generation"] == store.path.name:
        return
    try:
        Store.open(ctx.data_dir, record["dim"], record["fingerprint"], create=False)
    except StoreError as exc:
        moved = set_aside(ctx.data_dir, record["dim"], record["fingerprint"])
        set_active(ctx.data_dir, store, ctx.settings.model, ctx.index_model.name)
        ctx.refresh()
        where = f" (moved aside to {moved.name})" if moved is not None else ""
        notes.append(f"{_reason(exc)}{where}; queries now use the index being built")


def _reason(exc: Exception) -> str:
    text = str(exc)
    cut = text.find("; `klein-search index`")
    return text[:cut] if cut != -1 else text


_DISK = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def classify_failure(exc: BaseException, path) -> StoreError | None:
    """A write failure as one line: disk full or read-only (nothing lost, run again later), or a
    damaged index (rebuilt by the next `index`). None when it is neither (a bug: let it show)."""
    from klein_app.errors import KleinError

    if isinstance(exc, KleinError):
        return exc
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code not in _DISK:
        # lance reports the OS error inside its message: "... No space left on device (os error 28)"
        found = re.search(r"os error (\d+)", text)
        code = int(found.group(1)) if found else None
    if code in _DISK:
        return DiskError(
            f"cannot write the index in {path}: {_DISK[code]}; nothing indexed so far is lost, "
            "run the same command again once there is room (it resumes where it stopped)"
        )
    if isinstance(exc, RuntimeError | OSError | ValueError) and ("lance" in text.lower() or "Not found" in text):
        from klein_app.index.store import lance_reason

        return BrokenIndex(
            f"the index at {path} is damaged ({lance_reason(exc)}); " "`klein-search index` rebuilds it from your files"
        )
    return None
