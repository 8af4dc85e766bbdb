"""Text hygiene shared by encoding and chunking."""


def clean_text(text: str) -> str:
    """Make any str safe for the tokenizer without moving character offsets.

    Lone surrogates cannot be encoded as UTF-8; each becomes one '?', so spans stay valid.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
