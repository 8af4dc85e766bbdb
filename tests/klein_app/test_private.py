"""The data folder is private: 0700 folders, 0600 files, from the CLI's umask."""

import os
import stat

import pytest

from klein_app.cli import main
from klein_app.index.private import loose_paths, make_private
from klein_app.settings import Settings, resolve_paths, save_settings


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # what most systems start a user's shell with
    yield
    os.umask(old)


def test_cli_writes_a_private_index(open_umask, tmp_path, tiny_model_path, make_corpus, capsys):
    corpus = make_corpus(tmp_path / "notes", {"a.md": "apples\n", "b.txt": "boats\n"})
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path)))
    os.chmod(db, 0o755)  # an index made by an older version
    assert main(["--db", str(db), "add", str(corpus), "--json"]) == 0
    capsys.readouterr()
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o700
    loose = [p for p, _ in loose_paths(db / "index")]
    assert loose == [], loose
    assert any(p.name.endswith(".lance") for p in (db / "index").rglob("*"))


def test_make_private_fixes_an_old_world_readable_index(open_umask, tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "f").write_text("chunk text")
    os.chmod(tmp_path / "d" / "sub" / "f", 0o644)
    assert len(loose_paths(tmp_path / "d")) == 3
    assert make_private(tmp_path / "d") == 3
    assert loose_paths(tmp_path / "d") == []
    assert stat.S_IMODE(os.stat(tmp_path / "d" / "sub" / "f").st_mode) == 0o600
