"""The openings cache (queries/openings.py): right after the files change, and when warmed all at once."""

from __future__ import annotations

import numpy as np

from klein_app.index.indexer import index_paths
from klein_app.queries import openings, search
from klein_app.queries.openings import OPENING_SHARE
from klein_app.queries.vectors import read_chunks, vector_matrix

FILES = {
    "notes/garden.md": "Tomatoes want full sun and deep watering.\n\n" + "Mulch keeps the soil moist. " * 60,
    "notes/bikes.md": "Adjusting a derailleur takes patience.\n\n" + "Clean the chain after rain. " * 60,
    "notes/bread.md": "A sourdough starter needs feeding daily.\n\n" + "Let the dough rest overnight. " * 60,
}
QUERY = "how often should a sourdough starter be fed"


def stored(store):
    table = read_chunks(store, ["path", "chunk_index", "vector"])
    vectors = vector_matrix(table)
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    keys = zip(table.column("path").to_pylist(), table.column("chunk_index").to_pylist())
    return dict(zip(keys, vectors))


def expected_scores(store, model, results):
    q = np.asarray(model.encode([QUERY])[0], np.float32)
    q /= np.linalg.norm(q)
    by_key = stored(store)
    return [
        (1 - OPENING_SHARE) * float(by_key[(r.path, r.chunk_index)] @ q)
        + OPENING_SHARE * float(by_key[(r.path, 0)] @ q)
        for r in results
    ]


def test_a_rewritten_file_gets_its_new_opening(tmp_path, make_corpus, make_ctx):
    root = make_corpus(tmp_path / "corpus", FILES)
    ctx = make_ctx([root])
    index_paths(ctx)
    store, model = ctx.reader_store(), ctx.query_encoder()
    before = search(store, model, QUERY, k=3, mode="vector")
    assert np.allclose([r.score for r in before], expected_scores(store, model, before), atol=1e-5)

    # the same store object (as a service holds it) after one file's opening changed on disk
    (root / "notes/bikes.md").write_text("Feeding a sourdough starter: flour and water, every day.\n\n" + "x " * 400)
    index_paths(ctx)
    after = search(store, model, QUERY, k=3, mode="vector")
    assert np.allclose([r.score for r in after], expected_scores(store, model, after), atol=1e-5)
    bikes = [r.score for r in after if r.path.endswith("bikes.md")]
    assert bikes != [r.score for r in before if r.path.endswith("bikes.md")]


def test_warming_reads_every_opening_once(tmp_path, make_corpus, make_ctx):
    root = make_corpus(tmp_path / "corpus", FILES)
    ctx = make_ctx([root])
    index_paths(ctx)
    store, model = ctx.reader_store(), ctx.query_encoder()
    assert openings.warm(store) == len(FILES)
    by_key = stored(store)
    cached = store.read_cache["openings"].vectors
    for path, (_sha, vector) in cached.items():
        assert np.allclose(vector, by_key[(path, 0)], atol=1e-6)
    results = search(store, model, QUERY, k=3, mode="hybrid")
    assert len(results) == 3
    vector_results = search(store, model, QUERY, k=3, mode="vector")
    assert np.allclose([r.score for r in vector_results], expected_scores(store, model, vector_results), atol=1e-5)


def test_a_full_cache_is_emptied_without_losing_the_query_that_filled_it(tmp_path, make_corpus, make_ctx, monkeypatch):
    root = make_corpus(tmp_path / "corpus", FILES)
    ctx = make_ctx([root])
    index_paths(ctx)
    store, model = ctx.reader_store(), ctx.query_encoder()
    monkeypatch.setattr(openings, "CACHE_LIMIT", 2)
    first = search(store, model, QUERY, k=1, mode="vector")  # caches the opening(s) it read
    results = search(store, model, QUERY, k=3, mode="vector")  # one more file than the cache holds
    assert len(first) == 1 and len(results) == 3
    assert np.allclose([r.score for r in results], expected_scores(store, model, results), atol=1e-5)
