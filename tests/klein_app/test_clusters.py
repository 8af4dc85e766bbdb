"""Clusters on real indexes: structure and determinism with any model; topics and labels with the trained one."""

from collections import Counter

import pytest
from queries_corpora import TOPIC_FILES, TOPIC_OF, TOPIC_WORDS
from queries_fixtures import build_store, semantic_model  # noqa: F401  (fixture)

from klein_app.queries import Cluster, cluster_files, clusters
from klein_app.queries.errors import BadParameterError


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory, tiny_model):
    files = {f"/t/{p}": t for p, t in TOPIC_FILES.items()}
    return build_store(tmp_path_factory.mktemp("clusters"), tiny_model, files)


def test_structure(tiny_store):
    found = clusters(tiny_store, n=3, seed=0)
    assert len(found) == 3 and all(isinstance(c, Cluster) for c in found)
    assert [c.id for c in found] == [0, 1, 2]
    assert [c.size for c in found] == sorted((c.size for c in found), reverse=True)
    assert sum(c.size for c in found) == len(TOPIC_FILES)
    all_paths = [p for c in found for p in c.paths]
    assert sorted(all_paths) == sorted(f"/t/{p}" for p in TOPIC_FILES)
    for c in found:
        assert c.size == len(c.paths) and c.central_path == c.paths[0]
        assert 0 < len(c.terms) <= 6 and c.label == ", ".join(c.terms)
        assert -1.0 <= c.cohesion <= 1.0


def test_deterministic(tiny_store):
    assert clusters(tiny_store, seed=0) == clusters(tiny_store, seed=0)
    assert clusters(tiny_store, n=4, seed=7) == clusters(tiny_store, n=4, seed=7)


def test_automatic_k_says_how(tiny_store):
    result = cluster_files(tiny_store, seed=0)
    assert 1 <= result.k <= len(TOPIC_FILES) and result.k == len(result.clusters)
    assert result.chosen_by == "size rule"
    assert cluster_files(tiny_store, n=2).chosen_by == "given"


def test_more_clusters_than_files(tiny_store):
    found = clusters(tiny_store, n=100)
    assert len(found) == len(TOPIC_FILES) and all(c.size == 1 for c in found)


def test_one_cluster(tiny_store):
    (only,) = clusters(tiny_store, n=1)
    assert only.size == len(TOPIC_FILES)


def test_json_shape(tiny_store):
    data = clusters(tiny_store, n=2)[0].to_json()
    assert set(data) == {"id", "label", "terms", "size", "central_path", "cohesion", "paths"}


def test_bad_n(tiny_store):
    with pytest.raises(BadParameterError):
        clusters(tiny_store, n=0)


def test_empty_and_tiny_indexes(tmp_path, tiny_model):
    assert clusters(build_store(tmp_path / "a", tiny_model, {})) == []
    (single,) = clusters(build_store(tmp_path / "b", tiny_model, {"/x.md": "just one file about boats"}))
    assert single.paths == ["/x.md"] and "boats" in " ".join(single.terms).split()


# --- with the trained model ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def topic_store(tmp_path_factory, semantic_model):
    files = {f"/t/{p}": t for p, t in TOPIC_FILES.items()}
    return build_store(tmp_path_factory.mktemp("topics"), semantic_model, files)


def purity(found):
    return sum(Counter(TOPIC_OF[p[3:]] for p in c.paths).most_common(1)[0][1] for c in found) / len(TOPIC_FILES)


def test_separate_topics_land_in_separate_clusters(topic_store):
    found = clusters(topic_store, n=4, seed=0)
    assert purity(found) >= 14 / 16
    majority = [Counter(TOPIC_OF[p[3:]] for p in c.paths).most_common(1)[0][0] for c in found]
    assert sorted(majority) == sorted(TOPIC_WORDS)


def test_labels_are_the_topics_words(topic_store):
    for c in clusters(topic_store, n=4, seed=0):
        topic = Counter(TOPIC_OF[p[3:]] for p in c.paths).most_common(1)[0][0]
        assert set(c.terms[:3]) & TOPIC_WORDS[topic], (topic, c.terms)


def test_automatic_k_finds_the_topics(topic_store):
    result = cluster_files(topic_store, seed=0)
    assert 3 <= result.k <= 6
    assert purity(result.clusters) >= 14 / 16
