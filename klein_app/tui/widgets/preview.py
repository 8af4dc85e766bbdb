"""The preview pane: the chunk of a hit, with the lines around it read from disk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from klein_app.sources.readers import ReadError, read_path, split_lines
from klein_app.tui.formatting import highlight

if TYPE_CHECKING:
    from klein_app.queries.results import SearchResult

MAX_PREVIEW_BYTES = 4 * 1024 * 1024
# Characters that end a line for some renderers but not for the index: shown as spaces, so line n on screen
# is line n of the index.
_LINE_BREAKERS = str.maketrans({c: " " for c in "\r\f\v\x1c\x1d\x1e\x85\u2028\u2029"})


@dataclass(frozen=True)
class PreviewText:
    path: str
    first_line: int
    text: str
    highlight_from: int
    highlight_to: int
    from_disk: bool


def read_window(hit: SearchResult, context: int = 8) -> PreviewText:
    """The hit's lines plus `context` lines each side, read as the indexer reads them.

    Falls back to the indexed chunk when the file's units are not its lines (PDF pages, DOCX paragraphs,
    HTML text), when it cannot be read, or when it shrank since it was indexed.
    """
    fallback = PreviewText(hit.path, hit.start_line, hit.text, hit.start_line, hit.end_line, False)
    try:
        doc = read_path(hit.path, MAX_PREVIEW_BYTES)
    except (OSError, ReadError):
        return fallback
    lines = split_lines(doc.text)
    if doc.unit != "line" or len(lines) != len(doc.offsets) or hit.start_line > len(lines):
        return fallback
    first = max(1, hit.start_line - context)
    last = min(len(lines), hit.end_line + context)
    shown = "\n".join(line.translate(_LINE_BREAKERS) for line in lines[first - 1 : last])
    return PreviewText(hit.path, first, shown, hit.start_line, hit.end_line, True)


def render_preview(p: PreviewText, query: str):
    if not p.from_disk:
        body = highlight(p.text, query, style="bold reverse")
        return Text.assemble(Text("(indexed text)\n", style="dim italic"), body)
    from rich.syntax import Syntax  # pulls in pygments: only once there is something to show

    lexer = Syntax.guess_lexer(p.path, p.text[:4096])
    return Syntax(
        p.text,
        lexer,
        line_numbers=True,
        start_line=p.first_line,
        highlight_lines=set(range(p.highlight_from, p.highlight_to + 1)),
        word_wrap=True,
        theme="ansi_dark",
        background_color="default",
    )


class Preview(VerticalScroll):
    """Scrolls itself so the hit's first line sits near the top."""

    DEFAULT_CSS = """
    Preview > #preview-body { width: 1fr; height: auto; }
    """

    def compose(self):
        yield Static("", id="preview-body")

    def show_message(self, message: str) -> None:
        self.query_one("#preview-body", Static).update(Text(message, style="dim"))
        self.scroll_home(animate=False)

    def show_preview(self, p: PreviewText, query: str) -> None:
        self.border_subtitle = f"lines {p.highlight_from}-{p.highlight_to}"
        self.query_one("#preview-body", Static).update(render_preview(p, query))
        offset = max(0, p.highlight_from - p.first_line - 2) if p.from_disk else 0
        self.call_after_refresh(self.scroll_to, 0, offset, animate=False)
