import datetime as dt
import re

import pytest

from klein_app.queries.errors import BadFilterError
from klein_app.queries.filters import build_filters, compile_glob, glob_to_regex, parse_exts, parse_since, sql_string


@pytest.mark.parametrize(
    "glob, path, expected",
    [
        ("*.md", "/home/u/notes/a.md", True),
        ("*.md", "/home/u/notes/a.mdx", False),
        ("notes/*.md", "/home/u/notes/a.md", True),
        ("notes/*.md", "/home/u/notes/sub/a.md", False),
        ("notes/**/*.md", "/home/u/notes/sub/deep/a.md", True),
        ("notes/**/*.md", "/home/u/notes/a.md", True),
        ("notes/**", "/home/u/notes/sub/a.py", True),
        ("notes/", "/home/u/notes/sub/a.py", True),
        ("otes/*", "/home/u/notes/a.md", False),  # relative globs match at folder boundaries
        ("/home/u/**", "/home/u/x/y.txt", True),
        ("/home/u/*", "/home/u/x/y.txt", False),
        ("/home/*/x/y.txt", "/home/u/x/y.txt", True),
        ("a?.txt", "/d/ab.txt", True),
        ("a?.txt", "/d/a/.txt", False),
        ("[ab]*.txt", "/d/bob.txt", True),
        ("[!ab]*.txt", "/d/bob.txt", False),
        ("[!ab]*.txt", "/d/cob.txt", True),
        ("it's/*", "/d/it's/x", True),
        ("b c (1)/*.md", "/d/b c (1)/x.md", True),
        ("a.b", "/d/aXb", False),  # dots are literal
        ("report.pdf", "/d/report.pdf", True),
    ],
)
def test_glob_semantics(glob, path, expected):
    assert bool(compile_glob(glob).search(path)) is expected


def test_tilde_expands_to_home(monkeypatch):
    monkeypatch.setenv("HOME", "/home/someone")
    assert glob_to_regex("~/notes/*").startswith("^/home/someone/notes/")


def test_empty_glob_is_an_error():
    with pytest.raises(BadFilterError):
        glob_to_regex("   ")


def test_unclosed_bracket_is_literal():
    assert compile_glob("a[b").search("/d/a[b")


def test_parse_exts():
    assert parse_exts("md, .PY,,*.txt,md") == ["md", "py", "txt"]
    assert parse_exts(["md", ".rs"]) == ["md", "rs"]
    assert parse_exts(None) == [] and parse_exts("") == []
    with pytest.raises(BadFilterError):
        parse_exts("md;rm -rf")


def test_parse_since_formats():
    now = 1_700_000_000.0
    assert parse_since("7d", now=now) == now - 7 * 86400
    assert parse_since("36h", now=now) == now - 36 * 3600
    assert parse_since("2w", now=now) == now - 14 * 86400
    assert parse_since("90m", now=now) == now - 5400
    assert parse_since(12.5) == 12.5
    assert parse_since(None) is None and parse_since("") is None
    day = parse_since("2024-05-01")
    assert day == dt.datetime(2024, 5, 1).astimezone().timestamp()
    assert parse_since(dt.date(2024, 5, 1)) == day
    assert parse_since("2024-05-01T12:00") == day + 12 * 3600
    aware = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert parse_since(aware) == aware.timestamp()


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "7x", "-3d", True])
def test_parse_since_rejects_nonsense(bad):
    with pytest.raises(BadFilterError) as info:
        parse_since(bad)
    assert "date" in str(info.value)


def test_build_filters_combines_clauses():
    f = build_filters("*.md", "md,txt", None)
    assert f.since is None
    assert f.where.count("regexp_like(path,") == 2 and " AND " in f.where
    assert build_filters().empty


def test_sql_string_escapes_quotes():
    assert sql_string("it's") == "'it''s'"


def test_ext_regex_is_case_insensitive():
    where = build_filters(exts="md").where
    pattern = re.search(r"'(.*)'", where).group(1)
    assert re.search(pattern, "/x/README.MD")
    assert not re.search(pattern, "/x/README.mdx")
