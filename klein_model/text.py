"""Text hygiene shared by encoding and chunking."""

from collections.abc import Sequence


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


def text_items(texts: str | Sequence[str]) -> tuple[bool, list[str]]:
    """encode()'s input as (whether one str was given, the list of texts); TypeError for a non-str item."""
    single = isinstance(texts, str)
    items = [texts] if single else list(texts)
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"encode expects str items, item {i} is {type(t).__name__}")
    return single, items
