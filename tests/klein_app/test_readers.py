import codecs
import io

import pytest

from klein_app.sources.readers import ReadError, line_document, read_document


def make_pdf(pages: list[str], password: str | None = None) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    for text in pages:
        page = writer.add_blank_page(width=612, height=792)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_line_mapping():
    doc = line_document("one\ntwo\n\nfour\n")
    start = doc.text.index("two")
    assert doc.span_units(start, start + 3) == (2, 2)
    assert doc.span_units(0, len(doc.text)) == (1, 4)  # the trailing newline belongs to line 4
    assert doc.span_units(doc.text.index("four"), len(doc.text) - 1) == (4, 4)


@pytest.mark.parametrize(
    "data",
    [
        "héllo wörld".encode(),
        codecs.BOM_UTF8 + "héllo wörld".encode(),
        codecs.BOM_UTF16_LE + "héllo wörld".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "héllo wörld".encode("utf-16-be"),
    ],
)
def test_text_encodings(data):
    assert read_document("a.txt", data).text == "héllo wörld"


def test_latin1_is_detected_not_garbled():
    text = "Le café était très crème, déjà à l'été. " * 5
    doc = read_document("fr.txt", text.encode("cp1252"))
    assert "café" in doc.text and "été" in doc.text


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t\n", "no text"),
        ("nul.txt", b"text\x00with nul", "NUL"),
        ("utf16-no-bom.txt", "plain".encode("utf-16-le"), "NUL"),
        ("image.png", b"\x89PNG....", "binary file (.png)"),
        ("random.bin", bytes(range(256)) * 4, "binary"),
    ],
)
def test_bad_text_inputs_are_read_errors(name, data, reason):
    with pytest.raises(ReadError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_document(name, data)


def test_undecodable_bytes_are_skipped_or_decoded_never_crash():
    data = bytes([0x80, 0x81, 0xFE, 0xFF, 0xC3]) * 50
    try:
        doc = read_document("junk.txt", data)
    except ReadError:
        return
    assert isinstance(doc.text, str)


def test_html_text_only_with_source_lines():
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head>\n"
        "<body>\n<h1>Heading</h1>\n<script>var secret = 1;</script>\n"
        "<p>First paragraph\nspans two lines.</p>\n<p>Caf&eacute; &amp; tea</p>\n</body></html>\n"
    )
    doc = read_document("page.html", html.encode())
    assert "Heading" in doc.text and "Café & tea" in doc.text
    assert "secret" not in doc.text and "color" not in doc.text
    at = doc.text.index("spans")
    assert doc.span_units(at, at + 5) == (6, 6)
    at = doc.text.index("Café")
    assert doc.span_units(at, at + 4) == (7, 7)


def test_pdf_is_page_aware():
    doc = read_document("a.pdf", make_pdf(["Alpha page text", "Bravo page text", "Charlie page text"]))
    assert doc.unit == "page"
    at = doc.text.index("Bravo")
    assert doc.span_units(at, at + 5) == (2, 2)
    assert doc.span_units(0, len(doc.text)) == (1, 3)


def test_pdf_encrypted_corrupt_and_empty():
    with pytest.raises(ReadError, match="encrypted PDF"):
        read_document("e.pdf", make_pdf(["secret"], password="pw"))
    with pytest.raises(ReadError, match="unreadable PDF"):
        read_document("c.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF")
    with pytest.raises(ReadError, match="no extractable text"):
        read_document("blank.pdf", make_pdf([""]))


def test_docx_paragraphs_and_bad_docx():
    doc = read_document("a.docx", make_docx(["First para", "", "Second para"]))
    assert doc.unit == "paragraph"
    at = doc.text.index("Second")
    assert doc.span_units(at, at + 6) == (3, 3)
    with pytest.raises(ReadError, match="not a valid DOCX"):
        read_document("b.docx", b"plain text pretending")
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a word file")
    with pytest.raises(ReadError, match="not a valid DOCX"):
        read_document("c.docx", buf.getvalue())


def test_a_megabytes_long_line_is_skipped_but_long_text_is_not():
    with pytest.raises(ReadError, match="line longer than 1 MB"):
        read_document("min.js", b"x=1;" * 300_000)
    lines = ("a normal line of prose\n" * 60_000).encode()
    assert len(lines) > 1 << 20
    assert read_document("long.txt", lines).text.count("\n") == 60_000
