"""`klein-search doctor` checks the invariants and repairs a deliberately broken index."""

import json
import os

import pytest

from klein_app.cli import main
from klein_app.index.store import active_generation
from klein_app.settings import Settings, resolve_paths, save_settings


@pytest.fixture
def db(tmp_path, tiny_model_path, make_corpus):
    corpus = make_corpus(tmp_path / "notes", {f"n{i}.md": f"note {i} about topic {i}\n" for i in range(5)})
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path)))
    assert main(["--db", str(db), "add", str(corpus), "--json", "-q"]) == 0
    return db


def doctor(capsys, db, *extra):
    capsys.readouterr()
    code = main(["--db", str(db), "doctor", "--json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out)


def by_name(report, prefix):
    return [c for c in report["checks"] if c["name"].startswith(prefix)]


def test_healthy_index_is_all_ok(capsys, db):
    code, report = doctor(capsys, db)
    assert code == 0 and report["problems"] == 0 and report["fixed"] == 0
    names = {c["name"].split()[0] for c in report["checks"]}
    assert {"permissions", "pointer", "meta", "tables", "rows", "versions", "search", "leftovers"} <= names


def test_doctor_repairs_a_deliberately_broken_index(capsys, db):
    gen = db / "index" / active_generation(db)["generation"]
    (db / "index" / "active.json").write_text("[1, 2]")
    os.chmod(db, 0o755)
    os.chmod(gen / "meta.json", 0o644)
    (gen / "meta.json.tmp").write_text("half")  # a write cut short
    # rows vs chunks: a files row claims more chunks than there are
    from klein_app.index.store import Store

    rec = json.loads((gen / "meta.json").read_text())
    store = Store.open(db, rec["dim"], rec["fingerprint"])
    row = next(iter(store.file_rows().values()))
    store.upsert_file_rows([dict(row, n_chunks=row["n_chunks"] + 2)])

    code, dry = doctor(capsys, db, "--dry-run")
    assert code == 1 and dry["fixed"] == 0
    assert {c["name"].split()[0] for c in dry["checks"] if c["status"] == "problem"} >= {
        "permissions",
        "pointer",
        "rows",
        "leftovers",
    }
    assert (db / "index" / "active.json").read_text() == "[1, 2]"  # a dry run changes nothing

    code, fixed = doctor(capsys, db)
    assert code == 0 and fixed["problems"] == 0, fixed
    assert {c["name"].split()[0] for c in fixed["checks"] if c["status"] == "fixed"} >= {
        "permissions",
        "pointer",
        "rows",
        "reindex",
        "leftovers",
    }
    code, again = doctor(capsys, db)
    assert code == 0 and again["problems"] == 0 and again["fixed"] == 0, [
        c for c in again["checks"] if c["status"] == "fixed"
    ]
    st = json.loads((lambda: (main(["--db", str(db), "status", "--json"]), capsys.readouterr().out)[1])())
    assert st["files"] == 5 and st["chunks"] == 5


def test_doctor_rebuilds_a_generation_with_a_missing_fragment(capsys, db):
    gen = db / "index" / active_generation(db)["generation"]
    next((gen / "chunks.lance" / "data").iterdir()).unlink()
    code, report = doctor(capsys, db)
    assert code == 0, report
    tables = by_name(report, "tables")
    assert tables[0]["status"] == "fixed" and "damaged" in tables[0]["detail"] and "rebuilt" in tables[0]["detail"]
    reindex = by_name(report, "reindex")[0]
    assert reindex["status"] == "fixed" and "5 file(s) indexed" in reindex["detail"]
    assert "moved it aside to broken-" in reindex["detail"]


def test_text_output_says_what_it_fixed(capsys, db):
    (db / "index" / "active.json").write_text("garbage")
    capsys.readouterr()
    assert main(["--db", str(db), "doctor"]) == 0
    out = capsys.readouterr().out
    assert "FIXED    pointer" in out and "1 fixed, 0 problem(s) left" in out
