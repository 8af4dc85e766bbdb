"""Two files side by side, differences marked: removed red, added green, changed yellow."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from klein_app.tui.diffing import DiffRow, changed_spans

MAX_ROWS = 4000
_ROW_STYLE = {"equal": "", "delete": "on #4b1d1d", "insert": "on #1d4b24", "replace": "on #4b431d"}
_MARK = {"equal": " ", "delete": "-", "insert": "+", "replace": "~"}


def render_rows(rows: list[DiffRow]) -> Table:
    table = Table.grid(expand=True, padding=(0, 1))
    table.add_column(justify="right", style="dim", width=5, no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    table.add_column(width=1, no_wrap=True)
    table.add_column(justify="right", style="dim", width=5, no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for row in rows[:MAX_ROWS]:
        style = _ROW_STYLE[row.tag]
        left, right = Text(row.left, style=style), Text(row.right, style=style)
        if row.tag == "replace" and row.left and row.right:
            lspans, rspans = changed_spans(row.left, row.right)
            for a, b in lspans:
                left.stylize("bold underline", a, b)
            for a, b in rspans:
                right.stylize("bold underline", a, b)
        table.add_row(
            "" if row.left_no is None else str(row.left_no),
            left,
            _MARK[row.tag],
            "" if row.right_no is None else str(row.right_no),
            right,
        )
    if len(rows) > MAX_ROWS:
        table.add_row("", Text(f"… {len(rows) - MAX_ROWS} more rows not shown", style="dim"), "", "", "")
    return table


class DiffView(VerticalScroll):
    DEFAULT_CSS = """
    DiffView > #diff-body { width: 1fr; height: auto; }
    """

    def compose(self):
        yield Static("", id="diff-body")

    def show_rows(self, rows: list[DiffRow]) -> None:
        self.query_one("#diff-body", Static).update(render_rows(rows))
