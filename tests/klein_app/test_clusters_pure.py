import numpy as np
import pytest

from klein_app.queries.kmeans import fit_kmeans
from klein_app.queries.labels import ctfidf_labels, ctfidf_matrix
from klein_app.queries.linkage import fit_linkage
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
    assert "bread" in labels[0][0].split()
    assert "planet" in labels[1][0].split()
    assert "python" in labels[2][0].split()
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


def test_linkage_finds_blobs_of_a_nameable_size():
    points, truth = blobs(6, 30)
    fit = fit_linkage(points)
    assert fit.k == 6
    assert len({(t, c) for t, c in zip(truth.tolist(), fit.labels.tolist())}) == 6


def test_linkage_never_two_for_many_groups():
    # one big family and many small ones, as in a folder of one large project and several small ones
    big, _ = blobs(1, 300, seed=1)
    small, _ = blobs(12, 12, seed=2)
    fit = fit_linkage(np.concatenate([big, small]))
    assert 8 <= fit.k <= 14


def test_linkage_small_inputs():
    assert fit_linkage(normalise_rows(np.eye(3, 8))).k == 1
    assert fit_linkage(np.zeros((0, 8), np.float32)).k == 0
    assert fit_linkage(normalise_rows(np.ones((50, 8)))).k == 1


def test_linkage_on_a_sample_labels_every_row(monkeypatch):
    import klein_app.queries.linkage as linkage

    monkeypatch.setattr(linkage, "SAMPLE", 60)
    points, truth = blobs(4, 50)
    fit = linkage.fit_linkage(points)
    assert fit.k == 4 and len(fit.labels) == 200
    assert len({(t, c) for t, c in zip(truth.tolist(), fit.labels.tolist())}) == 4


def test_labels_prefer_phrases_without_repeating_words():
    texts = [
        "release notes release notes release notes fixes since fixes since the bug",
        "host key host key host key agent forwarding agent forwarding",
        "pip install pip install requirements file requirements file",
    ]
    labels = ctfidf_labels(texts, top_n=3)
    assert labels[0][0] == "release notes" and "release" not in labels[0] and "notes" not in labels[0]
    assert "host key" in labels[1]


def test_labels_drop_code_noise():
    texts = ["def return self int const struct void static kernel scheduler", "const self def int void printf garden"]
    labels = ctfidf_labels(texts, top_n=3)
    assert set(labels[0]) <= {"kernel", "scheduler", "kernel scheduler"} and labels[1] == ["garden"]


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
    fit = fit_kmeans(np.zeros((0, 8), np.float32), 3)
    assert fit.k == 0 and len(fit.labels) == 0
