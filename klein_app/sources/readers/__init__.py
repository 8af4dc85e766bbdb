"""Turn a file's bytes into text, with a map from character offsets back to lines (or pages).

Public API:
    read_document(path, data: bytes, max_unpacked=...) -> Document
                                                     picks the reader by extension (and, for man pages,
                                                     content); `.gz` is unpacked first, at most
                                                     `max_unpacked` bytes (the max_file_mb setting)
    Document(text, offsets, units, unit)             unit is "line", "page" or "paragraph"
    doc.span_units(start, end) -> (first, last)      1-based, inclusive, for a chunk's [start, end)
    split_lines(text) -> list[str]                   line n is item n-1: the numbering the index stores
    read_path(path, max_bytes) -> Document           a file read from disk, for showing it (preview, compare)
    ReadError(reason)                                the file is skipped; str(reason) goes to `status`

Readers take bytes, not paths: the indexer reads a file once, hashes those bytes and indexes
exactly them, so the stored hash always describes the stored text even when the file changes
while being read.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from dataclasses import dataclass

# Raised whenever a reader reads some file differently (a fix, a new format): an index written by older
# readers re-reads every file once, and only chunks whose text changed are embedded again.
READERS_VERSION = 2


class ReadError(Exception):
    """This file cannot be indexed; the message is the skip reason."""


@dataclass
class Document:
    text: str
    offsets: list[int]  # sorted character offsets where a unit starts
    units: list[int]  # the unit number (1-based) starting at each offset
    unit: str = "line"

    def unit_at(self, offset: int) -> int:
        i = bisect_right(self.offsets, max(0, offset)) - 1
        return self.units[i] if i >= 0 else 1

    def span_units(self, start: int, end: int) -> tuple[int, int]:
        first = self.unit_at(start)
        return first, max(first, self.unit_at(max(start, end - 1)))


def block_document(blocks, unit: str, empty_reason: str) -> Document:
    """Join numbered blocks (pages, paragraphs) with blank lines; blank blocks are left out but keep
    their numbers, so a chunk maps back to the page or paragraph it came from."""
    parts, offsets, units = [], [], []
    length = 0
    for number, block in blocks:
        if not block.strip():
            continue
        if parts:
            parts.append("\n\n")
            length += 2
        offsets.append(length)
        units.append(number)
        parts.append(block)
        length += len(block)
    if not parts:
        raise ReadError(empty_reason)
    return Document("".join(parts), offsets, units, unit)


def split_lines(text: str) -> list[str]:
    """The lines of `text`, numbered from 1 as the index numbers them.

    Only "\n" ends a line (a "\r" before it stays with the line): str.splitlines() also breaks at \f, \v,
    \x1c-\x1e and \u2028, which would shift every later line number away from the stored chunks'.
    """
    return text.split("\n")


def line_document(text: str) -> Document:
    offsets = [0]
    for line in split_lines(text)[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    return Document(text, offsets, list(range(1, len(offsets) + 1)), "line")


# Formats that are never text; skipping them by name saves reading them.
BINARY_EXTENSIONS = frozenset(
    ".png .jpg .jpeg .gif .bmp .tif .tiff .webp .ico .heic .psd .mp3 .wav .flac .ogg .m4a .aac "
    ".mp4 .mkv .mov .avi .webm .zip .tgz .bz2 .xz .zst .7z .rar .tar .jar .war .whl .egg "
    ".exe .dll .so .dylib .o .a .lib .class .pyc .pyo .bin .dat .iso .img .dmg .deb .rpm .apk "
    ".woff .woff2 .ttf .otf .eot .sqlite .db .lance .parquet .arrow .npy .npz .pt .pth "
    ".safetensors .onnx .pkl .xls .xlsx .ppt .pptx .doc .ods .odp".split()
)


# A megabyte without a newline is machine output (minified code, data dumps, base64): slow to
# embed and useless to search.
MAX_LINE_BYTES = 1 << 20


def _longest_line(data: bytes) -> int:
    if len(data) <= MAX_LINE_BYTES:
        return len(data)
    longest, start = 0, 0
    while True:
        end = data.find(b"\n", start)
        if end == -1:
            return max(longest, len(data) - start)
        longest = max(longest, end - start)
        start = end + 1


def read_document(path: str, data: bytes, *, max_unpacked: int | None = None) -> Document:
    from klein_app.sources.readers.limits import DEFAULT_MAX_UNPACKED_BYTES, gunzip_bounded

    cap = DEFAULT_MAX_UNPACKED_BYTES if max_unpacked is None else max_unpacked
    name = path
    if name.lower().endswith(".gz"):
        name = name[:-3]
        if os.path.splitext(name)[1].lower() in (".tar", ".gz"):
            raise ReadError("archive (.tar.gz)")
        if not data:
            raise ReadError("empty file")
        data = gunzip_bounded(data, cap)
    ext = os.path.splitext(name)[1].lower()
    if ext in BINARY_EXTENSIONS:
        raise ReadError(f"binary file ({ext})")
    if not data:
        raise ReadError("empty file")
    if ext not in _PACKED and _longest_line(data) > MAX_LINE_BYTES:
        raise ReadError(f"a line longer than {MAX_LINE_BYTES >> 20} MB (generated or minified text)")
    doc = _read(name, ext, data, cap)
    if not doc.text.strip():
        raise ReadError("no text")
    return doc


_PACKED = frozenset((".pdf", ".docx", ".epub", ".odt"))


def _read(name: str, ext: str, data: bytes, cap: int) -> Document:
    if ext == ".pdf":
        from klein_app.sources.readers.pdf import read_pdf

        return read_pdf(data)
    if ext == ".docx":
        from klein_app.sources.readers.docx import read_docx

        return read_docx(data)
    if ext == ".epub":
        from klein_app.sources.readers.ebook import read_epub

        return read_epub(data, cap)
    if ext == ".odt":
        from klein_app.sources.readers.odt import read_odt

        return read_odt(data, cap)
    from klein_app.sources.readers.text import decode_text

    text = decode_text(data)
    if ext in (".html", ".htm", ".xhtml"):
        from klein_app.sources.readers.html import read_html

        return read_html(text)
    from klein_app.sources.readers.man import is_man_page, read_man

    if is_man_page(name, text):
        return read_man(text)
    return line_document(text)


def read_path(path: str, max_bytes: int | None = None) -> Document:
    """The document at `path` as the indexer reads it; ReadError when it is larger than `max_bytes`.

    OSError passes through (the file went away, no permission).
    """
    from klein_app.sources.safe_read import READ_SECONDS, read_bounded

    # bounded and non-blocking: a FIFO or a huge file in place of an indexed one must not hang the TUI
    limit = max_bytes if max_bytes is not None else 1 << 62
    data = read_bounded(path, limit, timeout=READ_SECONDS if max_bytes is None else 5.0)
    if len(data) > limit:
        raise ReadError(f"larger than {limit >> 20} MB")
    return read_document(path, data, max_unpacked=max_bytes)
