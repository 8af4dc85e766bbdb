import numpy as np

from klein_app.queries.neighbours import normalise_rows, top_k
from klein_app.queries.shingles import candidate_pairs, shares, shingles, words


def test_shingles_ignore_case_layout_and_markdown():
    plain = "The quick brown fox jumps over the lazy dog near the river bank."
    assert shingles(plain) == shingles("the QUICK brown\r\nfox  jumps over the lazy dog, near the river bank")
    assert shingles(plain) == shingles("* The quick **brown** fox jumps over the _lazy_ dog near the river bank.")
    assert len(shingles(plain)) == len(words(plain)) - 3
    assert shingles("") == set() and len(shingles("two words")) == 1


def test_shares_count_each_side():
    a = shingles(" ".join(f"w{i}" for i in range(100)))
    b = shingles(" ".join(f"w{i}" for i in range(50)))  # the first half of a
    share_a, share_b = shares(a, b)
    assert share_b == 1.0 and 0.45 < share_a < 0.5
    assert shares(a, set()) == (0.0, 0.0)


def test_candidate_pairs_find_copies_and_skip_strangers():
    texts = [
        " ".join(f"w{i}" for i in range(300)),
        " ".join(f"w{i}" for i in range(10, 300)),
        " ".join(f"v{i}" for i in range(300)),
    ]
    sets = [shingles(t) for t in texts]
    assert candidate_pairs(sets, 0.8) == [(0, 1)]
    assert candidate_pairs(sets, 0.8, allowed=lambda i, j: False) == []


def test_candidate_pairs_ignore_boilerplate_shared_by_many():
    common = " ".join(f"c{i}" for i in range(40))
    sets = [shingles(common + " " + " ".join(f"u{n}x{i}" for i in range(200))) for n in range(100)]
    assert candidate_pairs(sets, 0.8) == []


def test_top_k_orders_and_breaks_ties_by_index():
    v = normalise_rows(np.array([[1, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    got = top_k(np.array([1, 0], np.float32), v, 3)
    assert [i for i, _ in got] == [0, 2, 3]
    assert top_k(np.array([1, 0], np.float32), v, 0) == []
    assert len(top_k(np.array([1, 0], np.float32), v, 10)) == 4


def test_file_vector_weighs_chunks_by_length():
    from klein_app.queries.vectors import mean_by_key

    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], np.float32)
    keys, matrix, counts = mean_by_key(["a", "a", "b"], vectors, np.array([900, 100, 5]))
    assert keys == ["a", "b"] and counts.tolist() == [2, 1]
    assert matrix[0, 0] > 0.99 and 0.0 < matrix[0, 1] < 0.12  # the long chunk dominates
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0)
    _, plain, _ = mean_by_key(["a", "a"], vectors[:2])
    assert np.allclose(plain[0], [2**-0.5, 2**-0.5], atol=1e-6)
