"""DOCX -> text; a chunk's start/end "lines" are paragraph numbers (tables count as paragraphs)."""

from __future__ import annotations

import io

from klein_app.sources.readers import Document, ReadError, block_document


def read_docx(data: bytes) -> Document:
    import zipfile

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ReadError("not a valid DOCX file (not a zip archive)")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        blocks = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                blocks.append(" | ".join(cell.text for cell in row.cells))
    except Exception as exc:
        raise ReadError(f"not a valid DOCX file ({type(exc).__name__})") from None
    return block_document(enumerate(blocks, start=1), "paragraph", "no text")
