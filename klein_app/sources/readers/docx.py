"""DOCX -> text; a chunk's start/end "lines" are paragraph numbers (tables count as paragraphs)."""

from __future__ import annotations

import io

from klein_app.sources.readers import Document, ReadError


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
    parts, offsets, units = [], [], []
    length = 0
    for number, block in enumerate(blocks, start=1):
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
        raise ReadError("no text")
    return Document("".join(parts), offsets, units, "paragraph")
