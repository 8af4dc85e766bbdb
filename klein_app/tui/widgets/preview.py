"""The preview pane: the chunk of a hit, with the lines around it read from disk."""

from __future__ import annotations

import os
from dataclasses import dataclass

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from klein_app.tui.formatting import highlight
from klein_app.tui.records import Hit

# Formats whose line numbers are pages or whose bytes are not the text: show the indexed chunk instead.
_NOT_PLAIN = {".pdf", ".docx", ".doc", ".odt", ".epub"}
MAX_PREVIEW_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class PreviewText:
    path: str
    first_line: int
    text: str
    highlight_from: int
    highlight_to: int
    from_disk: bool


def read_window(hit: Hit, context: int = 8) -> PreviewText:
    """The hit's lines plus `context` lines each side, or the chunk text when the file cannot be shown."""
    fallback = PreviewText(hit.path, hit.start_line, hit.text, hit.start_line, hit.end_line, False)
    if os.path.splitext(hit.path)[1].lower() in _NOT_PLAIN:
        return fallback
    from klein_app.sources.readers import ReadError
    from klein_app.sources.safe_read import read_bounded

    try:
        raw = read_bounded(hit.path, MAX_PREVIEW_BYTES, timeout=2.0)  # a FIFO here must not hang the TUI
    except (OSError, ReadError):
        return fallback
    if len(raw) > MAX_PREVIEW_BYTES:
        return fallback
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return fallback
    text = _decode(raw)
    lines = text.splitlines()
    if hit.start_line > len(lines):
        # The file shrank since it was indexed; what the index holds is still worth showing.
        return fallback
    first = max(1, hit.start_line - context)
    last = min(len(lines), hit.end_line + context)
    return PreviewText(hit.path, first, "\n".join(lines[first - 1 : last]), hit.start_line, hit.end_line, True)


def _decode(raw: bytes) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace")
    return raw.decode("utf-8", errors="replace")


def render_preview(p: PreviewText, terms: list[str]):
    if not p.from_disk:
        body = highlight(p.text, terms, style="bold reverse")
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

    def show_preview(self, p: PreviewText, terms: list[str]) -> None:
        self.border_subtitle = f"lines {p.highlight_from}-{p.highlight_to}"
        self.query_one("#preview-body", Static).update(render_preview(p, terms))
        offset = max(0, p.highlight_from - p.first_line - 2) if p.from_disk else 0
        self.call_after_refresh(self.scroll_to, 0, offset, animate=False)
