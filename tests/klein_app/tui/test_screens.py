"""Screens driven with Pilot against a fixed-data backend (no model, no index): behaviour, not pixels."""

from __future__ import annotations

import contextlib
import threading

from textual.widgets import DataTable, Input, OptionList, Static

from klein_app.queries.results import DuplicateGroup, DuplicateItem
from klein_app.tui.screens.clusters import ClustersScreen
from klein_app.tui.screens.compare import CompareScreen
from klein_app.tui.screens.duplicates import DuplicatesScreen
from klein_app.tui.screens.folders import AddFolderScreen, ConfirmScreen, FoldersScreen
from klein_app.tui.screens.help import HelpScreen
from klein_app.tui.screens.search import EMPTY_INDEX, SearchScreen
from klein_app.tui.screens.similar import SimilarScreen
from klein_app.tui.widgets.results import ResultsList
from klein_app.tui.widgets.status_bar import StatusBar

from .fakes import FakeBackend
from .helpers import make_app, search_for, settle, type_text, wait_for


def status_text(app) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_search_as_you_type_shows_ranked_results_and_preview():
    app = make_app(FakeBackend(), debounce_s=0.25)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "6 files · 32 chunks" in status_text(app)
        await type_text(pilot, "bread")
        await pilot.pause(0.3)
        await settle(pilot)
        results = app.screen.query_one(ResultsList)
        assert [h.path.rsplit("/", 1)[1] for h in results.hits] == ["bread.md", "japan.md"]
        assert results.display and not app.screen.query_one("#results-message").display
        preview = str(app.screen.query_one("#preview-body", Static).render())
        assert "Sourdough bread" in preview
        # Typing fast runs one search for the settled query, not one per key.
        assert [q for q, _, _ in app.backend.searches] == ["bread"]


async def test_an_index_change_reruns_the_query_and_keeps_the_highlighted_file():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, "bread")
        await pilot.press("down", "down")
        results = app.screen.query_one(ResultsList)
        assert results.current_hit().path.endswith("japan.md")
        before = len(backend.searches)
        app.index_signal.publish(None)
        await settle(pilot)
        assert len(backend.searches) == before + 1
        assert results.current_hit().path.endswith("japan.md")


async def test_s_on_a_result_lists_similar_files_but_types_in_the_query():
    app = make_app(FakeBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, "sourdough")
        assert app.screen.query_one("#query", Input).value == "sourdough"
        await pilot.press("down", "s")
        await settle(pilot)
        assert isinstance(app.screen, SimilarScreen) and app.screen.path.endswith("bread.md")


async def test_mode_toggle_and_path_filter_reach_the_query():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, "bread")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert backend.searches[-1] == ("bread", "vector", None)
        await pilot.press("ctrl+l")
        await type_text(pilot, "*.md")
        await settle(pilot)
        assert backend.searches[-1] == ("bread", "vector", "*.md")
        await pilot.press("ctrl+t", "ctrl+t")
        await settle(pilot)
        assert backend.searches[-1][1] == "hybrid"


async def test_no_match_and_cleared_query_messages():
    app = make_app(FakeBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, "zebra")
        message = str(app.screen.query_one("#results-message", Static).render())
        assert "No matches for “zebra”" in message
        app.screen.query_one("#query", Input).value = ""
        await settle(pilot)
        assert "Type to search" in str(app.screen.query_one("#results-message", Static).render())


async def test_empty_index_says_how_to_start():
    app = make_app(FakeBackend(folders=(), files=[], hits=[], groups=[], clusters=[]))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one("#results-message", Static).render()) == EMPTY_INDEX
        await pilot.press("f3")
        await settle(pilot)
        assert "No folders are watched yet" in str(app.screen.query_one("#folders-message", Static).render())
        await pilot.press("f4")
        await settle(pilot)
        assert "No duplicate files" in str(app.screen.query_one("#dupes-message", Static).render())
        await pilot.press("f5")
        await settle(pilot)
        assert "No clusters yet" in str(app.screen.query_one("#clusters-message", Static).render())


