import numpy as np

import klein_model
from klein_model.similarity import paraphrase_mining_embeddings


def test_cos_sim_matches_definition():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 8)), rng.normal(size=(4, 8))
    expected = np.array([[x @ y / np.linalg.norm(x) / np.linalg.norm(y) for y in b] for x in a])
    np.testing.assert_allclose(klein_model.cos_sim(a, b), expected, atol=1e-5)
    assert klein_model.cos_sim(a[0], b).shape == (1, 4)


def test_semantic_search_ranks_best_first():
    corpus = np.eye(5, dtype=np.float32)
    query = np.array([[0.1, 0.9, 0.3, 0.0, 0.0]], dtype=np.float32)
    hits = klein_model.semantic_search(query, corpus, top_k=3)[0]
    assert [h["corpus_id"] for h in hits] == [1, 2, 0]
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert klein_model.semantic_search(query, corpus[:0], top_k=3) == [[]]


def test_paraphrase_mining_finds_planted_pairs():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(20, 16))
    emb = np.vstack([base, base[3] + 0.01, base[7] + 0.01])
    pairs = paraphrase_mining_embeddings(emb, threshold=0.99, top_k=5)
    found = {(i, j) for _, i, j in pairs}
    assert {(3, 20), (7, 21)} <= found
    assert all(i < j for _, i, j in pairs)


def test_paraphrase_mining_with_model(tiny):
    texts = ["same text here", "something else entirely", "same text here"]
    pairs = klein_model.paraphrase_mining(tiny, texts, threshold=0.999)
    assert pairs[0][1:] == (0, 2) and pairs[0][0] > 0.999
