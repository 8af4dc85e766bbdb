"""One file, from disk to chunk rows waiting for vectors; and the bookkeeping around that.

Public API (used by indexer.py):
    prepare_file(entry, old_row, settings, model, rechunk) -> Prepared
        reads the bytes once, hashes them, decides "same" (content unchanged), "skipped", "error",
        "gone" or "indexed" (rows to embed); never raises for a bad file
    Prepared       a file on its way through the pipeline
    file_row(...)  a `files` table row
    chunk_hash(text) -> str
    Budget, weight(prepared)   how many chunks the reader may hold ahead of the writer
"""

from __future__ import annotations

import hashlib
import logging
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
    status: str  # "indexed", "same" (content unchanged), "skipped", "error", "gone"
    reason: str = ""
    sha: str = ""
    size: int = 0
    rows: list = field(default_factory=list)  # chunk rows without vectors
    vectors: list = field(default_factory=list)  # one per row, None until embedded
    missing: int = 0
    old: dict | None = None  # the files row before this run


def prepare_file(entry: Entry, old: dict | None, settings, model, rechunk: bool) -> Prepared:
    from klein_app.sources.readers import ReadError, read_document

    cap = settings.max_file_bytes
    try:
        with open(entry.path, "rb") as fh:
            data = fh.read(cap + 1)
    except FileNotFoundError:
        return Prepared(entry, "gone")
    except PermissionError:
        return Prepared(entry, "skipped", "permission denied")
    except IsADirectoryError:
        return Prepared(entry, "gone")
    except OSError as exc:
        return Prepared(entry, "error", f"cannot read ({exc.strerror or exc})")
    if len(data) > cap:
        return Prepared(entry, "skipped", f"larger than {settings.max_file_mb:g} MB", size=len(data))
    sha = hashlib.sha256(data).hexdigest()
    if old is not None and old["sha256"] == sha and old["status"] in ("indexed", "skipped") and not rechunk:
        return Prepared(entry, "same", old["skip_reason"], sha=sha, size=len(data), old=old)
    try:
        doc = read_document(entry.path, data)
        chunks = model.chunk(doc.text, settings.chunk_tokens, settings.overlap_tokens)
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
