"""Token-aware chunking with character spans into the original text.

Windows hold at most `max_tokens` including <s> and </s>, prefer to end at a paragraph, then a line,
then a sentence, then a word boundary, and overlap by about `overlap` tokens. Every non-whitespace
character of the input lies in at least one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from klein_model.text import clean_text

SPECIALS_PER_SEQUENCE = 2  # <s> and </s>


@dataclass(frozen=True)
class Chunk:
    text: str  # == original[start:end]
    start: int
    end: int
    n_tokens: int  # content tokens, without <s> </s>


def count_tokens(tokenizer, text: str) -> int:
    return len(tokenizer.encode(clean_text(text), add_special_tokens=False).ids)


def chunk_text(tokenizer, text: str, max_tokens: int = 128, overlap: int = 16) -> list[Chunk]:
    budget = max_tokens - SPECIALS_PER_SEQUENCE
    if budget < 8:
        raise ValueError(f"max_tokens must be at least {8 + SPECIALS_PER_SEQUENCE}, got {max_tokens}")
    if not 0 <= overlap <= budget // 2:
        raise ValueError(f"overlap must be between 0 and {budget // 2} for max_tokens={max_tokens}, got {overlap}")
    clean = clean_text(text)
    if not clean.strip():
        return []
    offsets = tokenizer.encode(clean, add_special_tokens=False).offsets
    n = len(offsets)
    chunks: list[Chunk] = []
    i = 0
    while i < n:
        cut = n if n - i <= budget else _best_cut(clean, offsets, i, i + budget)
        while True:
            start, end = _strip(clean, offsets[i][0], offsets[cut - 1][1])
            piece = text[start:end]
            n_tokens = count_tokens(tokenizer, piece) if piece else 0
            # Re-tokenising a slice can merge differently at its edges; shrink until it fits.
            if n_tokens <= budget or cut - i <= 1:
                break
            cut -= max(1, (n_tokens - budget))
        if piece:
            chunks.append(Chunk(text=piece, start=start, end=end, n_tokens=n_tokens))
        if cut >= n:
            break
        i = _next_start(clean, offsets, i, cut, overlap)
    return chunks


def _boundary_score(clean: str, offsets, k: int) -> float:
    """How good a place it is to end a chunk before token k (higher is better)."""
    prev_end = offsets[k - 1][1]
    gap_end = offsets[k][1]
    gap = clean[prev_end:gap_end]
    ws = gap[: len(gap) - len(gap.lstrip())]
    if "\n\n" in ws or "\n\r\n" in ws:
        return 4.0
    if "\n" in ws:
        return 3.0
    if ws and prev_end > 0 and clean[prev_end - 1] in ".!?;:。！？।":
        return 2.0
    if ws:
        return 1.0
    return 0.0


def _best_cut(clean: str, offsets, i: int, limit: int) -> int:
    """Pick the cut in the back half of the window with the best boundary; latest wins ties."""
    lo = i + max(1, (limit - i) // 2)
    best_k, best_score = limit, -1.0
    for k in range(limit, lo - 1, -1):
        score = _boundary_score(clean, offsets, k)
        if score > best_score:
            best_k, best_score = k, score
            if score >= 4.0:
                break
    return best_k


def _next_start(clean: str, offsets, i: int, cut: int, overlap: int) -> int:
    if overlap <= 0:
        return cut
    first = max(i + 1, cut - overlap)
    # Start the overlap at a word boundary so the next chunk does not open mid-word.
    for t in range(first, cut):
        s = offsets[t][0]
        if s == 0 or clean[s].isspace() or clean[s - 1].isspace():
            return t
    return cut


def _strip(clean: str, start: int, end: int) -> tuple[int, int]:
    while start < end and clean[start].isspace():
        start += 1
    while end > start and clean[end - 1].isspace():
        end -= 1
    return start, end
