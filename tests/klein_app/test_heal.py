"""A damaged index is detected on open, said in one line and repaired from the files."""

import json

import pytest

from klein_app.cli import main
from klein_app.index.store import active_generation
from klein_app.settings import Settings, resolve_paths, save_settings


@pytest.fixture
def db(tmp_path, tiny_model_path, make_corpus):
    corpus = make_corpus(tmp_path / "notes", {f"n{i}.md": f"note {i} about topic {i}\n" for i in range(6)})
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path)))
    assert main(["--db", str(db), "add", str(corpus), "--json", "-q"]) == 0
    return db


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, db, *argv):
    code, out, err = run(capsys, "--db", str(db), *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def generation(db):
    return db / "index" / active_generation(db)["generation"]


def one_line_error(code, err, *words):
    assert code != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, err


@pytest.mark.parametrize("table", ["chunks", "files"])
def test_missing_data_file_is_detected_and_rebuilt(capsys, db, table):
    capsys.readouterr()
    data = sorted((generation(db) / f"{table}.lance" / "data").iterdir())
    data[0].unlink()
    for cmd in (["status"], ["files"], ["search", "note"]):
        one_line_error(*run(capsys, "--db", str(db), *cmd)[::2], "is damaged", "klein-search index")
    report = run_json(capsys, db, "index")
    assert report["indexed"] == 6
    assert (
        len(report["repairs"]) == 1 and "damaged" in report["repairs"][0] and "moved it aside" in report["repairs"][0]
    )
    assert any(p.name.startswith("broken-") for p in (db / "index").iterdir())  # kept for inspection
    st = run_json(capsys, db, "status")
    assert st["files"] == 6 and st["chunks"] == 6
    assert run_json(capsys, db, "search", "note")


def test_rebuild_always_works_on_a_damaged_index(capsys, db):
    capsys.readouterr()
    for f in (generation(db) / "chunks.lance" / "data").iterdir():
        f.unlink()
    report = run_json(capsys, db, "index", "--rebuild")
    assert report["indexed"] == 6 and report["repairs"]
    assert run_json(capsys, db, "status")["chunks"] == 6


def test_garbage_manifest_is_repaired_by_index(capsys, db):
    capsys.readouterr()
    for manifest in (generation(db) / "files.lance" / "_versions").iterdir():
        manifest.write_bytes(b"garbage")
    one_line_error(*run(capsys, "--db", str(db), "status")[::2], "klein-search index")
    report = run_json(capsys, db, "index")
    assert report["indexed"] == 6 and report["repairs"]
    assert run_json(capsys, db, "status")["files"] == 6


@pytest.mark.parametrize(
    "content",
    [
        "[1, 2, 3]",
        '{"generation": 5, "fingerprint": null, "dim": "384"}',
        "\x00\x01 not json at all {",
        '{"generation": "g-0000000000000000", "fingerprint": "x", "dim": 4}',
    ],
)
def test_broken_pointer_never_looks_like_an_empty_index(capsys, db, content):
    capsys.readouterr()
    (db / "index" / "active.json").write_text(content, encoding="utf-8")
    st = run_json(capsys, db, "status")
    assert st["files"] == 6 and st["chunks"] == 6  # the index on disk, not "0 files"
    assert st["problems"] and "active.json" in st["problems"][0]
    code, out, err = run(capsys, "--db", str(db), "status")
    assert code == 0 and "problem  active.json" in out
    assert run_json(capsys, db, "search", "note")
    report = run_json(capsys, db, "index")
    assert report["chunks_embedded"] == 0 and report["unchanged"] == 6  # repaired, nothing re-embedded
    assert any("active.json" in r for r in report["repairs"])
    assert json.loads((db / "index" / "active.json").read_text())["generation"] == generation(db).name
    assert run_json(capsys, db, "status")["problems"] == []


@pytest.mark.parametrize("content", ["[]", '{"fingerprint": 3, "dim": "x"}', "{{{"])
def test_broken_meta_is_rewritten_without_re_embedding(capsys, db, content):
    capsys.readouterr()
    meta = generation(db) / "meta.json"
    meta.write_text(content, encoding="utf-8")
    report = run_json(capsys, db, "index")
    assert report["chunks_embedded"] == 0 and any("meta.json" in r for r in report["repairs"])
    fixed = json.loads(meta.read_text())
    assert fixed["fingerprint"] == active_generation(db)["fingerprint"] and fixed["dim"] == active_generation(db)["dim"]


def test_pointer_and_meta_both_lost_still_find_the_index(capsys, db):
    capsys.readouterr()
    (generation(db) / "meta.json").write_text("[]")
    (db / "index" / "active.json").write_text("[]")
    st = run_json(capsys, db, "status")
    assert st["files"] == 6  # fingerprint and dim read from the tables themselves
