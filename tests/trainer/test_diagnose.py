"""The per-domain diagnostic's measures, on vectors whose answer is known."""

import numpy as np

from trainer.diagnose import fit_map, mapped_cosine, similarity_correlation


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_a_student_that_is_a_linear_image_of_the_teacher_scores_one():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(300, 8))
    t = _unit(s @ rng.normal(size=(8, 12)))
    w = fit_map(s, t, ridge=1e-6)
    assert mapped_cosine(s, t, w).mean() > 0.99  # not exactly 1: the teacher vectors are normalised
    # the map is fitted once (on reference text) and kept: a domain where the student is noise scores low
    noise = rng.normal(size=(300, 8))
    assert mapped_cosine(noise, t, w).mean() < 0.3


def test_similarity_correlation_needs_no_map():
    rng = np.random.default_rng(1)
    t = _unit(rng.normal(size=(50, 12)))
    rot = np.linalg.qr(rng.normal(size=(12, 12)))[0]
    assert similarity_correlation(t @ rot, t) > 0.9999  # same geometry, other axes
    assert abs(similarity_correlation(_unit(rng.normal(size=(50, 12))), t)) < 0.2
