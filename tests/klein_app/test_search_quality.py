"""Ranking by meaning, with the trained model: the right file first for paraphrased questions, and the exact
identifier that only hybrid search pins down."""

import pytest
from queries_corpora import IDENTIFIER_FILES, IDENTIFIER_TARGET, TOPIC_FILES, TOPIC_QUERIES
from queries_fixtures import build_store, semantic_model  # noqa: F401  (fixture)

from klein_app.queries import search


@pytest.fixture(scope="module")
def topic_store(tmp_path_factory, semantic_model):
    return build_store(
        tmp_path_factory.mktemp("quality"), semantic_model, {f"/t/{p}": t for p, t in TOPIC_FILES.items()}
    )


@pytest.mark.parametrize("mode", ["vector", "hybrid"])
def test_each_query_finds_its_file_first(topic_store, semantic_model, mode):
    misses = []
    for query, want in TOPIC_QUERIES.items():
        results = search(topic_store, semantic_model, query, mode=mode, k=3)
        if not results or results[0].path != f"/t/{want}":
            misses.append((query, [r.path for r in results]))
    assert not misses


def test_hybrid_finds_the_identifier_vector_search_misses(tmp_path, semantic_model):
    store = build_store(tmp_path / "db", semantic_model, {f"/n/{p}": t for p, t in IDENTIFIER_FILES.items()})
    target = f"/n/{IDENTIFIER_TARGET}"
    vector = search(store, semantic_model, "ERR_4711", mode="vector", k=3)
    hybrid = search(store, semantic_model, "ERR_4711", mode="hybrid", k=3)
    assert target not in [r.path for r in vector]
    assert hybrid[0].path == target
    assert "[ERR_4711]" in hybrid[0].snippet.marked()
