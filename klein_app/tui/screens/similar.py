"""Files closest in meaning to one file ("more like this"); S again jumps on from the highlighted one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from klein_app.tui.widgets.footer import key_footer

if TYPE_CHECKING:
    from klein_app.queries.results import SimilarFile


class SimilarScreen(ModalScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("s", "similar", "Similar to this"),
        Binding("o", "open", "Open"),
    ]

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.rows: list[SimilarFile] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="similar-dialog"):
            yield Static("Finding similar files…", id="similar-message")
            yield OptionList(id="similar")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#similar-dialog").border_title = f"Similar to {self.app.display_path(self.path)}"
        self.query_one("#similar").display = False
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            rows = self.app.backend.similar(self.path)
        except Exception as exc:
            line = self.app.report_error(exc, "Cannot find similar files")
            self.app.call_from_thread(self._message, f"Cannot find similar files: {line}")
            return
        self.app.call_from_thread(self._show, rows)

    def _message(self, text: str) -> None:
        self.query_one("#similar-message", Static).update(text)

    def _show(self, rows: list[SimilarFile]) -> None:
        self.rows = [r for r in rows if r.path != self.path]
        if not self.rows:
            self._message("No other files in the index are close to this one.")
            return
        listing = self.query_one("#similar", OptionList)
        listing.set_options(
            Option(Text.assemble((f"{r.score:6.3f} ", "bold"), self.app.display_path(r.path)), id=str(i))
            for i, r in enumerate(self.rows)
        )
        self.query_one("#similar-message").display = False
        listing.display = True
        listing.highlighted = 0
        listing.focus()

    def _current(self) -> SimilarFile | None:
        index = self.query_one("#similar", OptionList).highlighted
        return self.rows[index] if index is not None and 0 <= index < len(self.rows) else None

    def action_similar(self) -> None:
        row = self._current()
        if row is not None:
            self.app.push_screen(SimilarScreen(row.path))

    @on(OptionList.OptionSelected, "#similar")
    def action_open(self) -> None:
        row = self._current()
        if row is not None:
            self.app.open_file(row.path, None)
