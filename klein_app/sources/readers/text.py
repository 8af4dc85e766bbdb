"""Bytes -> str for plain text, code and Markdown: BOMs first, then UTF-8, then charset detection."""

from __future__ import annotations

import codecs

from klein_app.sources.readers import ReadError

_BOMS = (
    # UTF-32 before UTF-16: the UTF-32-LE BOM begins with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if b"\x00" in data:
        # UTF-16 without a BOM is indistinguishable from binary often enough that guessing
        # would index garbage; NUL bytes mean "not text" here
        raise ReadError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is None or best.encoding is None:
        raise ReadError("not valid UTF-8 and no other text encoding fits")
    try:
        return data.decode(best.encoding, errors="replace")
    except LookupError:
        raise ReadError(f"unsupported text encoding {best.encoding}") from None
