"""Search plumbing on a tiny random-weight model: modes, grouping, filters, bad input.

The tiny model knows nothing about meaning, so these tests check what does not depend on it; ranking by
meaning is tested with the trained model in test_search_quality.py.
"""

import importlib
import time

import pytest
from queries_fixtures import build_store

from klein_app.queries import (
    BadFilterError,
    EmptyIndexError,
    EmptyQueryError,
    ModelMismatchError,
    QueryError,
    SearchResult,
    search,
)

# the module, not the function `klein_app.queries.search` re-exports under the same name
search_module = importlib.import_module("klein_app.queries.search")

NOW = 1_750_000_000.0
DAY = 86400.0

FILES = {
    "/corpus/notes/bread.md": "Baking bread: mix flour, water, salt and yeast. Knead the dough and bake it.",
    "/corpus/notes/errors.md": "The service failed with ERR_4711 when the disk was full.",
    "/corpus/code/server.py": "def handle(request):\n    return 'ok'\n",
    "/corpus/code/README.MD": "How to run the server: start it with python server.py and open the browser.",
    "/corpus/old/diary.txt": "Dear diary, today I baked bread with my grandmother.",
    # one long file: many chunks mention the same word, so grouping has work to do
    "/corpus/long/planets.md": "\n\n".join(
        f"Section {i}. The planet Mars has red dust, and the planet Venus is hot. Astronomers watch planets."
        for i in range(40)
    ),
}
MTIMES = {p: NOW - 1 * DAY for p in FILES} | {"/corpus/old/diary.txt": NOW - 400 * DAY}


@pytest.fixture(scope="module")
def store(tmp_path_factory, tiny_model):
    return build_store(tmp_path_factory.mktemp("search-db"), tiny_model, FILES, mtimes=MTIMES, max_tokens=48)


def paths(results):
    return [r.path for r in results]


@pytest.mark.parametrize("mode", ["hybrid", "vector", "text"])
def test_each_mode_returns_grouped_results(store, tiny_model, mode):
    results = search(store, tiny_model, "planet Mars", k=10, mode=mode)
    assert results and all(isinstance(r, SearchResult) for r in results)
    assert len(paths(results)) == len(set(paths(results)))  # one result per file
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_text_mode_ranks_the_word_match_first(store, tiny_model):
    results = search(store, tiny_model, "grandmother", mode="text")
    assert paths(results) == ["/corpus/old/diary.txt"]
    assert "[grandmother]" in results[0].snippet.marked()


def test_hybrid_finds_an_exact_identifier(store, tiny_model):
    results = search(store, tiny_model, "ERR_4711", mode="hybrid", k=3)
    assert results[0].path == "/corpus/notes/errors.md"
    assert results[0].snippet.marked().count("[ERR_4711]") == 1


def test_other_hits_in_the_same_file_are_counted(store, tiny_model):
    results = search(store, tiny_model, "planet Venus astronomers", mode="text", k=5)
    top = results[0]
    assert top.path == "/corpus/long/planets.md"
    assert top.other_hits >= 5
    assert 1 <= top.start_line <= top.end_line
    assert top.text and top.chunk_index >= 0


def test_k_limits_files_not_chunks(store, tiny_model):
    assert len(search(store, tiny_model, "bread", k=1)) == 1
    assert len(search(store, tiny_model, "bread", k=100, mode="vector")) == len(FILES)
    assert search(store, tiny_model, "bread", k=0) == []


def test_json_shape(store, tiny_model):
    result = search(store, tiny_model, "bread", k=1)[0].to_json()
    assert list(result) == [
        "path",
        "score",
        "cosine",
        "weak",
        "start_line",
        "end_line",
        "chunk_index",
        "text",
        "snippet",
        "other_hits",
        "copies",
    ]


def test_path_filter_applies_before_the_cut(store, tiny_model):
    for mode in ("hybrid", "vector", "text"):
        results = search(store, tiny_model, "bread server planet", mode=mode, path_glob="code/**")
        assert results and all(p.startswith("/corpus/code/") for p in paths(results))


def test_ext_filter_is_case_insensitive(store, tiny_model):
    results = search(store, tiny_model, "server", mode="vector", exts="md", k=10)
    assert "/corpus/code/README.MD" in paths(results)
    assert all(p.lower().endswith(".md") for p in paths(results))


