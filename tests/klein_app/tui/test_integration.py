"""The real app on a real index: add a folder in the UI, watch it index, search, then duplicates and clusters.

One app run covers the whole path, since loading the model and indexing dominate the cost.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from klein_app.settings import Settings, resolve_paths, save_settings
from klein_app.tui.backend import Backend
from klein_app.tui.screens.clusters import ClustersScreen
from klein_app.tui.screens.duplicates import DuplicatesScreen
from klein_app.tui.screens.folders import AddFolderScreen
from klein_app.tui.widgets.results import ResultsList

from .helpers import make_app, settle, type_text, wait_for

BREAD = "# Baking bread\n\nMix flour, water, salt and yeast. Knead the dough, let it rise, then bake it.\n"
CORPUS = {
    "cooking/bread.md": BREAD,
    "cooking/bread copy.md": BREAD,  # the planted exact duplicate
    "cooking/soup.txt": "Tomato soup: roast tomatoes with garlic and onion, blend with stock, add basil.\n",
    "space/mars.md": "Mars is the fourth planet from the Sun. Rovers study its red dusty surface.\n",
    "space/telescope.txt": "The telescope gathers light with a large mirror to observe distant galaxies.\n",
    "code/server.py": "def handle_request(request):\n    if not request.ok:\n        return 'ERR_4711'\n    return 'ok'\n",
}


def write_corpus(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def indexed(app) -> bool:
    s = app.status
    return s.phase == "watching" and not s.busy and s.n_files == len(CORPUS)


async def test_add_folder_index_search_duplicates_clusters(tmp_path, tiny_model_path):
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path)))
    app = make_app(Backend(str(db)))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3", "a")
        await settle(pilot)
        assert isinstance(app.screen, AddFolderScreen)
        app.screen.query_one(Input).value = str(corpus)
        await pilot.press("enter")
        seen_busy = []
        assert await wait_for(pilot, lambda: seen_busy.append(app.status.busy) or indexed(app), timeout=90), app.status
        assert any(seen_busy), "the status bar never showed indexing progress"
        await settle(pilot)
        folders = app.screen.query_one("#folders", DataTable)
        assert folders.row_count == 1 and str(folders.get_row_at(0)[1]) == str(len(CORPUS))

        # An exact identifier in text mode: robust even with a random-weight model.
        await pilot.press("f2", "ctrl+t", "ctrl+t")
        assert app.screen.mode == "text"
        await type_text(pilot, "ERR_4711")
        await settle(pilot)
        hits = app.screen.query_one(ResultsList).hits
        assert hits and hits[0].path == str(corpus / "code" / "server.py")

        # A file saved while the app runs is picked up by the watcher and found by the same query.
        (corpus / "code" / "client.py").write_text("def call():\n    raise RuntimeError('ERR_4711 again')\n")
        assert await wait_for(pilot, lambda: app.status.n_files == len(CORPUS) + 1 and not app.status.busy, 60)
        await settle(pilot)
        paths = {h.path for h in app.screen.query_one(ResultsList).hits}
        assert str(corpus / "code" / "client.py") in paths
        (corpus / "code" / "client.py").unlink()
        assert await wait_for(pilot, lambda: app.status.n_files == len(CORPUS) and not app.status.busy, 60)

        await pilot.press("f4")
        assert await wait_for(pilot, lambda: isinstance(app.screen, DuplicatesScreen) and app.screen._loaded, 60)
        planted = {str(corpus / "cooking" / "bread.md"), str(corpus / "cooking" / "bread copy.md")}
        assert any(planted <= set(g.paths) for g in app.screen.groups), app.screen.groups

        await pilot.press("f5")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ClustersScreen) and app.screen._loaded, 60)
        clusters = app.screen.clusters
        assert clusters and sum(c.size for c in clusters) == len(CORPUS)
        assert all(c.label for c in clusters)


async def test_a_broken_config_is_one_line_on_screen_not_a_traceback(tmp_path):
    db = tmp_path / "db"
    db.mkdir()
    (db / "config.toml").write_text("folders = [unclosed\n")
    app = make_app(Backend(str(db)))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.status.phase == "error" and "not valid TOML" in app.status.message
        await type_text(pilot, "anything")
        await settle(pilot)
        message = str(app.screen.query_one("#results-message").render())
        assert message.startswith("Search failed:") and "Traceback" not in message
        assert app.is_running


async def test_search_by_meaning_with_the_bundled_model(tmp_path):
    import klein_model

    if klein_model.bundled_model_path() is None:
        pytest.skip("no trained model is bundled in this checkout")
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(folders=[str(corpus)]))  # model unset: the bundled one
    app = make_app(Backend(str(db)))
    async with app.run_test(size=(100, 30)) as pilot:
        assert await wait_for(pilot, lambda: indexed(app) and app.status.model == "ready", timeout=120), app.status
        # words the bread file never uses: only its meaning matches
        await type_text(pilot, "how to make a loaf at home")
        await settle(pilot)
        hits = app.screen.query_one(ResultsList).hits
        assert hits and hits[0].path in {
            str(corpus / "cooking" / "bread.md"),
            str(corpus / "cooking" / "bread copy.md"),
        }
