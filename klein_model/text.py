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


def st_encode(encode, texts, batch_size: int, normalize: bool, dim, show_progress: bool, **st) -> object:
    """encode(texts, batch_size, normalize, dim, show_progress) -> float32 array, called with the
    sentence-transformers spellings in `st` resolved (normalize_embeddings, show_progress_bar, truncate_dim; not
    both spellings, differently), its result returned as sentence-transformers would: the array, a torch tensor
    (convert_to_tensor) or a list of 1-d tensors (convert_to_numpy=False)."""
    normalize = _alias("normalize", normalize, True, "normalize_embeddings", st.get("normalize_embeddings"))
    show_progress = _alias("show_progress", show_progress, False, "show_progress_bar", st.get("show_progress_bar"))
    dim = _alias("dim", dim, None, "truncate_dim", st.get("truncate_dim"))
    result = encode(texts, batch_size, normalize, dim, show_progress)
    if not st.get("convert_to_tensor") and st.get("convert_to_numpy", True):
        return result
    import torch

    tensor = torch.from_numpy(result)
    if st.get("convert_to_tensor"):
        return tensor
    return tensor if result.ndim == 1 else list(tensor)


def _alias(name: str, value, default, st_name: str, st_value):
    if st_value is None:
        return value
    if value != default and value != st_value:
        raise TypeError(f"encode() got {name}={value!r} and {st_name}={st_value!r}; give one of them")
    return st_value
