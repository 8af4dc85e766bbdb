import json

import pytest

from klein_app.cli import main
from klein_app.settings import Settings, resolve_paths, save_settings


@pytest.fixture
def db(tmp_path, tiny_model_path):
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path)))
    return db


@pytest.fixture
def corpus(tmp_path, make_corpus):
    return make_corpus(tmp_path / "notes", {"a.md": "apples and pears\n", "b.txt": "boats\n", "bin.dat": b"\x00\x01"})


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_add_index_status_files_remove(capsys, db, corpus):
    added = run_json(capsys, "--db", str(db), "add", str(corpus))
    assert added["added"] == [str(corpus)]
    assert added["report"]["indexed"] == 2 and added["report"]["skipped"] == 1

    report = run_json(capsys, "--db", str(db), "index")
    # the binary file is looked at again (a newer reader may know its type) and skipped again
    assert report["unchanged"] == 2 and report["skipped"] == 1 and report["chunks_embedded"] == 0

    status = run_json(capsys, "--db", str(db), "status")
    assert status["files"] == 2 and status["chunks"] == 2
    assert status["folders"][0]["path"] == str(corpus) and status["folders"][0]["exists"]
    assert status["skipped"] == [{"path": str(corpus / "bin.dat"), "status": "skipped", "reason": "binary file (.dat)"}]
    assert status["model"]["name"] == "tiny-random" and not status["model"]["rebuild_pending"]
    assert status["disk_bytes"] > 0

    files = run_json(capsys, "--db", str(db), "files")
    assert [f["path"] for f in files] == [str(corpus / n) for n in ("a.md", "b.txt", "bin.dat")]
    assert files[0]["n_chunks"] == 1 and len(files[0]["sha256"]) == 64
    skipped = run_json(capsys, "--db", str(db), "files", "--skipped")
    assert [f["skip_reason"] for f in skipped] == ["binary file (.dat)"]

    code, out, _ = run(capsys, "--db", str(db), "status")
    assert code == 0 and "2 files, 2 chunks, 1 skipped" in out

    removed = run_json(capsys, "--db", str(db), "remove", str(corpus))
    assert removed["files_forgotten"] == 3
    status = run_json(capsys, "--db", str(db), "status")
    assert status["files"] == 0 and status["chunks"] == 0 and status["folders"] == []


def test_index_of_given_paths(capsys, db, corpus, tmp_path):
    run_json(capsys, "--db", str(db), "add", str(corpus))
    (corpus / "c.md").write_text("cherries\n")
    report = run_json(capsys, "--db", str(db), "index", str(corpus / "c.md"))
    assert report["indexed"] == 1 and report["files_seen"] == 1
    code, _, err = run(capsys, "--db", str(db), "index", str(tmp_path))
    assert code == 2 and "not inside a watched folder" in err


def test_user_errors_are_one_line(capsys, db, tmp_path, corpus):
    code, out, err = run(capsys, "--db", str(db), "index")
    assert code == 1 and "no folders are watched" in err and "Traceback" not in err
    code, out, err = run(capsys, "--db", str(db), "add", str(tmp_path / "nope"))
    assert code == 1 and "not a folder" in err
    code, out, err = run(capsys, "--db", str(db), "remove", str(tmp_path / "nope"))
    assert code == 1 and "not a watched folder" in err


def test_bad_model_is_a_clear_error(capsys, tmp_path, corpus):
    db = tmp_path / "db2"
    (tmp_path / "no-model").mkdir()  # a folder, but not a model
    save_settings(resolve_paths(str(db)), Settings(model=str(tmp_path / "no-model")))
    code, _, err = run(capsys, "--db", str(db), "add", str(corpus))
    assert code == 1 and "cannot load the model" in err


def test_bad_config_values_fail_status_with_one_line(capsys, tmp_path):
    db = tmp_path / "db3"
    db.mkdir()
    for text, words in (
        ("max_file_mb = nan", "max_file_mb"),
        ("max_file_mb = 1e400", "max_file_mb"),
        (f'model = "{tmp_path / "nowhere"}"', "does not exist"),
    ):
        (db / "config.toml").write_text(text + "\n", encoding="utf-8")
        code, _, err = run(capsys, "--db", str(db), "status")
        assert code != 0 and words in err and len(err.strip().splitlines()) == 1