def test_since_filter(store, tiny_model, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_PREFILTER_PATHS", 2_000)
    recent = search(store, tiny_model, "bread", mode="vector", since=NOW - 30 * DAY, k=10)
    assert recent and "/corpus/old/diary.txt" not in paths(recent)
    old = search(store, tiny_model, "bread", mode="vector", since=NOW - 500 * DAY, k=10)
    assert "/corpus/old/diary.txt" in paths(old)


def test_since_filter_by_post_filtering(store, tiny_model, monkeypatch):
    # Many files modified since the date: the filter runs after the search and fetches deeper as needed.
    monkeypatch.setattr(search_module, "MAX_PREFILTER_PATHS", 0)
    results = search(store, tiny_model, "bread", mode="vector", since=NOW - 30 * DAY, k=10)
    assert len(results) == len(FILES) - 1
    assert "/corpus/old/diary.txt" not in paths(results)


@pytest.mark.parametrize("share", [0.0, 1.0])  # 0.0: a broad filter checked on ranked rows; 1.0: a regex prefilter
def test_path_and_ext_filters_past_the_in_list(store, tiny_model, monkeypatch, share):
    monkeypatch.setattr(search_module, "MAX_PREFILTER_PATHS", 0)
    monkeypatch.setattr(search_module, "BROAD_FILTER_SHARE", share)
    for mode in ("hybrid", "vector", "text"):
        results = search(store, tiny_model, "bread server planet", mode=mode, path_glob="code/**", k=10)
        assert results and all(p.startswith("/corpus/code/") for p in paths(results)), (mode, paths(results))
    results = search(store, tiny_model, "server", mode="vector", exts="md", k=10)
    assert "/corpus/code/README.MD" in paths(results) and all(p.lower().endswith(".md") for p in paths(results))


@pytest.mark.parametrize(
    "filters",
    [dict(path_glob="nowhere/**"), dict(exts="xyz"), dict(since=NOW + DAY), dict(path_glob="*.py", exts="md")],
)
def test_a_filter_matching_nothing_gives_no_results(store, tiny_model, filters):
    assert search(store, tiny_model, "bread", **filters) == []
    assert search_module.count_matching_files(store, **filters) == 0


def test_count_matching_files(store):
    assert search_module.count_matching_files(store) == len(FILES)
    assert search_module.count_matching_files(store, path_glob="code/*") == 2


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query(store, tiny_model, query):
    with pytest.raises(EmptyQueryError, match="empty"):
        search(store, tiny_model, query)


@pytest.mark.parametrize("mode", ["hybrid", "vector", "text"])
def test_punctuation_only_query(store, tiny_model, mode):
    with pytest.raises(EmptyQueryError, match="no words"):
        search(store, tiny_model, "?!... --- ***", mode=mode)


def test_huge_query_is_answered_quickly(store, tiny_model):
    query = ("bread flour planet server " * 5000)[:100_000]
    start = time.perf_counter()
    results = search(store, tiny_model, query)
    assert results
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("query", ["東京は日本の首都です", "यह एक परीक्षण वाक्य है", "Привет мир"])
def test_query_in_another_script(store, tiny_model, query):
    for mode in ("hybrid", "vector", "text"):
        results = search(store, tiny_model, query, mode=mode)
        assert isinstance(results, list)
    assert search(store, tiny_model, query, mode="text") == []


def test_unknown_mode(store, tiny_model):
    with pytest.raises(QueryError, match="mode"):
        search(store, tiny_model, "bread", mode="fuzzy")


def test_bad_filter(store, tiny_model):
    with pytest.raises(BadFilterError):
        search(store, tiny_model, "bread", since="the day before yesterday")


def test_empty_index(tmp_path, tiny_model):
    empty = build_store(tmp_path / "db", tiny_model, {})
    with pytest.raises(EmptyIndexError, match="nothing is indexed"):
        search(empty, tiny_model, "bread")


class OtherModel:
    """The same encoder under another fingerprint: what an index built by another model looks like."""

    def __init__(self, model):
        self.model, self.fingerprint, self.dim = model, "another-model", model.dim

    def encode(self, texts):
        return self.model.encode(texts)


def test_index_of_another_model(store, tiny_model):
    other = OtherModel(tiny_model)
    with pytest.raises(ModelMismatchError, match="another model"):
        search(store, other, "bread")


def test_without_a_full_text_index(tmp_path, tiny_model):
    fresh = build_store(tmp_path / "db", tiny_model, {"/x/a.md": "bread and butter"}, fts=False)
    assert paths(search(fresh, tiny_model, "bread", mode="hybrid")) == ["/x/a.md"]
    assert paths(search(fresh, tiny_model, "bread", mode="vector")) == ["/x/a.md"]
    with pytest.raises(QueryError, match="full-text index"):
        search(fresh, tiny_model, "bread", mode="text")


def test_identifier_query_prefers_the_exact_match_in_hybrid(tmp_path, tiny_model):
    from queries_corpora import IDENTIFIER_FILES, IDENTIFIER_TARGET

    files = {f"/n/{p}": t for p, t in IDENTIFIER_FILES.items()}
    ids = build_store(tmp_path / "db", tiny_model, files)
    results = search(ids, tiny_model, "ERR_4711", mode="hybrid", k=5)
    assert results[0].path == f"/n/{IDENTIFIER_TARGET}"
    assert "[ERR_4711]" in results[0].snippet.marked()
    # the other results still come from meaning (vector side), not dropped
    assert len(results) == 5
    # an identifier found nowhere leaves hybrid with its vector ranking
    assert len(search(ids, tiny_model, "ERR_9999", mode="hybrid", k=5)) == 5


def test_identifiers():
    ident = search_module.identifiers
    assert ident("ERR_4711") == ["ERR_4711"]
    assert ident("why does getUserName() fail") == ["getUserName"]
    assert ident("x86_64 build") == ["x86_64"]
    assert ident("Apollo 11 landing in 1969") == []
    assert ident("plain words only") == []


def test_one_long_file_does_not_crowd_out_the_others(tmp_path, tiny_model):
    long_text = "\n\n".join(f"Paragraph {i} about the harbour, its boats and the tides." for i in range(150))
    files = {"/h/long.md": long_text} | {f"/h/short{i}.md": f"Short note {i} about boats." for i in range(6)}
    store = build_store(tmp_path / "db", tiny_model, files, max_tokens=40)
    assert store.chunks_table.count_rows() > 100
    for mode in ("vector", "hybrid", "text"):
        results = search(store, tiny_model, "boats harbour tides", mode=mode, k=5)
        assert len(results) == 5, mode
        assert len({r.path for r in results}) == 5
