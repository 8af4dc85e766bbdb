"""HTML -> visible text, each piece marked with the source line it came from."""

from __future__ import annotations

from html.parser import HTMLParser

from klein_app.sources.readers import Document

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_BLOCK = frozenset(
    "p div br hr li ul ol h1 h2 h3 h4 h5 h6 tr table section article header footer nav pre "
    "blockquote dt dd title main aside figure figcaption form".split()
)


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.offsets: list[int] = []
        self.units: list[int] = []
        self.length = 0
        self.skip_depth = 0

    def _emit(self, text: str, line: int) -> None:
        if not text:
            return
        self.offsets.append(self.length)
        self.units.append(line)
        self.parts.append(text)
        self.length += len(text)

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self._emit("\n", self.getpos()[0])

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self._emit("\n", self.getpos()[0])

    def handle_data(self, data):
        if self.skip_depth:
            return
        line = self.getpos()[0]
        # data spanning several source lines: mark each line so spans map back precisely
        for i, piece in enumerate(data.split("\n")):
            self._emit(piece + ("\n" if i < data.count("\n") else ""), line + i)


def read_html(source: str) -> Document:
    parser = _TextParser()
    try:
        parser.feed(source)
        parser.close()
    except Exception:  # html.parser is lenient; anything it still rejects keeps what was parsed
        pass
    text = "".join(parser.parts)
    if not parser.offsets:
        return Document("", [0], [1], "line")
    return Document(text, parser.offsets, parser.units, "line")
