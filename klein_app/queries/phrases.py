"""Quoted phrases in a query: `"recursive downloading"` must appear in a hit as written, its words in order.

The full-text index is built without word positions (a positional index is larger and slower to build), so a
phrase is enforced in two steps: the full-text query requires each of its words, and the chunk text is then
checked for the words in sequence, with only spaces or punctuation between them. The check runs on every
candidate, vector hits included, so no mode returns a chunk without the phrase.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from klein_app.queries.snippets import WORD

# Straight and typographic double quotes; an unpaired quote is left as an ordinary character.
_QUOTED = regex.compile(r'"([^"]*)"|“([^”]*)”')
_GAP = r"[^\p{L}\p{N}\p{M}]+"


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # the query without its quote marks: what the model embeds and the full-text index ranks
    phrases: tuple[str, ...] = ()  # each quoted part with at least one word, as typed

    def matches(self, text: str) -> bool:
        """Whether `text` holds every phrase."""
        return all(_pattern(p).search(text) for p in self.phrases)


def parse_query(query: str) -> ParsedQuery:
    phrases = []
    for match in _QUOTED.finditer(query):
        inner = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if WORD.search(inner) and inner not in phrases:
            phrases.append(inner)
    text = _QUOTED.sub(lambda m: " " + (m.group(1) if m.group(1) is not None else m.group(2)) + " ", query)
    return ParsedQuery(" ".join(text.split()), tuple(phrases))


@lru_cache(maxsize=256)
def _pattern(phrase: str) -> regex.Pattern:
    words = WORD.findall(phrase)
    # not inside a longer word at either end: "download" must not match "downloads" as a phrase end
    body = _GAP.join(map(regex.escape, words))
    return regex.compile(r"(?<![\p{L}\p{N}\p{M}])" + body + r"(?![\p{L}\p{N}\p{M}])", regex.IGNORECASE)