async def test_a_failing_backend_shows_one_line_errors_and_keeps_running():
    app = make_app(FakeBackend(fail="the index is locked by another process"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "error: the index is locked" in status_text(app)
        await type_text(pilot, "bread")
        await settle(pilot)
        message = str(app.screen.query_one("#results-message", Static).render())
        assert message.startswith("Search failed: the index is locked")
        for key, widget in (("f3", "#folders-message"), ("f4", "#dupes-message"), ("f5", "#clusters-message")):
            await pilot.press(key)
            await settle(pilot)
            text = str(app.screen.query_one(widget, Static).render())
            assert "the index is locked" in text and "Traceback" not in text
        assert app.is_running


async def test_enter_opens_the_editor_at_the_hit_line(monkeypatch):
    calls = []
    monkeypatch.setenv("EDITOR", "vim")
    monkeypatch.setattr("klein_app.tui.app.subprocess.run", lambda argv, check: calls.append(argv))
    app = make_app(FakeBackend())
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, "bread")
        await pilot.press("down", "enter")
        await settle(pilot)
    assert calls == [["vim", "+3", "/data/notes/cooking/bread.md"]]


async def test_folders_screen_lists_folders_and_skipped_files():
    app = make_app(FakeBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, FoldersScreen)
        folders = app.screen.query_one("#folders", DataTable)
        assert folders.row_count == 1
        assert [str(c) for c in folders.get_row_at(0)][:4] == ["/data/notes", "6", "32", "2"]
        skipped = app.screen.query_one("#skipped", DataTable)
        reasons = sorted(str(skipped.get_row_at(i)[1]) for i in range(skipped.row_count))
        assert reasons == ["binary file", "secret (never indexed by default)"]


async def test_add_folder_completes_directories_and_adds(tmp_path):
    (tmp_path / "projects").mkdir()
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AddFolderScreen)
        field = app.screen.query_one(Input)
        field.value = str(tmp_path) + "/pr"
        field.cursor_position = len(field.value)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("tab")
        assert field.value == str(tmp_path / "projects") + "/"
        await pilot.press("enter")
        await settle(pilot)
        assert backend.folders()[-1].rstrip("/") == str(tmp_path / "projects")
        assert app.screen.query_one("#folders", DataTable).row_count == 2


async def test_add_folder_rejects_a_non_folder(tmp_path):
    app = make_app(FakeBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3", "a")
        await settle(pilot)
        app.screen.query_one(Input).value = str(tmp_path / "nope")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AddFolderScreen)
        assert "Not a folder" in str(app.screen.query_one("#dialog-error").render())


async def test_remove_folder_asks_first():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert backend.folders() == ["/data/notes"]
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert backend.folders() == []


async def test_reindex_the_selected_folder():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert backend.indexed == [["/data/notes"]]
        assert not app.status.busy


async def test_indexing_progress_shows_in_the_status_bar():
    class Event:
        phase, files_done, files_total, chunks_done, chunks_per_s, eta_s, current = "embed", 1, 2, 10, 50.0, 3.0, "/x"

    gate = threading.Event()

    class SlowIndexing(FakeBackend):
        def index(self, paths, progress):
            progress(Event())
            gate.wait(20)  # hold the run open while the test looks at the status bar

    app = make_app(SlowIndexing())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3", "i")
        assert await wait_for(pilot, lambda: "1/2 files" in status_text(app), timeout=10)
        assert status_text(app) == "indexing: embed · 1/2 files · 50 chunks/s · ETA 0:03"
        assert app.screen.query_one(StatusBar).has_class("-busy")
        gate.set()
        assert await wait_for(pilot, lambda: not app.status.busy, timeout=10)
        assert status_text(app).startswith("watching · 6 files")


async def test_duplicates_mark_two_compare_and_copy(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("one\ntwo\nthree\n")
    b.write_text("one\nTWO\nthree\nfour\n")
    group = DuplicateGroup(
        "near-identical",
        "file",
        [
            DuplicateItem(str(a), 14, 0.0),
            DuplicateItem(str(b), 19, 0.0, relation="near-identical", share=0.97, rep_share=0.98),
        ],
        0.97,
    )
    app = make_app(FakeBackend(groups=[group]))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen) and len(screen.groups) == 1
        await pilot.press("down", "space", "down", "space")
        assert screen.marked == [str(a), str(b)]
        await pilot.press("y")
        assert app.clipboard == f"{a}\n{b}"
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        summary = str(app.screen.query_one("#compare-summary", Static).render())
        assert summary == "2 same · 1 changed · 0 only left · 1 only right"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # nothing on disk was touched
        assert a.read_text() == "one\ntwo\nthree\n" and b.exists()


async def test_duplicates_threshold_cycles():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("t", "t")
        await settle(pilot)
        assert backend.thresholds == [0.8, 0.9, 0.95, 1.0]
        # identical files only: the query at 1.0, without the near-duplicate pair
        assert "identical files only" in app.screen.query_one("#dupes-pane").border_title
        assert [g.kind for g in app.screen.groups] == ["identical"] and len(app.screen.groups[0].items) == 2


