"""EPUB -> text through ebooklib (an optional dependency); a chunk's start/end "lines" are chapter numbers.

Chapters are read in reading (spine) order; each chapter's XHTML goes through the HTML reader, so scripts,
styles and markup are dropped the same way as for .html files.
"""

from __future__ import annotations

import io
import logging
import warnings

from klein_app.sources.readers import Document, ReadError, block_document
from klein_app.sources.readers.html import read_html
from klein_app.sources.readers.limits import check_zip_size


def read_epub(data: bytes, cap: int) -> Document:
    try:
        import ebooklib
        from ebooklib import epub
    except ImportError:
        raise ReadError("EPUB needs the optional ebooklib package (pip install 'klein-search[formats]')") from None
    check_zip_size(data, cap, "EPUB")
    logging.getLogger("ebooklib").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about its own future defaults
            book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
        by_id = {item.get_id(): item for item in book.get_items_of_type(ebooklib.ITEM_DOCUMENT)}
        order = [by_id[i] for i, _linear in book.spine if i in by_id] or list(by_id.values())
        chapters = [read_html(item.get_content().decode("utf-8", errors="replace")).text for item in order]
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"not a valid EPUB file ({type(exc).__name__})") from None
    return block_document(((n, _tidy(t)) for n, t in enumerate(chapters, start=1)), "chapter", "EPUB has no text")


def _tidy(text: str) -> str:
    """Collapse the blank lines HTML block tags leave behind."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
