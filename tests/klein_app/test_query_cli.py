"""The query subcommands end to end: a real index built by the indexer, the CLI's output and exit codes."""

import json

import pytest
from queries_fixtures import TOPICS, write_files

from klein_app.cli import main

CORPUS = TOPICS | {"cooking/bread copy.md": TOPICS["cooking/bread.md"]}


@pytest.fixture(scope="module")
def db(tmp_path_factory, tiny_model_path):
    """An index of the topic corpus plus one exact copy, built through the real pipeline."""
    from klein_app.context import AppContext
    from klein_app.index.indexer import index_paths
    from klein_app.settings import Settings, resolve_paths, save_settings

    root = write_files(tmp_path_factory.mktemp("corpus"), CORPUS)
    db = tmp_path_factory.mktemp("db")
    paths = resolve_paths(str(db))
    settings = Settings(folders=[str(root)], model=str(tiny_model_path))
    save_settings(paths, settings)
    index_paths(AppContext(paths, settings))
    return db


def run(capsys, *argv):
    code = main(["--db", str(argv[0]), *argv[1:]])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_search_json(db, capsys):
    code, out, _ = run(capsys, db, "search", "ERR_4711", "--json", "-k", "3")
    assert code == 0
    answer = json.loads(out)
    assert answer["query"] == "ERR_4711" and answer["no_good_match"] is False
    results = answer["results"]
    assert 1 <= len(results) <= 3
    assert results[0]["path"].endswith("code/server.py")
    assert set(results[0]) == {
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
    }
    assert "ERR_4711" in results[0]["text"]


def test_search_human_output_marks_terms(db, capsys):
    code, out, _ = run(capsys, db, "search", "ERR_4711", "--mode", "text")
    assert code == 0
    assert "server.py:" in out and "[ERR_4711]" in out


def test_search_words_are_joined(db, capsys):
    code, out, _ = run(capsys, db, "search", "telescope", "mirror", "--mode", "text", "--json")
    assert json.loads(out)["results"][0]["path"].endswith("space/telescope.txt")


def test_search_filters(db, capsys):
    code, out, _ = run(capsys, db, "search", "tomatoes", "--ext", "txt", "--json")
    assert code == 0 and all(r["path"].endswith(".txt") for r in json.loads(out)["results"])
    code, out, _ = run(capsys, db, "search", "tomatoes", "--path", "notes/*", "--json")
    assert {r["path"].split("/")[-1] for r in json.loads(out)["results"]} == {"garden.md"}
    code, out, _ = run(capsys, db, "search", "tomatoes", "--since", "1d", "--json")
    assert code == 0 and json.loads(out)["results"]


def test_search_filter_matching_nothing_says_so(db, capsys):
    code, out, err = run(capsys, db, "search", "tomatoes", "--path", "nowhere/**")
    assert code == 0 and out == ""
    assert "no indexed file matches" in err
    code, out, _ = run(capsys, db, "search", "tomatoes", "--path", "nowhere/**", "--json")
    assert json.loads(out) == {"query": "tomatoes", "no_good_match": False, "results": []}