async def test_clusters_open_files_and_jump_to_similar():
    app = make_app(FakeBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClustersScreen)
        assert [c.size for c in screen.clusters] == [3, 2, 1]
        await pilot.press("down", "enter")
        await settle(pilot)
        files = screen.query_one("#cluster-files", OptionList)
        assert files.option_count == 2 and files.has_focus
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SimilarScreen)
        assert app.screen.path.endswith("parser.py")
        assert app.screen.rows and all(r.path != app.screen.path for r in app.screen.rows)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_help_opens_and_closes():
    app = make_app(FakeBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        # `?` opens it too, wherever it is not typed into a field
        await pilot.press("f3", "question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_every_screen_survives_a_resize_to_80x24():
    app = make_app(FakeBackend())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, "bread")
        for key in ("f2", "f3", "f4", "f5", "f1"):
            await pilot.press(key)
            await settle(pilot)
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            assert app.size == (80, 24)
            # the status line stays on screen, above the footer
            for status in app.screen.query(StatusBar):
                assert status.region.bottom <= 23
            if key == "f2":
                # result rows are redrawn for the narrower pane instead of wrapping
                results = app.screen.query_one(ResultsList)
                prompt = results.get_option_at_index(0).prompt
                assert max(len(line) for line in prompt.plain.split("\n")) <= results.content_size.width
            await pilot.resize_terminal(120, 40)
            if key == "f1":
                await pilot.press("escape")
        assert app.is_running


async def test_f2_after_another_screen_puts_the_cursor_in_the_query():
    app = make_app(FakeBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, "bread")
        await pilot.press("down")
        assert isinstance(app.focused, ResultsList)
        for other in ("f4", "f5"):
            await pilot.press(other)
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            assert app.focused is app.screen.query_one("#query", Input)
        # "s" would open Similar files if the results list still had the focus.
        await type_text(pilot, " starter")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert app.screen.query_one("#query", Input).value == "bread starter"


async def test_preview_follows_the_results_when_they_refresh():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, "bread")
        preview = app.screen.query_one("#preview")
        assert preview.border_title == "bread.md"
        # The index changes under the query: bread.md no longer matches, then nothing does.
        backend._hits = [h for h in backend._hits if not h.path.endswith("bread.md")]
        app.index_signal.publish(None)
        await settle(pilot)
        assert preview.border_title == "japan.md"
        assert "melon bread" in str(app.screen.query_one("#preview-body", Static).render())
        backend._hits = []
        app.index_signal.publish(None)
        await settle(pilot)
        assert preview.border_title == "Preview" and not preview.border_subtitle
        assert str(app.screen.query_one("#preview-body", Static).render()).strip() == ""


async def test_path_filter_placeholder_fits_at_80_columns():
    app = make_app(FakeBackend())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#path-filter", Input)
        assert field.content_size.width >= len(field.placeholder)


async def test_remove_confirmation_shows_the_whole_question_and_both_buttons():
    folder = "/data/" + "a-rather-long-folder-name/" * 3 + "notes"
    app = make_app(FakeBackend(folders=(folder,)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        dialog = app.screen.query_one("#dialog")
        for part in (app.screen.query_one("#dialog-title"), *app.screen.query("Button")):
            assert dialog.content_region.contains_region(part.region), part


def error_toasts(app) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications if n.severity == "error"]


async def test_every_error_reaching_the_tui_is_one_error_toast():
    app = make_app(FakeBackend(fail="the index is locked by another process"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert error_toasts(app) == [("Cannot open the index", "the index is locked by another process")]
        await type_text(pilot, "bread")
        await settle(pilot)
        assert error_toasts(app)[1:] == [("Search failed", "the index is locked by another process")]
        await pilot.press("f4")
        await settle(pilot)
        assert error_toasts(app)[-1] == ("Cannot find duplicates", "the index is locked by another process")
        assert len(error_toasts(app)) == 3


class BuggyBackend(FakeBackend):
    def search(self, *args, **kwargs):
        raise RuntimeError("boom\nsecond line of a traceback-like message")


async def test_an_unexpected_exception_is_a_toast_and_is_logged(caplog):
    app = make_app(BuggyBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, "bread")
        assert error_toasts(app) == [("Search failed", "boom")]
        assert app.is_running
    logged = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
    assert logged and logged[0].exc_info[0] is RuntimeError