def test_locked_index_is_a_clear_error(capsys, db, corpus):
    from klein_app.context import open_context
    from klein_app.index.lock import hold_index

    run_json(capsys, "--db", str(db), "add", str(corpus))
    holder = open_context(str(db))
    with hold_index(holder):
        code, _, err = run(capsys, "--db", str(db), "index")
    assert code == 1 and "another klein-search process" in err


def test_corrupt_index_error_and_rebuild(capsys, db, corpus):
    from klein_app.index.store import active_generation

    run_json(capsys, "--db", str(db), "add", str(corpus))
    gen = db / "index" / active_generation(db)["generation"]
    for manifest in (gen / "files.lance" / "_versions").iterdir():
        manifest.write_bytes(b"garbage")
    code, _, err = run(capsys, "--db", str(db), "status")
    assert code == 1 and "is damaged" in err and "`klein-search index` rebuilds it" in err
    report = run_json(capsys, "--db", str(db), "index", "--rebuild")
    assert report["indexed"] == 2 and report["repairs"]
    assert any(p.name.startswith("broken-") for p in (db / "index").iterdir())  # kept, not deleted
    assert run_json(capsys, "--db", str(db), "status")["files"] == 2


def test_watch_command_follows_changes_until_ctrl_c(capsys, db, corpus, monkeypatch):
    import time

    import klein_app.commands.index_cmds as cmds
    from klein_app.index.store import Store

    run_json(capsys, "--db", str(db), "add", "--no-index", str(corpus))

    def interrupt_when_indexed():
        deadline = time.monotonic() + 30
        wrote = False
        while time.monotonic() < deadline:
            time.sleep(0.1)
            store = Store.open_active(db) if (db / "index" / "active.json").exists() else None
            paths = set(store.file_rows()) if store is not None else set()
            if not wrote and str(corpus / "a.md") in paths:
                (corpus / "new.md").write_text("written while watching\n")
                wrote = True
            if str(corpus / "new.md") in paths:
                break
        raise KeyboardInterrupt

    monkeypatch.setattr(cmds, "_wait_until_interrupted", interrupt_when_indexed)
    code, out, err = run(capsys, "--db", str(db), "watch", "--json")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "stopped" and "indexed" in kinds
    assert str(corpus / "new.md") in Store.open_active(db).file_rows()


def test_remove_while_another_process_writes_is_deferred(capsys, db, corpus):
    from klein_app.context import open_context
    from klein_app.index.lock import hold_index

    run_json(capsys, "--db", str(db), "add", str(corpus))
    holder = open_context(str(db))
    with hold_index(holder):
        out = run_json(capsys, "--db", str(db), "remove", str(corpus))
    assert out["deferred_to_running_writer"] and out["folders"] == []
    from klein_app.index.indexer import index_paths

    ctx = open_context(str(db))
    index_paths(ctx)  # what the running writer's next full pass does
    assert run_json(capsys, "--db", str(db), "status")["files"] == 0


def test_adding_a_parent_keeps_the_watched_subfolder_and_removing_it_keeps_the_subfolders_files(
    capsys, db, tmp_path, make_corpus
):
    parent = make_corpus(tmp_path / "docs", {"top.md": "top level notes\n", "sub/inner.md": "inner notes\n"})
    sub = str((parent / "sub").resolve())
    run_json(capsys, "--db", str(db), "add", sub)
    added = run_json(capsys, "--db", str(db), "add", str(parent))
    assert added["folders"] == [sub, str(parent.resolve())]  # the subfolder stays in the config
    status = run_json(capsys, "--db", str(db), "status")
    assert status["files"] == 2  # each file indexed once, though two watched folders hold inner.md
    run_json(capsys, "--db", str(db), "remove", str(parent))
    status = run_json(capsys, "--db", str(db), "status")
    assert [f["path"] for f in status["folders"]] == [sub]
    assert status["files"] == 1 and status["folders"][0]["files"] == 1  # inner.md is still indexed


def test_add_and_remove_keep_comments_in_the_config(capsys, db, corpus):
    config = db / "config.toml"
    config.write_text("# where my notes are\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    run_json(capsys, "--db", str(db), "add", "--no-index", str(corpus))
    run_json(capsys, "--db", str(db), "remove", str(corpus))
    assert config.read_text(encoding="utf-8").startswith("# where my notes are\n")