def test_search_batch_json(db, capsys, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("ERR_4711\n\ntelescope mirror\n?!?\n", encoding="utf-8")
    code, out, _ = run(capsys, db, "search", "--queries", str(queries), "--json", "-k", "2")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query"] for line in lines] == ["ERR_4711", "telescope mirror", "?!?"]
    assert lines[0]["results"][0]["path"].endswith("server.py")
    assert len(lines[1]["results"]) == 2
    assert lines[2]["results"] == [] and "no words" in lines[2]["error"]


def test_search_batch_from_stdin(db, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("bread\n"))
    code, out, _ = run(capsys, db, "search", "--queries", "-")
    assert code == 0 and out.startswith("## bread")


@pytest.mark.parametrize(
    "argv, message, exit_code",
    [
        (["search", "   "], "empty", 2),
        (["search", "...!?"], "no words", 2),
        (["search"], "give a query", 2),
        (["search", "x", "--queries", "q.txt"], "not both", 2),
        (["search", "--queries", "/nonexistent/queries.txt"], "cannot read", 1),
        (["search", "bread", "--since", "someday"], "not a date", 2),
        (["search", "bread", "-k", "0"], "-k", 2),
        (["similar", "/no/such/file.md"], "not in the index", 1),
        (["dupes", "--threshold", "1.5"], "threshold", 2),
        (["dupes", "--threshold", "half"], "share of text", 2),
        (["clusters", "-n", "0"], "-n", 2),
        (["search", "bread", "--bogus"], "unrecognized arguments", 2),
    ],
)
def test_user_errors_are_one_line(db, capsys, argv, message, exit_code):
    code, out, err = run(capsys, db, *argv)
    assert code == exit_code
    assert message in err and len(err.strip().splitlines()) == 1
    # with --json the same error is a JSON object on stdout
    code, out, err = run(capsys, db, *argv, "--json")
    assert code == exit_code and err == ""
    payload = json.loads(out)
    assert message in payload["error"] and payload["exit_code"] == exit_code
    assert payload["kind"] == ("usage" if exit_code == 2 else "runtime")


def test_similar(db, capsys, tmp_path):
    bread = next(p for p in _indexed_paths(db, capsys) if p.endswith("cooking/bread.md"))
    code, out, _ = run(capsys, db, "similar", bread, "--json", "-k", "3")
    results = json.loads(out)
    assert code == 0 and len(results) == 3
    assert results[0]["path"].endswith("bread copy.md") and results[0]["score"] == pytest.approx(1.0, abs=1e-5)
    assert bread not in [r["path"] for r in results]


def test_dupes_finds_the_exact_copy(db, capsys):
    code, out, _ = run(capsys, db, "dupes", "--threshold", "0.9999", "--json")
    groups = json.loads(out)
    assert code == 0
    assert [sorted(i["path"].split("/")[-1] for i in g["items"]) for g in groups] == [["bread copy.md", "bread.md"]]
    assert groups[0]["kind"] == "identical" and groups[0]["wasted_bytes"] == len(CORPUS["cooking/bread.md"])
    code, out, _ = run(capsys, db, "dupes", "--threshold", "100%")
    assert "identical" in out and "bread copy.md" in out


def test_dupes_chunk_level(db, capsys):
    code, out, _ = run(capsys, db, "dupes", "--level", "chunk", "--threshold", "0.9999", "--json")
    assert code == 0 and json.loads(out) == []  # the only copied passages belong to an exact file copy


def test_clusters(db, capsys):
    code, out, _ = run(capsys, db, "clusters", "-n", "3", "--json")
    clusters = json.loads(out)
    assert code == 0 and len(clusters) == 3
    assert sum(c["size"] for c in clusters) == len(CORPUS)
    assert [c["size"] for c in clusters] == sorted((c["size"] for c in clusters), reverse=True)
    code, out, _ = run(capsys, db, "clusters")
    assert "clusters" in out and "central:" in out


def test_commands_on_an_empty_index(tmp_path, capsys, tiny_model_path):
    from klein_app.settings import Settings, resolve_paths, save_settings

    save_settings(resolve_paths(str(tmp_path)), Settings(folders=[], model=str(tiny_model_path)))
    code, _, err = run(capsys, tmp_path, "search", "bread")
    assert code == 0 and "nothing is indexed" in err
    code, out, _ = run(capsys, tmp_path, "dupes", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, tmp_path, "clusters", "--json")
    assert code == 0 and json.loads(out) == []
    code, _, err = run(capsys, tmp_path, "similar", "x.md")
    assert code == 0 and "nothing is indexed" in err


def _indexed_paths(db, capsys):
    code, out, _ = run(capsys, db, "search", "bread", "--mode", "vector", "-k", "50", "--json")
    return [p for r in json.loads(out)["results"] for p in [r["path"], *r["copies"]]]
