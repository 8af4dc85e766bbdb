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


def st_alias(name: str, value, default, st_name: str, st_value):
    """The value of an encode() parameter given under our name or the sentence-transformers one (not both,
    differently)."""
    if st_value is None:
        return value
    if value != default and value != st_value:
        raise TypeError(f"encode() got {name}={value!r} and {st_name}={st_value!r}; give one of them")
    return st_value


def st_output(result, *, convert_to_numpy: bool = True, convert_to_tensor: bool = False):
    """encode()'s float32 array as sentence-transformers would return it: the array, a torch tensor
    (convert_to_tensor), or a list of 1-d tensors (convert_to_numpy=False)."""
    if not convert_to_tensor and convert_to_numpy:
        return result
    import torch

    tensor = torch.from_numpy(result)
    if convert_to_tensor:
        return tensor
    return tensor if result.ndim == 1 else list(tensor)
