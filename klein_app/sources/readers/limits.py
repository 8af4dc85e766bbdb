"""One bound on how much text a packed file may unpack to, shared by every reader that decompresses.

A few kilobytes of gzip (or of a zip member inside DOCX, EPUB, ODT) can expand to gigabytes. Readers stream
through `read_bounded` and stop one byte past the cap, so a bomb costs at most the cap in memory and time.
The cap is the user's `max_file_mb` setting: a packed file may unpack to no more than a plain file may be.
"""

from __future__ import annotations

import gzip
import io
import zlib

from klein_app.sources.readers import ReadError

DEFAULT_MAX_UNPACKED_BYTES = 10 * 1024 * 1024  # Settings.max_file_mb's default, for callers without settings
_PIECE = 1 << 16


def read_bounded(stream, cap: int, what: str) -> bytes:
    """All of `stream` (a binary file object), or ReadError when it holds more than `cap` bytes."""
    parts, total = [], 0
    while True:
        piece = stream.read(min(_PIECE, cap + 1 - total))
        if not piece:
            return b"".join(parts)
        parts.append(piece)
        total += len(piece)
        if total > cap:
            raise ReadError(f"{what} larger than {_size(cap)} when unpacked")


def check_zip_size(data: bytes, cap: int, what: str) -> None:
    """ReadError when the members of a zip archive (DOCX, EPUB, ODT) declare more than `cap` bytes in all.

    zipfile never reads a member past its declared size, so the declared sizes bound what a reader can unpack.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"not a valid {what} file ({type(exc).__name__})") from None
    if total > cap:
        raise ReadError(f"{what} larger than {_size(cap)} when unpacked")


def gunzip_bounded(data: bytes, cap: int) -> bytes:
    """The decompressed bytes of a gzip file, at most `cap` of them."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return read_bounded(stream, cap, "gzip content")
    except (OSError, EOFError, zlib.error) as exc:
        raise ReadError(f"not a valid gzip file ({type(exc).__name__})") from None


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"
