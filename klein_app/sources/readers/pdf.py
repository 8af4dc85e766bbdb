"""PDF -> text, page-aware: a chunk's start/end "lines" are page numbers."""

from __future__ import annotations

import io
import logging

from klein_app.sources.readers import Document, ReadError, block_document

# Bounds what one PDF can cost: pypdf itself caps each decompressed stream (75 MB by default).
MAX_TEXT_CHARS = 16 << 20


def read_pdf(data: bytes) -> Document:
    from pypdf import PdfReader

    # pypdf logs every recoverable oddity of real-world PDFs; those are not the user's problem
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise ReadError("encrypted PDF")
        pages = reader.pages
        n_pages = len(pages)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"unreadable PDF ({type(exc).__name__})") from None

    def page_texts():
        total = 0
        for number in range(1, n_pages + 1):
            try:
                text = pages[number - 1].extract_text() or ""
            except Exception:
                continue  # one broken page should not cost the rest of the document
            total += len(text)
            if total > MAX_TEXT_CHARS:
                # a small PDF can inflate to gigabytes of text (streams repeated across pages)
                raise ReadError(f"PDF text longer than {MAX_TEXT_CHARS >> 20} M characters (a PDF bomb?)")
            yield number, text.strip()

    return block_document(page_texts(), "page", "PDF has no extractable text")
