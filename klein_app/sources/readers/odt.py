"""ODT (OpenDocument text) -> text through odfpy (an optional dependency); a chunk's start/end "lines" are
paragraph numbers, headings and list items counting as paragraphs."""

from __future__ import annotations

import io

from klein_app.sources.readers import Document, ReadError, block_document
from klein_app.sources.readers.limits import check_zip_size


def read_odt(data: bytes, cap: int) -> Document:
    try:
        from odf import teletype
        from odf.namespaces import TEXTNS
        from odf.opendocument import load
    except ImportError:
        raise ReadError("ODT needs the optional odfpy package (pip install 'klein-search[formats]')") from None
    check_zip_size(data, cap, "ODT")
    try:
        document = load(io.BytesIO(data))
        blocks = [teletype.extractText(node) for node in _paragraphs(document.text, TEXTNS)]
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"not a valid ODT file ({type(exc).__name__})") from None
    return block_document(enumerate(blocks, start=1), "paragraph", "ODT has no text")


def _paragraphs(node, textns: str):
    """Headings and paragraphs in document order (a paragraph inside a table cell or list item included)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if getattr(current, "qname", None) in ((textns, "p"), (textns, "h")):
            yield current
            continue
        stack.extend(reversed(getattr(current, "childNodes", []) or []))
