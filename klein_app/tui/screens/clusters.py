"""What the folders are about: clusters with labels and sizes; a cluster's files; similar files from any of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from klein_app.tui.widgets.footer import key_footer
from klein_app.tui.widgets.nav_bar import NavBar
from klein_app.tui.widgets.results import LIST_CHROME
from klein_app.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from klein_app.queries.results import Cluster

NO_CLUSTERS = "No clusters yet: the index needs a few files first."
LOADING = "Grouping files by meaning…"


def cluster_prompt(c: Cluster, width: int = 80) -> Text:
    text = Text()
    text.append(f"{c.size:>5} ", style="bold")
    text.append(c.label)
    text.truncate(max(10, width), overflow="ellipsis")
    return text


class ClustersScreen(Screen):
    BINDINGS = [
        Binding("s", "similar", "Similar files"),
        Binding("o", "open", "Open"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.clusters: list[Cluster] = []
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield NavBar("clusters")
        with Horizontal(id="clusters-body"):
            with Vertical(id="clusters-pane"):
                yield Static(LOADING, id="clusters-message")
                yield OptionList(id="clusters")
            yield OptionList(id="cluster-files")
        yield StatusBar(id="status")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#clusters-pane").border_title = "Clusters"
        self.query_one("#cluster-files").border_title = "Files"
        self.query_one("#clusters").display = False
        if (signal := getattr(self.app, "index_signal", None)) is not None:
            signal.subscribe(self, lambda _: self._stale())

    def on_screen_resume(self) -> None:
        # Also the first showing: the screen loads its data when it is first looked at.
        if not self._loaded:
            self.action_refresh()

    def _stale(self) -> None:
        # Recomputing is costly and a live index changes often: reload on the next visit, or on R now.
        self._loaded = False
        if self.is_current:
            self.query_one("#clusters-pane").border_subtitle = "index changed · R refreshes"

    def action_refresh(self) -> None:
        self.query_one("#clusters-pane").border_subtitle = ""
        self._load()

    @work(thread=True, exclusive=True, group="clusters", exit_on_error=False)
    def _load(self) -> None:
        self.app.call_from_thread(self._message, LOADING)
        try:
            clusters = self.app.backend.clusters()
        except Exception as exc:
            line = self.app.report_error(exc, "Cannot build clusters")
            self.app.call_from_thread(self._message, f"Cannot build clusters: {line}", True)
            return
        self.app.call_from_thread(self.show_clusters, clusters)

    def _message(self, text: str, error: bool = False) -> None:
        msg = self.query_one("#clusters-message", Static)
        msg.update(text)
        msg.set_class(error, "-error")
        msg.display = True
        self.query_one("#clusters").display = False

    def show_clusters(self, clusters: list[Cluster]) -> None:
        self._loaded = True
        self.clusters = clusters
        listing = self.query_one("#clusters", OptionList)
        width = self.query_one("#clusters-pane").content_size.width - LIST_CHROME
        listing.set_options(Option(cluster_prompt(c, width), id=str(i)) for i, c in enumerate(clusters))
        self.query_one("#cluster-files", OptionList).clear_options()
        if not clusters:
            self._message(NO_CLUSTERS)
            return
        self.query_one("#clusters-pane").border_title = f"Clusters ({len(clusters)})"
        self.query_one("#clusters-message").display = False
        listing.display = True
        listing.highlighted = 0
        listing.focus()

    @on(OptionList.OptionHighlighted, "#clusters")
    def _cluster_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_files(self.clusters[event.option_index])

    @on(OptionList.OptionSelected, "#clusters")
    def _cluster_selected(self, event: OptionList.OptionSelected) -> None:
        self._show_files(self.clusters[event.option_index])
        self.query_one("#cluster-files", OptionList).focus()

    def _show_files(self, cluster: Cluster) -> None:
        files = self.query_one("#cluster-files", OptionList)
        files.border_title = f"Files in “{cluster.label}”"
        options = []
        for path in cluster.paths:
            central = path == cluster.central_path
            width = files.content_size.width - LIST_CHROME - (11 if central else 0)
            prompt = Text(self.app.display_path(path, width=max(12, width)))
            if central:
                prompt.append("  (central)", style="dim")
            options.append(Option(prompt, id=path))
        files.set_options(options)
        if options:
            files.highlighted = 0

    def _current_path(self) -> str | None:
        files = self.query_one("#cluster-files", OptionList)
        option = files.highlighted_option
        return option.id if option is not None else None

    @on(OptionList.OptionSelected, "#cluster-files")
    def _file_selected(self) -> None:
        self.action_similar()

    def action_similar(self) -> None:
        path = self._current_path()
        if path is None:
            self.notify("Pick a file in the right-hand list first.", severity="warning")
            return
        from klein_app.tui.screens.similar import SimilarScreen

        self.app.push_screen(SimilarScreen(path))

    def action_open(self) -> None:
        path = self._current_path()
        if path is not None:
            self.app.open_file(path, None)
