import itertools

import numpy as np
import pytest

from klein_app.queries.components import connected_components
from klein_app.queries.neighbours import normalise_rows, similar_pairs, top_k


def brute_pairs(v, threshold):
    sims = v @ v.T
    return {(i, j) for i, j in itertools.combinations(range(len(v)), 2) if sims[i, j] >= threshold}


def test_components_basic():
    assert connected_components(6, [(0, 1), (1, 2), (4, 5)]) == [[0, 1, 2], [4, 5]]


def test_components_ignore_singletons_and_pair_order():
    a = connected_components(5, [(3, 1), (1, 0)])
    b = connected_components(5, [(0, 1), (1, 3)])
    assert a == b == [[0, 1, 3]]
    assert connected_components(3, []) == []
    assert connected_components(0, []) == []


def test_components_self_loop_is_not_a_group():
    assert connected_components(3, [(1, 1)]) == []


def test_components_long_chain():
    n = 5000
    assert connected_components(n, [(i, i + 1) for i in range(n - 1)]) == [list(range(n))]


@pytest.mark.parametrize("n", [2, 17, 300])
def test_similar_pairs_match_brute_force(n):
    rng = np.random.default_rng(n)
    base = rng.normal(size=(n // 3 + 1, 16))
    v = normalise_rows(base[rng.integers(0, len(base), n)] + 0.15 * rng.normal(size=(n, 16)))
    got = {(i, j) for i, j, _ in similar_pairs(v, 0.9, max_neighbours=n, max_block_cells=n * 7)}
    assert got == brute_pairs(v, 0.9)


def test_similar_pairs_report_cosines_and_i_less_than_j():
    v = normalise_rows(np.array([[1, 0], [1, 0.01], [0, 1]], dtype=np.float32))
    pairs = list(similar_pairs(v, 0.99))
    assert len(pairs) == 1
    i, j, s = pairs[0]
    assert (i, j) == (0, 1) and s == pytest.approx(1.0, abs=1e-3) and s <= 1.0


def test_similar_pairs_cap_neighbours_but_keep_components_whole():
    v = normalise_rows(np.ones((200, 8), dtype=np.float32))  # 200 identical items
    pairs = list(similar_pairs(v, 0.99, max_neighbours=3))
    assert len(pairs) <= 200 * 3
    assert connected_components(200, [(i, j) for i, j, _ in pairs]) == [list(range(200))]


def test_similar_pairs_allowed_vetoes():
    v = normalise_rows(np.ones((4, 3), dtype=np.float32))
    owner = np.array([0, 0, 1, 1])
    pairs = {(i, j) for i, j, _ in similar_pairs(v, 0.9, allowed=lambda i, j: owner[i] != owner[j])}
    assert pairs == {(0, 2), (0, 3), (1, 2), (1, 3)}


def test_similar_pairs_small_inputs():
    assert list(similar_pairs(np.zeros((0, 4), np.float32), 0.5)) == []
    assert list(similar_pairs(np.ones((1, 4), np.float32), 0.5)) == []


def test_zero_vectors_never_pair():
    v = normalise_rows(np.zeros((3, 4)))
    assert list(similar_pairs(v, 0.1)) == []


def test_top_k_orders_and_breaks_ties_by_index():
    v = normalise_rows(np.array([[1, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    got = top_k(np.array([1, 0], np.float32), v, 3)
    assert [i for i, _ in got] == [0, 2, 3]
    assert top_k(np.array([1, 0], np.float32), v, 0) == []
    assert len(top_k(np.array([1, 0], np.float32), v, 10)) == 4


def test_bucketed_pairs_find_nearly_all_exact_pairs():
    rng = np.random.default_rng(1)
    centres = normalise_rows(rng.normal(size=(40, 32)))
    base = normalise_rows(centres[rng.integers(0, 40, 2500)] + 0.5 * rng.normal(size=(2500, 32)))
    near = normalise_rows(base[:300] + 0.03 * rng.normal(size=(300, 32)))
    v = np.concatenate([base, near])
    exact = {(i, j) for i, j, _ in similar_pairs(v, 0.95)}
    bucketed = {(i, j) for i, j, _ in similar_pairs(v, 0.95, exact_up_to=0)}
    assert len(exact) >= 300
    assert bucketed <= exact
    assert len(bucketed) / len(exact) >= 0.95


def test_bucketed_pairs_respect_allowed():
    v = normalise_rows(np.repeat(np.eye(4, 16, dtype=np.float32), 10, axis=0))
    owner = np.arange(40) % 2
    pairs = list(similar_pairs(v, 0.99, exact_up_to=0, allowed=lambda i, j: owner[i] != owner[j]))
    assert pairs and all(owner[i] != owner[j] and i < j for i, j, _ in pairs)


def test_file_vector_weighs_chunks_by_length():
    from klein_app.queries.vectors import mean_by_key

    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], np.float32)
    keys, matrix, counts = mean_by_key(["a", "a", "b"], vectors, np.array([900, 100, 5]))
    assert keys == ["a", "b"] and counts.tolist() == [2, 1]
    assert matrix[0, 0] > 0.99 and 0.0 < matrix[0, 1] < 0.12  # the long chunk dominates
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0)
    _, plain, _ = mean_by_key(["a", "a"], vectors[:2])
    assert np.allclose(plain[0], [2**-0.5, 2**-0.5], atol=1e-6)
