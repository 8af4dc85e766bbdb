"""Duplicate files grouped, the most wasted space first. Mark two to compare; copy paths. Never deletes."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from klein_app.humanize import human_bytes
from klein_app.queries.results import DEFAULT_DUPLICATE_SHARE, DuplicateGroup, DuplicateItem
from klein_app.tui.widgets.footer import key_footer
from klein_app.tui.widgets.nav_bar import NavBar
from klein_app.tui.widgets.status_bar import StatusBar

NO_DUPES = "No duplicate files found in the index."
# T cycles these shares of text: near-duplicates from loose to strict, then identical files only.
THRESHOLDS = (DEFAULT_DUPLICATE_SHARE, 0.9, 0.95, 1.0)
LOADING = "Looking for duplicates…"


def group_label(group: DuplicateGroup) -> Text:
    label = Text()
    label.append(f"{human_bytes(group.wasted_bytes):>9} wasted  ", style="bold")
    label.append(f"{len(group.items)} files  ")
    label.append(group.description, style="bold green" if group.kind == "identical" else "yellow")
    return label


def file_label(f: DuplicateItem, marked: bool, shown: str) -> Text:
    label = Text("[x] " if marked else "[ ] ", style="bold cyan" if marked else "dim")
    label.append(f"{human_bytes(f.size):>9}  ")
    if f.mtime > 0:
        # when each copy last changed helps decide which one to keep
        label.append(time.strftime("%Y-%m-%d %H:%M  ", time.localtime(f.mtime)), style="dim")
    if f.relation != "representative":
        # how much of this file is in the group's first one, and of the first one in this file
        label.append(f"{f.shares_note:>11}  ", style="dim")
    label.append(shown)
    return label


class DuplicatesScreen(Screen):
    BINDINGS = [
        Binding("space", "mark", "Mark", priority=True),
        Binding("c", "compare", "Compare"),
        Binding("y", "copy", "Copy path"),
        Binding("Y", "copy_group", "Copy group", show=False),
        Binding("o", "open", "Open"),
        Binding("t", "threshold", "Threshold"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[DuplicateGroup] = []
        self.marked: list[str] = []
        self.threshold = THRESHOLDS[0]
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield NavBar("duplicates")
        with Vertical(id="dupes-pane"):
            yield Static(LOADING, id="dupes-message")
            yield Tree("duplicates", id="dupes")
        yield Static("Space marks a file; mark two and press C to compare. Nothing is ever deleted.", id="dupes-hint")
        yield StatusBar(id="status")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#dupes-pane").border_title = "Duplicates"
        tree = self.query_one(Tree)
        tree.show_root = False
        tree.display = False
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
            self.query_one("#dupes-pane").border_subtitle = "index changed · R refreshes"

    def action_threshold(self) -> None:
        self.threshold = THRESHOLDS[(THRESHOLDS.index(self.threshold) + 1) % len(THRESHOLDS)]
        self.notify(f"Shared text: {self._threshold_text()}", timeout=2)
        self.action_refresh()

    def _threshold_text(self) -> str:
        return "identical files only" if self.threshold >= 1.0 else f"≥ {self.threshold:.0%} of a file's text"

    def action_refresh(self) -> None:
        self.query_one("#dupes-pane").border_subtitle = ""
        self._load(self.threshold)

    @work(thread=True, exclusive=True, group="dupes", exit_on_error=False)
    def _load(self, threshold: float) -> None:
        self.app.call_from_thread(self._message, LOADING)
        try:
            # at 1.0 the query answers with identical content only (a hash match)
            groups = self.app.backend.duplicates(threshold=threshold)
        except Exception as exc:
            line = self.app.report_error(exc, "Cannot find duplicates")
            self.app.call_from_thread(self._message, f"Cannot find duplicates: {line}", True)
            return
        self.app.call_from_thread(self.show_groups, groups)

    def _message(self, text: str, error: bool = False) -> None:
        msg = self.query_one("#dupes-message", Static)
        msg.update(text)
        msg.set_class(error, "-error")
        msg.display = True
        self.query_one(Tree).display = False

    def show_groups(self, groups: list[DuplicateGroup]) -> None:
        self._loaded = True
        self.groups = groups  # in the query's order: most wasted bytes first
        self.marked = [p for p in self.marked if any(p == f.path for g in groups for f in g.items)]
        tree = self.query_one(Tree)
        tree.clear()
        if not groups:
            self._message(NO_DUPES)
            return
        wasted = sum(g.wasted_bytes for g in groups)
        self.query_one("#dupes-pane").border_title = (
            f"Duplicates: {len(groups)} group{'s' if len(groups) != 1 else ''}, {human_bytes(wasted)} wasted"
            f" ({self._threshold_text()})"
        )
        for group in groups:
            node = tree.root.add(group_label(group), data=group, expand=True)
            for f in group.items:
                node.add_leaf(file_label(f, f.path in self.marked, self.app.display_path(f.path)), data=f)
        self.query_one("#dupes-message").display = False
        tree.display = True
        tree.move_cursor(tree.root.children[0] if tree.root.children else None)

    def _current(self) -> TreeNode | None:
        return self.query_one(Tree).cursor_node

    def _current_file(self) -> DuplicateItem | None:
        node = self._current()
        return node.data if node is not None and isinstance(node.data, DuplicateItem) else None

    def action_mark(self) -> None:
        node = self._current()
        if node is None or not isinstance(node.data, DuplicateItem):
            return
        path = node.data.path
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked = [*self.marked, path][-2:]
        self._relabel()

    def _relabel(self) -> None:
        for group_node in self.query_one(Tree).root.children:
            for leaf in group_node.children:
                leaf.set_label(
                    file_label(leaf.data, leaf.data.path in self.marked, self.app.display_path(leaf.data.path))
                )

    def action_compare(self) -> None:
        pair = list(self.marked)
        if len(pair) != 2:
            node = self._current()
            group = node.data if node is not None and isinstance(node.data, DuplicateGroup) else None
            if group is None and node is not None and node.parent is not None:
                group = node.parent.data if isinstance(node.parent.data, DuplicateGroup) else None
            if group is not None and len(group.items) == 2:
                pair = [group.items[0].path, group.items[1].path]
        if len(pair) != 2:
            self.notify("Mark two files with Space, then press C.", severity="warning")
            return
        from klein_app.tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(pair[0], pair[1]))

    def action_copy(self) -> None:
        paths = list(self.marked) or ([f.path] if (f := self._current_file()) else [])
        self._copy(paths)

    def action_copy_group(self) -> None:
        node = self._current()
        group = node.data if node is not None and isinstance(node.data, DuplicateGroup) else None
        if (
            group is None
            and node is not None
            and node.parent is not None
            and isinstance(node.parent.data, DuplicateGroup)
        ):
            group = node.parent.data
        self._copy([f.path for f in group.items] if group else [])

    def _copy(self, paths: list[str]) -> None:
        if not paths:
            return
        self.app.copy_to_clipboard("\n".join(paths))
        self.notify(f"Copied {len(paths)} path{'s' if len(paths) > 1 else ''} to the clipboard.", timeout=3)

    def action_open(self) -> None:
        f = self._current_file()
        if f is not None:
            self.app.open_file(f.path, None)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        if isinstance(event.node.data, DuplicateItem):
            self.action_mark()
