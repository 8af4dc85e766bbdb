"""Cold start: mistakes are reported before anything heavy is imported, and a search never imports torch."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "lancedb", "pandas")


def _run(code: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=None)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_argument_errors_import_nothing_heavy(tmp_path):
    code = (
        "import sys\n"
        "from klein_app.cli import main\n"
        f"for argv in (['search', ''], ['search', '-k', '0', 'x'], ['search', 'x', '--mode', 'fuzzy']):\n"
        f"    assert main(['--db', {str(tmp_path)!r}, *argv]) == 2\n"
        f"print(*[m for m in {HEAVY!r} if m in sys.modules] or ['none'])\n"
    )
    assert _run(code) == ["none"]


def test_search_embeds_without_torch(tmp_path, tiny_model_path, make_corpus):
    from klein_app.context import AppContext
    from klein_app.index.indexer import index_paths
    from klein_app.settings import Settings, resolve_paths, save_settings

    root = make_corpus(tmp_path / "corpus", {"a.md": "Kettlebell swings build the posterior chain.\n"})
    db = tmp_path / "db"
    paths = resolve_paths(str(db))
    settings = Settings(folders=[str(root)], model=str(tiny_model_path))
    save_settings(paths, settings)
    index_paths(AppContext(paths, settings))
    code = (
        "import sys\n"
        "from klein_app.cli import main\n"
        f"assert main(['--db', {str(db)!r}, '--no-service', 'search', 'kettlebell', '--json']) == 0\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules, 'urllib3' in sys.modules)\n"
    )
    out = _run(code)
    assert out[-3:] == ["False", "False", "False"] and "a.md" in " ".join(out[:-3])


def test_lancedb_rest_client_still_loads_on_use(tmp_path):
    code = (
        "import sys\n"
        "from klein_app.index.lancedb_loader import import_lancedb\n"
        "lancedb = import_lancedb()\n"
        f"db = lancedb.connect({str(tmp_path)!r})\n"
        "db.create_table('t', data=[{'x': 1}])\n"
        "print('urllib3' in sys.modules, db.open_table('t').count_rows())\n"
        "import lance_namespace_urllib3_client as c\n"
        "print(c.ApiClient.__name__, 'urllib3' in sys.modules)\n"
    )
    assert _run(code) == ["False", "1", "ApiClient", "True"]
