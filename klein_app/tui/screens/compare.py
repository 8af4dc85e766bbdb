"""Two files side by side with their differences marked. Read-only."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Label, Static

from klein_app.sources.readers import read_path, split_lines
from klein_app.tui.diffing import side_by_side, summarize
from klein_app.tui.widgets.diff_view import DiffView
from klein_app.tui.widgets.footer import key_footer
from klein_app.tui.widgets.preview import MAX_PREVIEW_BYTES


def read_lines(path: str) -> list[str]:
    """The file's text as the index reads it (charset detection, PDF and DOCX text), one item a line."""
    lines = [line.removesuffix("\r") for line in split_lines(read_path(path, MAX_PREVIEW_BYTES).text)]
    # A final newline ends the last line; it does not start an empty one worth a diff row.
    return lines[:-1] if len(lines) > 1 and lines[-1] == "" else lines


class CompareScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("y", "copy", "Copy paths"),
    ]

    def __init__(self, left: str, right: str) -> None:
        super().__init__()
        self.left, self.right = left, right

    def compose(self) -> ComposeResult:
        with Horizontal(id="compare-heads"):
            yield Label(self.app.display_path(self.left), classes="compare-head")
            yield Label(self.app.display_path(self.right), classes="compare-head")
        yield Static("Comparing…", id="compare-summary")
        yield DiffView(id="diff")
        yield key_footer()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            rows = side_by_side(read_lines(self.left), read_lines(self.right))
        except Exception as exc:
            line = self.app.report_error(exc, "Cannot compare")
            self.app.call_from_thread(self.query_one("#compare-summary", Static).update, f"Cannot compare: {line}")
            return
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows) -> None:
        s = summarize(rows)
        if not (s.changed or s.only_left or s.only_right):
            text = f"Identical text ({s.same} lines)."
        else:
            text = f"{s.same} same · {s.changed} changed · {s.only_left} only left · {s.only_right} only right"
        self.query_one("#compare-summary", Static).update(text)
        self.query_one(DiffView).show_rows(rows)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(f"{self.left}\n{self.right}")
        self.notify("Copied both paths to the clipboard.", timeout=3)
