"""Bounded memory: DOCX zip bombs and PDF text bombs are skipped with a reason; huge texts are chunked in
windows. (bench/hostile_folder.py measures peak RSS on the large versions.)"""

import io
import resource
import struct
import zipfile

import pytest
from test_readers import make_docx, make_pdf

from klein_app.index.prepare import WINDOW_CHARS, chunk_in_windows
from klein_app.sources.readers import ReadError, read_document


def docx_bomb(xml_mb: int) -> bytes:
    """A well-formed DOCX whose document.xml inflates to xml_mb MB (a few tens of KB compressed)."""
    src = zipfile.ZipFile(io.BytesIO(make_docx(["cover page"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                head, tail = data.split(b"</w:body>")
                para = b"<w:p><w:r><w:t>" + b"A" * 1000 + b"</w:t></w:r></w:p>"
                data = head + para * (xml_mb * 1024) + b"</w:body>" + tail
            dst.writestr(item, data)
    return out.getvalue()


def test_docx_bomb_is_skipped_without_inflating(tmp_path):
    bomb = docx_bomb(64)
    assert len(bomb) < 1 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ReadError, match="unpacks to more than"):
        read_document("bomb.docx", bomb)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 32  # the 64 MB of XML were never inflated


def test_docx_whose_sizes_lie_is_skipped(tmp_path):
    """Central directory says 1 KB, the stream inflates to 8 MB: zipfile stops at the declared size."""
    data = bytearray(docx_bomb(8))
    cd = data.rfind(b"PK\x01\x02")
    while cd != -1:
        name_len = struct.unpack_from("<H", data, cd + 28)[0]
        name = bytes(data[cd + 46 : cd + 46 + name_len])
        if name == b"word/document.xml":
            struct.pack_into("<I", data, cd + 24, 1024)  # uncompressed size
        cd = data.rfind(b"PK\x01\x02", 0, cd)
    with pytest.raises(ReadError, match="not a valid DOCX"):
        read_document("liar.docx", bytes(data))


def test_ordinary_docx_still_reads():
    assert "Second" in read_document("a.docx", make_docx(["First", "Second"])).text


def test_pdf_text_cap(monkeypatch):
    import klein_app.sources.readers.pdf as pdf

    monkeypatch.setattr(pdf, "MAX_TEXT_CHARS", 50)
    with pytest.raises(ReadError, match="PDF text longer than"):
        read_document("big.pdf", make_pdf(["page one has some words"] * 5))
    monkeypatch.setattr(pdf, "MAX_TEXT_CHARS", 10_000)
    assert read_document("ok.pdf", make_pdf(["page one has some words"] * 5)).text


def test_huge_text_is_chunked_in_windows_with_exact_spans(tiny_model):
    text = "".join(f"log line {i}: service {i % 7} answered request {i * 31 % 997}\n" for i in range(12_000))
    assert len(text) > 2 * WINDOW_CHARS
    chunks = chunk_in_windows(tiny_model, text, 64, 8)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert all(c.n_tokens <= 62 for c in chunks)
    covered = sum(len(c.text) for c in chunks)
    assert covered >= len(text.replace("\n", "")) * 0.99  # every line lands in some chunk
    assert chunks[-1].end == len(text.rstrip("\n"))
