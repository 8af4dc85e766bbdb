"""The key map, on `?` or F1."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from klein_app.tui.widgets.footer import key_footer

HELP = """\
# klein-search

Search your own files by meaning. Everything stays on this machine.

**F2** Search · **F3** Folders · **F4** Duplicates · **F5** Clusters · **F1** or **?** this help ·
**Ctrl+Q** quit. The line above the keys shows indexing progress, then the index totals.

## Search
Type to search; results follow as you type. **Ctrl+T** cycles hybrid / vector / text,
**Ctrl+L** jumps to the path filter (a glob such as `*.md` or `notes/*`), **↓** or **Tab** moves to
the results, **Enter** opens the file at that line in `$EDITOR` (else the system opener),
**Ctrl+O** opens it with the system opener, **S** on a result lists files similar to it,
**Esc** goes back to the query.

## Folders
**A** adds a folder (Tab or → completes folder names), **X**/**Delete** stops watching one (its files
stay on disk), **I** re-indexes the selected folder, **R** refreshes the counts.

## Duplicates
Groups of identical and nearly identical files, the most wasted space first.
**Space** marks a file, **C** compares the two marked files side by side, **Y** copies paths,
**T** cycles the share of text two files must have in common (80%, 90%, 95%, identical files only).
Nothing is ever deleted by klein-search.

## Clusters
Files grouped by meaning. **Enter** on a cluster lists its files; **S** (or Enter) on a file shows
files similar to it; **O** opens a file.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Markdown(HELP)
        yield key_footer()
