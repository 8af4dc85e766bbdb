"""`klein-search --model`: switching to a static (klein-lite style) model rebuilds the index blue-green."""

import json

import numpy as np
import pytest

from klein_app.cli import main
from klein_app.errors import UserError
from klein_app.settings import Settings, load_settings, resolve_paths, save_settings


@pytest.fixture
def static_model_path(tmp_path, tiny_model):
    from klein_model.folder import save_static_folder

    table = np.random.default_rng(1).normal(size=(tiny_model.tokenizer.get_vocab_size(), 16))
    return save_static_folder(
        tmp_path / "lite",
        table,
        tiny_model.tokenizer,
        name="lite-test",
        version="0",
        max_seq_length=128,
        matryoshka_dims=[],
    )


def run_json(capsys, *argv):
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_model_option_switches_to_a_static_model_and_reindexes(
    capsys, tmp_path, tiny_model_path, static_model_path, make_corpus
):
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path)))
    corpus = make_corpus(tmp_path / "notes", {"a.md": "apples and pears\n", "b.txt": "boats on the river\n"})
    run_json(capsys, "--db", str(db), "add", str(corpus))
    before = run_json(capsys, "--db", str(db), "status")["model"]
    assert before["name"] == "tiny-random"

    run_json(capsys, "--db", str(db), "--model", str(static_model_path), "status")
    assert load_settings(resolve_paths(str(db))).model == str(static_model_path)  # saved, not one-off
    pending = run_json(capsys, "--db", str(db), "status")["model"]
    assert pending["rebuild_pending"] and pending["name"] == "tiny-random"  # still serving the old index

    report = run_json(capsys, "--db", str(db), "index")
    assert report["chunks_embedded"] == 2
    after = run_json(capsys, "--db", str(db), "status")["model"]
    assert after["name"] == "lite-test" and after["dim"] == 16 and not after["rebuild_pending"]
    hits = run_json(capsys, "--db", str(db), "search", "boats")
    assert hits["results"][0]["path"] == str(corpus / "b.txt")  # "boats" is in b.txt only: hybrid finds it


def test_unknown_model_is_a_clear_error_and_changes_nothing(capsys, tmp_path, tiny_model_path):
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path)))
    code = main(["--db", str(db), "--model", str(tmp_path / "nope"), "status"])
    err = capsys.readouterr().err
    assert code == UserError.exit_code and "no model" in err and err.count("\n") == 1
    assert load_settings(resolve_paths(str(db))).model == str(tiny_model_path)
