"""The CLI's one error model: exit codes, --json errors, a bad config, the log, checks before loading."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from klein_app.cli import main
from klein_app.settings import Settings, resolve_paths, save_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path, tiny_model_path):
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path)))
    return db


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_fresh(*argv, stdin=None):
    """The CLI in a fresh interpreter: tells which heavy modules a command imported."""
    code = (
        "import sys\n"
        "from klein_app.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'lancedb') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
        "sys.exit(rc)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, input=stdin)
    heavy = proc.stdout.rsplit("HEAVY=", 1)[1].strip()
    return proc.returncode, proc.stdout.rsplit("HEAVY=", 1)[0], proc.stderr, heavy


@pytest.mark.parametrize("command", [["status"], ["search", "bread"], ["similar", "x.md"], ["dupes"], ["clusters"]])
def test_a_bad_config_is_one_clean_line_for_every_command(tmp_path, capsys, command):
    db = tmp_path / "db"
    db.mkdir()
    (db / "config.toml").write_text("chunk_tokens = [not toml\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", str(db), *command)
    assert code == 1 and "Traceback" not in err
    assert err.startswith("klein-search: ") and "not valid TOML" in err and len(err.strip().splitlines()) == 1
    code, out, err = run(capsys, "--db", str(db), *command, "--json")
    assert code == 1 and err == "" and json.loads(out)["kind"] == "runtime"


def test_an_unexpected_error_points_to_the_log_which_holds_the_traceback(db, capsys, monkeypatch):
    from klein_app.commands import index_cmds

    def broken(ctx, **_):
        raise RuntimeError("boom in collect_status")

    monkeypatch.setattr(index_cmds, "collect_status", broken)
    code, out, err = run(capsys, "--db", str(db), "status")
    log = db / "logs" / "klein-search.log"
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "boom in collect_status" in err and str(log) in err
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError: boom in collect_status" in text


def test_status_names_the_log_file(db, capsys):
    code, out, _ = run(capsys, "--db", str(db), "status", "--json")
    assert code == 0 and json.loads(out)["log_file"] == str(db / "logs" / "klein-search.log")
    code, out, _ = run(capsys, "--db", str(db), "status")
    assert f"log      {db / 'logs' / 'klein-search.log'}" in out


def test_search_arguments_are_checked_before_the_model_loads(db, tmp_path):
    code, out, err, heavy = run_fresh("--db", str(db), "search", "")
    assert code == 2 and "the query is empty" in err and heavy == ""
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    code, out, err, heavy = run_fresh("--db", str(db), "search", "--queries", str(empty))
    assert code == 2 and "holds no queries" in err and heavy == ""
    code, out, err, heavy = run_fresh("--db", str(db), "search", "x", "--since", "someday")
    assert code == 2 and "not a date" in err and heavy == ""


def test_embed_rejects_a_dimension_the_model_was_not_trained_for(capsys):
    code, out, err, heavy = run_fresh("embed", "hello", "--dim", "100")
    assert code == 2 and "64, 128, 256" in err and heavy == ""
    code, out, err = run(capsys, "embed", "hello", "--dim", "64", "--json")
    assert code == 0 and json.loads(out)["results"][0]["dim"] == 64


def test_model_shows_the_cards_evaluation(capsys):
    code, out, _ = run(capsys, "model", "--json")
    evaluation = json.loads(out)["evaluation"]
    assert code == 0 and evaluation["student"]["stsb_dev"]["spearman"] > 50
    code, out, _ = run(capsys, "model")
    assert "student stsb_dev: spearman" in out and "evaluation: {}" not in out


def test_train_hands_its_arguments_to_the_trainer(tmp_path):
    code, out, err, heavy = run_fresh("train", "--help")
    assert code == 0 and "--recipe" in out and "--export" in out and "unrecognized" not in err
    # the README's spelling reaches the trainer's own parser (which then asks for the data folder)
    code, out, err, heavy = run_fresh("train", "--recipe", "klein-v1", "--out", str(tmp_path / "out"))
    assert code == 2 and "--data" in err and "unrecognized arguments" not in err


def test_unknown_arguments_elsewhere_are_usage_errors(capsys):
    code, out, err = run(capsys, "status", "--nope")
    assert code == 2 and "unrecognized arguments: --nope" in err


def test_commands_do_not_import_the_cli_module():
    """The command modules get their errors from klein_app.errors, so cli.py -> commands is one-way."""
    for path in (ROOT / "klein_app" / "commands").glob("*.py"):
        assert "klein_app.cli" not in path.read_text(encoding="utf-8"), path.name


def test_clusters_asked_for_more_than_the_files_is_capped_without_a_warning(indexed_ctx, capsys):
    from klein_app.queries import cluster_files

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cluster_files(indexed_ctx.reader_store(), n=5000)
    assert not [w for w in caught if "Converge" in type(w.message).__name__ or "distinct" in str(w.message)]
    assert result.chosen_by == "capped" and 1 <= result.k <= 8
    code, out, err = run(capsys, "--db", str(indexed_ctx.paths.data_dir), "clusters", "-n", "5000")
    assert code == 0 and "asked for 5000" in out and "Warning" not in err
