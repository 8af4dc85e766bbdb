"""The home screen: search as you type, results on the left, the chunk in context on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Static
from textual.worker import get_current_worker

from klein_app.tui.widgets.footer import key_footer
from klein_app.tui.widgets.nav_bar import NavBar
from klein_app.tui.widgets.preview import Preview, read_window
from klein_app.tui.widgets.results import ResultsList
from klein_app.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from klein_app.queries.results import SearchResult

EMPTY_INDEX = "The index is empty. Press F3 to add a folder; results appear here as it is indexed."
START_TYPING = "Type to search your files by meaning. Ctrl+T switches hybrid / vector / text."
NO_GOOD_MATCH = "No good match: nothing here is close to the query. The nearest files:"
LOADING_MODEL = "Loading the model; results follow as soon as it is ready. Text mode (Ctrl+T) needs no model."


class SearchScreen(Screen):
    BINDINGS = [
        Binding("ctrl+t", "toggle_mode", "Mode"),
        Binding("ctrl+l", "focus_filter", "Path filter"),
        Binding("ctrl+o", "open_system", "Open"),
        Binding("s", "similar", "Similar files"),
        Binding("escape", "focus_query", "Query", show=False),
        Binding("down", "focus_results", "Results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mode = "hybrid"
        self._debounce: Timer | None = None
        self._query = ""  # the query the shown results answer, for highlighting
        self._searched = ""

    def compose(self) -> ComposeResult:
        yield NavBar("search")
        with Horizontal(id="search-bar"):
            # Back on this screen, typing goes on with the query rather than replacing it.
            yield Input(placeholder="Search your files…", id="query", select_on_focus=False)
            yield Input(placeholder="path filter, e.g. *.md", id="path-filter")
            yield Label(self._mode_label(), id="mode")
        with Horizontal(id="search-body"):
            with Vertical(id="results-pane"):
                yield Static(START_TYPING, id="results-message")
                yield Static(NO_GOOD_MATCH, id="weak-note")
                yield ResultsList(id="results")
            yield Preview(id="preview")
        yield StatusBar(id="status")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#results-pane").border_title = "Results"
        self.query_one(Preview).border_title = "Preview"
        self.query_one(ResultsList).display = False
        self.query_one("#query", Input).focus()
        if (signal := getattr(self.app, "index_signal", None)) is not None:
            signal.subscribe(self, lambda _: self._index_changed())
        self._index_changed()

    def on_screen_resume(self) -> None:
        # Back from another screen (F2) the person wants to type: a focused results list would take the
        # letters as key bindings ("s" opens Similar files).
        self.query_one("#query", Input).focus()

    # --- typing --------------------------------------------------------------------------------

    @on(Input.Changed, "#query")
    @on(Input.Changed, "#path-filter")
    def _schedule_search(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(getattr(self.app, "debounce_s", 0.25), self.start_search)

    @on(Input.Submitted, "#query")
    @on(Input.Submitted, "#path-filter")
    def _submit(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self.start_search()
        if self.query_one(ResultsList).hits:
            self.query_one(ResultsList).focus()

    def start_search(self) -> None:
        query = self.query_one("#query", Input).value.strip()
        path_glob = self.query_one("#path-filter", Input).value.strip()
        if not query:
            self.workers.cancel_group(self, "search")
            self._searched = ""
            self._show_message(self._idle_message())
            return
        self.query_one("#results-pane").border_subtitle = "searching…"
        status = getattr(self.app, "status", None)
        if (
            self.mode != "text"
            and status is not None
            and status.model != "ready"
            and not self.query_one(ResultsList).hits
        ):
            self._show_message(LOADING_MODEL, keep_subtitle=True)
        self._run_search(query, self.mode, path_glob)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _run_search(self, query: str, mode: str, path_glob: str) -> None:
        worker = get_current_worker()
        try:
            hits = self.app.backend.search(query, mode=mode, path_glob=path_glob or None)
        except Exception as exc:  # a failed query is a message, never a traceback
            if not worker.is_cancelled:
                line = self.app.report_error(exc, "Search failed")
                self.app.call_from_thread(self._show_message, f"Search failed: {line}", True)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_hits, query, hits)

    # --- results -------------------------------------------------------------------------------

    def _show_hits(self, query: str, hits: list[SearchResult]) -> None:
        self._searched = self._query = query
        results = self.query_one(ResultsList)
        if not hits:
            self._show_message(f"No matches for “{query}”." + self._empty_hint())
            return
        # The same query reruns when the index changes: keep the reader on the file they were looking at.
        current = results.current_hit()
        from klein_app.queries.results import no_good_match

        self.query_one("#results-message").display = False
        self.query_one("#weak-note").display = no_good_match(hits)
        results.display = True
        results.show_hits(hits, query)
        keep = next((i for i, h in enumerate(hits) if current is not None and h.path == current.path), 0)
        results.highlighted = keep
        self.query_one("#results-pane").border_title = f"Results ({len(hits)})"
        self.query_one("#results-pane").border_subtitle = ""
        self._preview(hits[keep])

    def _show_message(self, message: str, error: bool = False, keep_subtitle: bool = False) -> None:
        if not keep_subtitle:
            self.query_one("#results-pane").border_subtitle = ""
        label = self.query_one("#results-message", Static)
        label.update(message)
        label.set_class(error, "-error")
        label.display = True
        self.query_one("#weak-note").display = False
        results = self.query_one(ResultsList)
        results.display = False
        results.show_hits([], "")
        self.query_one("#results-pane").border_title = "Results"
        # No result is shown, so no file is: drop a preview still loading and the last file's name.
        self.workers.cancel_group(self, "preview")
        preview = self.query_one(Preview)
        preview.border_title = "Preview"
        preview.border_subtitle = ""
        preview.show_message("")

    def _idle_message(self) -> str:
        status = getattr(self.app, "status", None)
        if status is not None and status.phase not in ("starting", "error") and not status.busy and not status.n_chunks:
            return EMPTY_INDEX
        return START_TYPING

    def _empty_hint(self) -> str:
        status = getattr(self.app, "status", None)
        if status is not None and status.busy:
            return " Indexing is still running; more files will be searchable soon."
        if status is not None and not status.n_chunks:
            return " " + EMPTY_INDEX
        return ""

    def _index_changed(self) -> None:
        if self._searched:
            # The index moved under the results: rerun the query so they stay true.
            self.start_search()
        elif not self.query_one("#query", Input).value.strip():
            self._show_message(self._idle_message())

    @on(ResultsList.OptionHighlighted, "#results")
    def _highlighted(self) -> None:
        hit = self.query_one(ResultsList).current_hit()
        if hit is not None:
            self._preview(hit)

    @on(ResultsList.OptionSelected, "#results")
    def _selected(self) -> None:
        hit = self.query_one(ResultsList).current_hit()
        if hit is not None:
            self.app.open_file(hit.path, hit.start_line)

    def _preview(self, hit: SearchResult) -> None:
        self.query_one(Preview).border_title = hit.path.rsplit("/", 1)[-1]
        self._load_preview(hit, self._query)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _load_preview(self, hit: SearchResult, query: str) -> None:
        worker = get_current_worker()
        try:
            text = read_window(hit)
        except Exception as exc:
            if not worker.is_cancelled:
                line = self.app.report_error(exc, "Cannot preview")
                self.app.call_from_thread(self.query_one(Preview).show_message, f"Cannot preview: {line}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.query_one(Preview).show_preview, text, query)

    # --- actions -------------------------------------------------------------------------------

    def _mode_label(self) -> Text:
        return Text(f"[{self.mode}]")

    def action_toggle_mode(self) -> None:
        from klein_app.queries.results import SEARCH_MODES

        self.mode = SEARCH_MODES[(SEARCH_MODES.index(self.mode) + 1) % len(SEARCH_MODES)]
        self.query_one("#mode", Label).update(self._mode_label())
        self.notify(f"Search mode: {self.mode}", timeout=2)
        self.start_search()

    def action_focus_filter(self) -> None:
        self.query_one("#path-filter", Input).focus()

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    def action_focus_results(self) -> None:
        results = self.query_one(ResultsList)
        if results.display and results.hits:
            results.focus()

    def action_similar(self) -> None:
        # Bound to a letter: reaches here only from the results list, never while typing a query.
        hit = self.query_one(ResultsList).current_hit()
        if hit is not None:
            from klein_app.tui.screens.similar import SimilarScreen

            self.app.push_screen(SimilarScreen(hit.path))

    def action_open_system(self) -> None:
        hit = self.query_one(ResultsList).current_hit()
        if hit is not None:
            self.app.open_file(hit.path, hit.start_line, system=True)
