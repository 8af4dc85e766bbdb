"""The search results list: score, file and line range, then a one-line snippet with matches highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from klein_app.tui.formatting import display_path, highlight, snippet_window, strip_markers
from klein_app.tui.records import Hit

MATCH_STYLE = "bold reverse"
LIST_CHROME = 6  # columns an OptionList spends on padding and its scrollbar


def hit_prompt(hit: Hit, terms: list[str], width: int = 160, folders: list[str] | tuple[str, ...] = ()) -> Text:
    lines = f":{hit.start_line}" if hit.start_line == hit.end_line else f":{hit.start_line}-{hit.end_line}"
    more = f"  +{hit.other_hits}" if hit.other_hits else ""
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(f"{hit.score:6.3f} ", style="bold")
    head.append(display_path(hit.path, folders, width=max(12, width - 7 - len(lines) - len(more))), style="bold")
    head.append(lines)
    head.append(more, style="dim")
    snippet = Text("       ", style="dim")
    if hit.snippet and hit.snippet_spans:
        # The query side marked the matches (with stemming); newlines become spaces so spans stay put.
        body = Text(hit.snippet.replace("\n", " ").replace("\r", " ").replace("\t", " "))
        for start, end in hit.snippet_spans:
            body.stylize(MATCH_STYLE, start, end)
        snippet.append_text(body)
    else:
        body = strip_markers(hit.snippet) if hit.snippet else hit.text
        snippet.append_text(highlight(snippet_window(body, terms, width=max(40, width - 8)), terms, MATCH_STYLE))
    snippet.no_wrap = True
    snippet.overflow = "ellipsis"
    # OptionList wraps long prompts; each row must stay one line, so cut them here.
    head.truncate(width, overflow="ellipsis")
    snippet.truncate(width, overflow="ellipsis")
    return Text("\n").join([head, snippet])


class ResultsList(OptionList):
    """Holds the hits it shows, so a highlighted row maps back to its file and lines."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hits: list[Hit] = []
        self._terms: list[str] = []
        self._width = 0

    def on_resize(self) -> None:
        # Rows are cut to the width they were drawn for: redraw them when it changes.
        if self.hits and self._row_width() != self._width:
            highlighted = self.highlighted
            self.show_hits(self.hits, self._terms)
            self.highlighted = highlighted

    def _row_width(self) -> int:
        # While hidden this list has no size yet; its pane always has one. Leave room for the list's
        # padding and a scrollbar, or rows wrap.
        pane = self.parent if self.parent is not None else self
        return max(30, pane.content_size.width - LIST_CHROME) if pane.content_size.width else 100

    def show_hits(self, hits: list[Hit], terms: list[str]) -> None:
        self.hits = list(hits)
        self._terms = list(terms)
        width = self._width = self._row_width()
        folders = getattr(self.app, "folders", ())
        self.set_options(Option(hit_prompt(h, terms, width, folders), id=str(i)) for i, h in enumerate(self.hits))
        if self.hits:
            self.highlighted = 0

    def current_hit(self) -> Hit | None:
        if self.highlighted is None or not (0 <= self.highlighted < len(self.hits)):
            return None
        return self.hits[self.highlighted]
