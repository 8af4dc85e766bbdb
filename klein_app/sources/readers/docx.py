"""DOCX -> text; a chunk's start/end "lines" are paragraph numbers (tables count as paragraphs)."""

from __future__ import annotations

import io

from klein_app.sources.readers import Document, ReadError, block_document

# What a DOCX may unpack to. python-docx holds every part in memory and parses the XML into an lxml
# tree several times its size, so the bound is on the members' declared sizes: zipfile never inflates a
# member past its declared size (a member that lies fails its CRC), so these bound the actual bytes too.
MAX_UNPACKED_BYTES = 48 << 20
MAX_XML_BYTES = 24 << 20


def check_members(data: bytes, what: str = "DOCX") -> None:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"not a valid {what} file ({type(exc).__name__})") from None
    xml = sum(i.file_size for i in infos if i.filename.endswith((".xml", ".rels")))
    total = sum(i.file_size for i in infos)
    if xml > MAX_XML_BYTES or total > MAX_UNPACKED_BYTES:
        raise ReadError(
            f"{what} unpacks to more than {max(total, xml) >> 20} MB (at most {MAX_UNPACKED_BYTES >> 20} MB, "
            f"{MAX_XML_BYTES >> 20} MB of XML); a zip bomb or a document too large to read safely"
        )


def read_docx(data: bytes) -> Document:
    import zipfile

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ReadError("not a valid DOCX file (not a zip archive)")
    check_members(data)
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
