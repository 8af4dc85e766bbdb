"""The search results list: score, file and line range, then a one-line snippet with matches highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from klein_app.tui.formatting import display_path, highlight

if TYPE_CHECKING:
    from klein_app.queries.results import SearchResult

MATCH_STYLE = "bold reverse"
LIST_CHROME = 6  # columns an OptionList spends on padding and its scrollbar


def hit_prompt(
    hit: SearchResult, query: str, width: int = 160, folders: list[str] | tuple[str, ...] = (), weak_style="dim"
) -> Text:
    lines = f":{hit.start_line}" if hit.start_line == hit.end_line else f":{hit.start_line}-{hit.end_line}"
    more = f"  +{hit.other_hits}" if hit.other_hits else ""
    more += f"  ={len(hit.copies)} cop{'y' if len(hit.copies) == 1 else 'ies'}" if hit.copies else ""
    weak = "  weak" if hit.weak else ""
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(f"{hit.score:6.3f} ", style="bold")
    room = max(12, width - 7 - len(lines) - len(more) - len(weak))
    head.append(display_path(hit.path, folders, width=room), style="bold")
    head.append(lines)
    head.append(more, style="dim")
    head.append(weak, style=weak_style)
    snippet = Text("       ", style="dim")
    if hit.snippet.text:
        # The query marked the matches; newlines become spaces so the spans stay put.
        body = Text(hit.snippet.text.replace("\n", " ").replace("\r", " ").replace("\t", " "))
        for start, end in hit.snippet.highlights:
            body.stylize(MATCH_STYLE, start, end)
        snippet.append_text(body)
    else:
        snippet.append_text(highlight(" ".join(hit.text.split()), query, MATCH_STYLE))
    snippet.no_wrap = True
    snippet.overflow = "ellipsis"
    # OptionList wraps long prompts; each row must stay one line, so cut them here.
    head.truncate(width, overflow="ellipsis")
    snippet.truncate(width, overflow="ellipsis")
    return Text("\n").join([head, snippet])


class ResultsList(OptionList):
    """Holds the hits it shows, so a highlighted row maps back to its file and lines."""

    COMPONENT_CLASSES = {"results--weak"}  # the "weak" mark of a hit far from the query (see klein.tcss)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hits: list[SearchResult] = []
        self._query = ""
        self._width = 0

    def on_resize(self) -> None:
        # Rows are cut to the width they were drawn for: redraw them when it changes.
        if self.hits and self._row_width() != self._width:
            highlighted = self.highlighted
            self.show_hits(self.hits, self._query)
            self.highlighted = highlighted

    def _row_width(self) -> int:
        # While hidden this list has no size yet; its pane always has one. Leave room for the list's
        # padding and a scrollbar, or rows wrap.
        pane = self.parent if self.parent is not None else self
        return max(30, pane.content_size.width - LIST_CHROME) if pane.content_size.width else 100

    def show_hits(self, hits: list[SearchResult], query: str) -> None:
        self.hits = list(hits)
        self._query = query
        width = self._width = self._row_width()
        folders = getattr(self.app, "folders", ())
        weak = self.get_component_rich_style("results--weak", partial=True)
        self.set_options(Option(hit_prompt(h, query, width, folders, weak), id=str(i)) for i, h in enumerate(self.hits))
        if self.hits:
            self.highlighted = 0

    def current_hit(self) -> SearchResult | None:
        if self.highlighted is None or not (0 <= self.highlighted < len(self.hits)):
            return None
        return self.hits[self.highlighted]
