import numpy as np
import pytest

from klein_app.queries.kmeans import MAX_K, choose_k, fit_kmeans, rule_of_thumb_k
from klein_app.queries.labels import ctfidf_labels, ctfidf_matrix
from klein_app.queries.neighbours import normalise_rows


def blobs(k, per, dim=32, spread=0.05, seed=0):
    rng = np.random.default_rng(seed)
    centres = normalise_rows(rng.normal(size=(k, dim)))
    points = np.repeat(centres, per, axis=0) + spread * rng.normal(size=(k * per, dim))
    return normalise_rows(points), np.repeat(np.arange(k), per)


def test_ctfidf_prefers_distinctive_terms():
    texts = [
        "bread flour yeast dough bread oven the common word",
        "planet orbit telescope galaxy planet the common word",
        "python function class import python the common word",
    ]
    labels = ctfidf_labels(texts, top_n=2)
    assert labels[0][0] == "bread"
    assert labels[1][0] == "planet"
    assert labels[2][0] == "python"
    assert all("common" not in label and "word" not in label for label in labels)


def test_ctfidf_matrix_formula():
    counts = np.array([[2, 0], [1, 1]], dtype=float)
    w = ctfidf_matrix(counts)
    avg = 2.0
    assert w[0, 0] == pytest.approx(1.0 * np.log1p(avg / 3))
    assert w[0, 1] == 0
    assert w[1, 1] == pytest.approx(0.5 * np.log1p(avg / 1))


def test_ctfidf_labels_skip_digits_and_short_tokens():
    labels = ctfidf_labels(["12345 ab ERR_4711 zebra", "99 cd giraffe"], top_n=5)
    assert labels == [["zebra"], ["giraffe"]]


def test_ctfidf_without_words():
    assert ctfidf_labels(["123 456", ""]) == [[], []]
    assert ctfidf_labels([]) == []


def test_choose_k_finds_separated_blobs():
    points, _ = blobs(5, 40)
    k, how = choose_k(points, seed=0)
    assert (k, how) == (5, "silhouette")


def test_choose_k_small_inputs():
    assert choose_k(normalise_rows(np.eye(2, 8)), seed=0) == (1, "too few files")
    k, _ = choose_k(normalise_rows(np.eye(3, 8)), seed=0)
    assert 1 <= k <= 2


def test_choose_k_identical_points_gives_one_cluster():
    k, _ = choose_k(normalise_rows(np.ones((50, 8))), seed=0)
    assert k == 1


def test_rule_of_thumb_is_capped():
    assert rule_of_thumb_k(1) == 1
    assert rule_of_thumb_k(200) == 10
    assert rule_of_thumb_k(10**7) == MAX_K


def test_fit_kmeans_recovers_blobs_and_is_deterministic():
    points, truth = blobs(4, 30, seed=3)
    a = fit_kmeans(points, 4, seed=0)
    b = fit_kmeans(points, 4, seed=0)
    assert np.array_equal(a.labels, b.labels)
    # every true blob maps to exactly one cluster
    for t in range(4):
        assert len(set(a.labels[truth == t].tolist())) == 1
    assert np.allclose(np.linalg.norm(a.centroids, axis=1), 1.0, atol=1e-5)


def test_fit_kmeans_k_larger_than_n_is_clamped():
    points, _ = blobs(2, 2)
    fit = fit_kmeans(points, 10, seed=0)
    assert fit.k == 4


def test_fit_kmeans_empty():
    fit = fit_kmeans(np.zeros((0, 8), np.float32), None)
    assert fit.k == 0 and len(fit.labels) == 0
