"""Snippets: a short window of a chunk with the query's terms marked.

A snippet is plain text plus highlight spans (character offsets into that text), so a TUI can build a Rich
`Text` with `text.stylize(style, start, end)` and a CLI can print `[marked]` terms with `Snippet.marked()`.
Matching is deliberately loose (case-folded words, a light suffix strip), since the full-text index stems too.
"""

from __future__ import annotations

import re

import regex

from klein_app.queries.results import Snippet

# Letters, digits and combining marks, by Unicode category: Python's \w leaves the marks out, which splits
# Devanagari, Thai or Tamil words ("परीक्षण" must stay one word); the full-text index's tokenizer keeps them.
WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")
_SPACE = re.compile(r"\s+")
# Spans split only by one of these are shown as one mark: "ERR_4711", "foo.bar", "x-ray".
_JOINERS = {"_", "-", ".", "/", ":"}
_STOPWORDS = frozenset(
    "a about all also an and any are as at be been but by can could did do does for from had has have he her "
    "his how i if in into is it its me my no not of on one or our so some than that the their them then there "
    "these they this those to us was we were what when where which who why will with would you your".split()
)
_SUFFIXES = ("ingly", "edly", "ing", "ies", "ied", "ed", "es", "ly", "s")
ELLIPSIS = "…"


def stem(word: str) -> str:
    """A crude suffix strip; enough to match "indexing" with "indexed" for highlighting."""
    word = word.casefold()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def query_terms(query: str) -> list[str]:
    """The distinct, case-folded words of a query worth highlighting, in order of first appearance."""
    terms: list[str] = []
    for match in WORD.finditer(query):
        word = match.group().casefold()
        if word in _STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if word not in terms:
            terms.append(word)
    return terms


def find_term_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Character spans in `text` of words matching any term, merged where only a joiner separates them."""
    if not terms:
        return []
    wanted = {t for t in terms} | {stem(t) for t in terms}
    spans = [
        (m.start(), m.end()) for m in WORD.finditer(text) if m.group().casefold() in wanted or stem(m.group()) in wanted
    ]
    # Scripts written without spaces (CJK, Thai) form one long "word": fall back to substring search.
    folded = text.casefold()
    for term in terms:
        if not term.isascii() and len(term) >= 2:
            spans.extend((m.start(), m.end()) for m in re.finditer(re.escape(term), folded))
    return _merge(sorted(spans), text)


def _merge(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged:
            prev_start, prev_end = merged[-1]
            if start <= prev_end or (start - prev_end == 1 and text[prev_end] in _JOINERS):
                merged[-1] = (prev_start, max(prev_end, end))
                continue
        merged.append((start, end))
    return merged


def make_snippet(text: str, query: str, *, width: int = 240) -> Snippet:
    """The `width`-character window of `text` (whitespace collapsed) holding the most query-term matches."""
    flat = _SPACE.sub(" ", text).strip()
    spans = find_term_spans(flat, query_terms(query))
    if len(flat) <= width:
        return Snippet(flat, spans)
    start = _best_window_start(spans, len(flat), width)
    end = min(len(flat), start + width)
    # Move the cut points to word boundaries so no word is shown half.
    if start > 0:
        space = flat.find(" ", start, start + 20)
        start = space + 1 if space != -1 else start
    if end < len(flat):
        space = flat.rfind(" ", end - 20, end)
        end = space if space > start else end
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(flat) else ""
    shift = len(prefix) - start
    kept = [(max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start]
    return Snippet(prefix + flat[start:end] + suffix, kept)


def _best_window_start(spans: list[tuple[int, int]], length: int, width: int) -> int:
    """Start of the window covering the most spans; a little context before the first one."""
    if not spans:
        return 0
    best_start, best_count = 0, -1
    right = 0
    for left in range(len(spans)):
        while right < len(spans) and spans[right][1] - spans[left][0] <= width:
            right += 1
        count = right - left
        if count > best_count:
            best_count, best_start = count, spans[left][0]
    # Show some text before the first match so it reads as a sentence, not a fragment.
    lead = min(width // 4, 60)
    return max(0, min(best_start - lead, length - width))
