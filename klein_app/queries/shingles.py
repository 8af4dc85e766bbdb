"""Word shingles: how much of one text's wording another text holds, and which texts are worth comparing.

A text's shingles are its runs of SHINGLE_WORDS consecutive words (case-folded letters and digits, so
reflowing, Markdown or HTML markup and line endings change nothing). The share of A found in B is
|shingles(A) & shingles(B)| / |shingles(A)|: a rewritten sentence costs the shingles it touches, a deleted
paragraph its own; two texts on the same topic in different words share almost none.

Candidate pairs come from a sample of the shingles (those whose hash falls in 1 of SAMPLE_EVERY buckets, so two
copies sample the same shingles): texts sharing sampled shingles are compared exactly. A sampled shingle found
in more than MAX_POSTING texts is boilerplate (a licence line, a template sentence) and proposes no pairs.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Sequence

from klein_app.queries.snippets import WORD

SHINGLE_WORDS = 4
SAMPLE_EVERY = 4
MAX_POSTING = 64


def words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(text)]


def shingles(text_or_words: str | Sequence[str]) -> set[int]:
    """The text's word 4-grams as 32-bit hashes (crc32: stable across runs, unlike hash())."""
    ws = words(text_or_words) if isinstance(text_or_words, str) else list(text_or_words)
    if not ws:
        return set()
    if len(ws) < SHINGLE_WORDS:
        return {zlib.crc32(" ".join(ws).encode())}
    return {zlib.crc32(" ".join(ws[i : i + SHINGLE_WORDS]).encode()) for i in range(len(ws) - SHINGLE_WORDS + 1)}


def shares(a: set[int], b: set[int]) -> tuple[float, float]:
    """(share of a's shingles in b, share of b's shingles in a)."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / len(a), common / len(b)


def candidate_pairs(sets: Sequence[set[int]], min_share: float, allowed=None) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, whose sampled shingles suggest that one may hold `min_share` of the other.

    `allowed(i, j)` may veto a pair (two passages of one file). The estimate is loose on purpose: callers
    compute exact shares for what comes back.
    """
    postings: dict[int, list[int]] = {}
    sampled = []
    for i, s in enumerate(sets):
        sample = [h for h in s if h % SAMPLE_EVERY == 0]
        sampled.append(len(sample))
        for h in sample:
            postings.setdefault(h, []).append(i)
    together: Counter = Counter()
    for ids in postings.values():
        if 1 < len(ids) <= MAX_POSTING:
            for x in range(len(ids)):
                for y in range(x + 1, len(ids)):
                    together[(ids[x], ids[y])] += 1
    out = []
    for (i, j), n in together.items():
        smaller = max(1, min(sampled[i], sampled[j]))
        # small samples are noisy: half the wanted share, or two shared samples, is enough to look closer
        if n >= min(2, smaller) and n / smaller >= min_share / 2 and (allowed is None or allowed(i, j)):
            out.append((i, j))
    return sorted(out)


def union(parts: Iterable[set[int]]) -> set[int]:
    out: set[int] = set()
    for part in parts:
        out |= part
    return out
