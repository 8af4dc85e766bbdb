"""Model2Vec-style start for the student's token embeddings.

Each vocabulary token's text goes through the teacher on its own; the mean-pooled outputs are reduced with PCA to
the student's width and scaled down for frequent tokens (SIF: a / (a + p(token))), so that the embedding table
already places tokens where the teacher does before any training step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np


def token_texts(tokenizer) -> list[str]:
    """The surface text of every token id (byte-level pieces decode to text; specials to '')."""
    n = tokenizer.get_vocab_size()
    return [tokenizer.decode([i], skip_special_tokens=True).strip() for i in range(n)]


def token_frequencies(tokenizer, texts: Sequence[str], limit: int = 200_000) -> np.ndarray:
    counts: Counter[int] = Counter()
    for enc in tokenizer.encode_batch(list(texts[:limit]), add_special_tokens=False):
        counts.update(enc.ids)
    freq = np.zeros(tokenizer.get_vocab_size(), dtype=np.float64)
    for i, c in counts.items():
        freq[i] = c
    return freq / max(freq.sum(), 1.0)


def static_embeddings(
    tokenizer,
    teacher,
    dim: int,
    texts: Sequence[str] = (),
    sif_a: float = 1e-3,
    row_norm: float = 1.0,
    batch_size: int = 256,
    seed: int = 0,
) -> np.ndarray:
    """(vocab, dim) float32 table for the student's word embeddings."""
    from sklearn.decomposition import PCA

    strings = token_texts(tokenizer)
    raw = teacher.encode(strings, batch_size=batch_size, normalize=False)
    n_comp = min(dim, raw.shape[1], raw.shape[0])
    reduced = PCA(n_components=n_comp, random_state=seed).fit_transform(raw.astype(np.float64))
    table = np.zeros((len(strings), dim), dtype=np.float64)
    table[:, :n_comp] = reduced
    if n_comp < dim:  # the student is wider than the teacher: small noise in the spare dimensions
        table[:, n_comp:] = np.random.default_rng(seed).normal(0, reduced.std() * 0.1, (len(strings), dim - n_comp))
    if len(texts):
        weights = sif_a / (sif_a + token_frequencies(tokenizer, texts))
        table *= weights[:, None]
    empty = np.array([s == "" for s in strings])
    table[empty] = np.random.default_rng(seed).normal(0, 0.02, (int(empty.sum()), dim))
    # scale to the norm a pretrained word-embedding row has, so position embeddings (std 0.02) stay minor
    norms = np.linalg.norm(table[~empty], axis=1).mean()
    table *= row_norm / max(norms, 1e-12)
    return table.astype(np.float32)
