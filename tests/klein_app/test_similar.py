import importlib

import pytest
from queries_corpora import TOPIC_FILES, TOPIC_OF
from queries_fixtures import build_store, semantic_model, write_files  # noqa: F401  (fixture)

from klein_app.queries import EmptyIndexError, SimilarFile, UnknownFileError, similar

similar_module = importlib.import_module("klein_app.queries.similar")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, tiny_model):
    root = write_files(tmp_path_factory.mktemp("files"), TOPIC_FILES | {"copy/mars.md": TOPIC_FILES["space/mars.md"]})
    files = {str(p): p.read_text() for p in sorted(root.rglob("*.md"))}
    return root, build_store(tmp_path_factory.mktemp("similar"), tiny_model, files)


def test_an_exact_copy_is_most_similar(corpus):
    root, store = corpus
    results = similar(store, str(root / "space/mars.md"), k=3)
    assert all(isinstance(r, SimilarFile) for r in results) and len(results) == 3
    assert results[0].path == str(root / "copy/mars.md")
    assert results[0].score == pytest.approx(1.0, abs=1e-5)
    assert str(root / "space/mars.md") not in [r.path for r in results]
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert results[0].n_chunks >= 1
    assert set(results[0].to_json()) == {"path", "score", "n_chunks"}


def test_relative_paths_are_resolved(corpus, monkeypatch):
    root, store = corpus
    monkeypatch.chdir(root / "space")
    assert similar(store, "mars.md", k=1)[0].path == str(root / "copy/mars.md")


def test_k(corpus):
    root, store = corpus
    assert similar(store, str(root / "space/mars.md"), k=0) == []
    assert len(similar(store, str(root / "space/mars.md"), k=1000)) == len(TOPIC_FILES)


def test_candidate_path_matches_exact_path(corpus, monkeypatch):
    # Large indexes take candidates from the chunk index first; on a small one both ways must agree.
    root, store = corpus
    exact = similar(store, str(root / "music/violin.md"), k=5)
    monkeypatch.setattr(similar_module, "EXACT_BELOW_CHUNKS", 0)
    approx = similar(store, str(root / "music/violin.md"), k=5)
    assert [r.path for r in approx] == [r.path for r in exact]
    assert [r.score for r in approx] == pytest.approx([r.score for r in exact], abs=1e-5)


def test_unknown_file(corpus):
    root, store = corpus
    with pytest.raises(UnknownFileError, match="not in the index"):
        similar(store, str(root / "nope.md"))


def test_empty_index(tmp_path, tiny_model):
    with pytest.raises(EmptyIndexError):
        similar(build_store(tmp_path / "db", tiny_model, {}), "/x.md")


def test_same_topic_files_come_first(tmp_path, semantic_model):
    store = build_store(tmp_path / "db", semantic_model, {f"/t/{p}": t for p, t in TOPIC_FILES.items()})
    for path in ("space/mars.md", "cooking/curry.md", "finance/mortgage.md", "music/jazz.md"):
        top = similar(store, f"/t/{path}", k=1)
        assert all(TOPIC_OF[r.path[3:]] == TOPIC_OF[path] for r in top), (path, top)
