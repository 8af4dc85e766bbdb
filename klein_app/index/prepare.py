"""One file, from disk to chunk rows waiting for vectors; and the bookkeeping around that.

Public API (used by indexer.py):
    prepare_file(entry, old_row, settings, model, rechunk) -> Prepared
        reads the bytes once, hashes them, decides "same" (content unchanged), "skipped", "error",
        "gone" or "indexed" (rows to embed); never raises for a bad file
    outcome_stands(old_row) -> bool   whether an unchanged file's last outcome holds (else it is read again)
    read_file(...) and chunk_file(...)   its two halves, for engines that hash in one process and
        chunk in another (klein_app/index/ray_engine.py)
    Prepared       a file on its way through the pipeline
    file_row(...)  a `files` table row
    chunk_hash(text) -> str
    Budget, weight(prepared)   how many chunks the reader may hold ahead of the writer
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from klein_app.sources.walk import Entry

log = logging.getLogger(__name__)


def chunk_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).hexdigest()


@dataclass
class Prepared:
    entry: Entry
    status: str  # "indexed", "same" (content unchanged), "skipped", "error", "gone"; "read" in between
    reason: str = ""
    sha: str = ""
    size: int = 0
    rows: list = field(default_factory=list)  # chunk rows without vectors
    vectors: list = field(default_factory=list)  # one per row, None until embedded
    missing: int = 0
    old: dict | None = None  # the files row before this run


def prepare_file(
    entry: Entry, old: dict | None, settings, model, rechunk: bool, *, check_secrets: bool = True
) -> Prepared:
    item, data = read_file(entry, old, settings, rechunk)
    return item if data is None else chunk_file(item, data, settings, model, check_secrets=check_secrets)


def read_file(entry: Entry, old: dict | None, settings, rechunk: bool) -> tuple[Prepared, bytes | None]:
    """Read and hash a file. With bytes, it needs chunking (status "read"); else the Prepared is final."""
    from klein_app.sources.safe_read import NotRegularFile, ReadTimedOut, read_bounded

    cap = settings.max_file_bytes
    try:
        data = read_bounded(entry.path, cap)
    except FileNotFoundError:
        return Prepared(entry, "gone"), None
    except PermissionError:
        return Prepared(entry, "skipped", "permission denied"), None
    except IsADirectoryError:
        return Prepared(entry, "gone"), None
    except NotRegularFile as exc:
        return Prepared(entry, "skipped", str(exc)), None
    except ReadTimedOut as exc:
        return Prepared(entry, "error", str(exc)), None
    except OSError as exc:
        return Prepared(entry, "error", f"cannot read ({exc.strerror or exc})"), None
    if len(data) > cap:
        return Prepared(entry, "skipped", f"larger than {settings.max_file_mb:g} MB", size=len(data)), None
    sha = hashlib.sha256(data).hexdigest()
    if old is not None and old["sha256"] == sha and not rechunk and outcome_stands(old):
        return Prepared(entry, "same", old["skip_reason"], sha=sha, size=len(data), old=old), None
    return Prepared(entry, "read", sha=sha, size=len(data)), data


def chunk_file(item: Prepared, data: bytes, settings, model, *, check_secrets: bool = True) -> Prepared:
    """Decode and chunk what read_file() returned: chunk rows waiting for vectors, or why there are none."""
    from klein_app.sources.readers import ReadError, read_document
    from klein_app.sources.secrets import find_secret

    entry, sha = item.entry, item.sha
    if entry.real and os.path.realpath(entry.path) != entry.real:
        # a link retargeted (or a folder swapped for a link) since the walk approved the path
        return Prepared(entry, "error", "the path changed while being indexed; tried again on the next pass")
    try:
        doc = read_document(entry.path, data, max_unpacked=settings.max_file_bytes)
        if check_secrets:
            secret = find_secret(doc.text)
            if secret:
                return Prepared(
                    entry, "skipped", secret + "; add the path to `include` to index it anyway", sha=sha, size=len(data)
                )
        chunks = chunk_in_windows(model, doc.text, settings.chunk_tokens, settings.overlap_tokens)
    except ReadError as exc:
        return Prepared(entry, "skipped", str(exc), sha=sha, size=len(data))
    except Exception as exc:  # a reader bug must cost one file, never the run
        log.exception("reading %s failed", entry.path)
        return Prepared(entry, "error", f"cannot read ({type(exc).__name__}: {exc})"[:200], sha=sha, size=len(data))
    if not chunks:
        return Prepared(entry, "skipped", "no text", sha=sha, size=len(data))
    fp = model.fingerprint
    rows = []
    for i, c in enumerate(chunks):
        first, last = doc.span_units(c.start, c.end)
        rows.append(
            {
                "path": entry.path,
                "chunk_index": i,
                "start_line": first,
                "end_line": last,
                "text": c.text,
                "chunk_hash": chunk_hash(c.text),
                "file_sha256": sha,
                "model_fingerprint": fp,
            }
        )
    return Prepared(entry, "indexed", sha=sha, size=len(data), rows=rows, vectors=[None] * len(rows))


# The tokenizer keeps a record per token of the text it is given (offsets, ids, masks): hundreds of
# bytes each, so a 4 MB log chunked in one call peaked at 2 GB. Windows of this many characters,
# cut at a line end, bound that to a few tens of MB whatever the file's size.
WINDOW_CHARS = 1 << 18


def chunk_in_windows(model, text: str, max_tokens: int, overlap: int) -> list:
    """model.chunk() over windows of the text; spans stay offsets into the whole text. Chunks do not
    overlap across a window's edge (one seam every WINDOW_CHARS characters)."""
    if len(text) <= WINDOW_CHARS:
        return model.chunk(text, max_tokens, overlap)
    from klein_model import Chunk

    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + WINDOW_CHARS)
        if end < len(text):
            cut = text.rfind("\n", start + WINDOW_CHARS // 2, end)
            end = cut + 1 if cut != -1 else end
        for c in model.chunk(text[start:end], max_tokens, overlap):
            out.append(Chunk(text=c.text, start=c.start + start, end=c.end + start, n_tokens=c.n_tokens))
        start = end
    return out


def outcome_stands(old: dict) -> bool:
    """Whether an unchanged file's old outcome stands. A skip by file type is retried: a newer version may
    read the type (".gz", ".epub" and ".odt" were once skipped as binary), and the check costs nothing."""
    if old["status"] == "indexed":
        return True
    return old["status"] == "skipped" and not (old["skip_reason"] or "").startswith("binary file (.")


def weight(item: Prepared) -> int:
    return max(1, len(item.rows))


class Budget:
    """Chunks held between the reader thread and the writer; the reader waits when it is spent."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self.closed = False
        self.waiting = False  # the reader is blocked: the writer should flush what it has
        self.cond = threading.Condition()

    def acquire(self, n: int) -> bool:
        with self.cond:
            # one file bigger than the whole budget still goes through, alone
            while not self.closed and self.used and self.used + n > self.limit:
                self.waiting = True
                self.cond.wait(0.2)
            self.waiting = False
            self.used += n
            return not self.closed

    def release(self, n: int) -> None:
        with self.cond:
            self.used = max(0, self.used - n)
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


def file_row(entry: Entry, status: str, reason: str, sha: str = "", size: int | None = None, n_chunks: int = 0) -> dict:
    return {
        "path": entry.path,
        "folder": entry.folder,
        "size": entry.size if size is None else size,
        "mtime": entry.mtime,
        "sha256": sha,
        "status": status,
        "skip_reason": reason,
        "n_chunks": n_chunks,
        "indexed_at": time.time(),
    }
