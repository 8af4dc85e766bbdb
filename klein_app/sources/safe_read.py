"""Reading a file that may have become anything since it was listed: never blocks, never unbounded.

Public API:
    open_regular(path, timeout=READ_SECONDS) -> context manager yielding a Handle
        opens with O_NONBLOCK (a FIFO or a device swapped in after the walk cannot block the open),
        then checks fstat on the opened descriptor: only a regular file is read
    Handle.read(n) -> bytes         up to n bytes, in pieces, within the handle's deadline
    Handle.size, Handle.mtime       from the fstat of the opened file
    read_bounded(path, max_bytes, timeout=READ_SECONDS) -> bytes   at most max_bytes + 1 bytes
    NotRegularFile, ReadTimedOut    both ReadErrors (the message is the skip reason)

The walk's stat and the read are two moments; between them a file can be replaced by a FIFO,
a socket or a device, and a plain open() of a FIFO blocks until a writer appears: forever,
with the writer lock held. The time bound is checked between pieces, so a slow network mount
costs at most one piece past the deadline.
"""

from __future__ import annotations

import os
import stat
import time
from contextlib import contextmanager

from klein_app.sources.readers import ReadError

READ_PIECE = 1 << 20
READ_SECONDS = 60.0
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


class NotRegularFile(ReadError):
    """The path is (now) a FIFO, socket, device or folder."""


class ReadTimedOut(ReadError):
    """Reading took longer than the bound (a hung mount, a file on a dying disk)."""


def file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISDIR(mode):
        return "folder"
    return "special file"


class Handle:
    def __init__(self, fd: int, st: os.stat_result, deadline: float):
        self.fd = fd
        self.size = st.st_size
        self.mtime = st.st_mtime
        self.deadline = deadline

    def read(self, n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            if time.monotonic() > self.deadline:
                raise ReadTimedOut("reading took too long (a slow or hung disk?); tried again on the next pass")
            try:
                piece = os.read(self.fd, min(READ_PIECE, n - got))
            except BlockingIOError:  # only a non-regular file can say this; fstat ruled that out
                raise NotRegularFile("not a regular file") from None
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
        return b"".join(parts)

    def rewind(self) -> None:
        os.lseek(self.fd, 0, os.SEEK_SET)


@contextmanager
def open_regular(path: str, timeout: float = READ_SECONDS):
    fd = os.open(path, _FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(f"not a regular file ({file_kind(st.st_mode)})")
        yield Handle(fd, st, time.monotonic() + timeout)
    finally:
        os.close(fd)


def read_bounded(path: str, max_bytes: int, timeout: float = READ_SECONDS) -> bytes:
    """At most max_bytes + 1 bytes of a regular file (one more than allowed tells "too large")."""
    with open_regular(path, timeout) as fh:
        return fh.read(max_bytes + 1)
