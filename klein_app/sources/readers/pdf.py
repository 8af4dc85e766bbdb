"""PDF -> text, page-aware: a chunk's start/end "lines" are page numbers."""

from __future__ import annotations

import io
import logging

from klein_app.sources.readers import Document, ReadError, block_document


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
        for number in range(1, n_pages + 1):
            try:
                text = pages[number - 1].extract_text() or ""
            except Exception:
                continue  # one broken page should not cost the rest of the document
            yield number, text.strip()

    return block_document(page_texts(), "page", "PDF has no extractable text")
