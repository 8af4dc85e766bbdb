"""Watched folders: counts and state, add (with directory completion), remove, re-index; skipped files."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Label, Static

if TYPE_CHECKING:
    from klein_app.queries.results import FileRecord

from klein_app.tui.formatting import display_path, short_path
from klein_app.tui.summaries import FolderRow, folder_rows, skipped_files
from klein_app.tui.widgets.footer import key_footer
from klein_app.tui.widgets.nav_bar import NavBar
from klein_app.tui.widgets.path_input import PathInput
from klein_app.tui.widgets.status_bar import StatusBar

NO_FOLDERS = "No folders are watched yet. Press A to add one."
MAX_SKIPPED_ROWS = 2000


class AddFolderScreen(ModalScreen[str | None]):
    """Asks for a folder path; Tab or → completes directory names."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Add a folder to watch and index", id="dialog-title")
            yield PathInput(placeholder="~/Documents", id="folder-path")
            yield Label("Tab or → completes a folder name · Enter adds · Esc cancels", classes="hint")
            yield Label("", id="dialog-error")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one(PathInput).focus()

    @on(PathInput.Submitted)
    def _submit(self, event: PathInput.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.dismiss(None)
        elif not os.path.isdir(os.path.expanduser(value)):
            self.query_one("#dialog-error", Label).update(f"Not a folder: {value}")
        else:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, id="dialog-title")
            with Horizontal(id="dialog-buttons"):
                yield Button("Yes", variant="error", id="yes")
                yield Button("No", variant="primary", id="no")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class FoldersScreen(Screen):
    BINDINGS = [
        Binding("a", "add", "Add folder"),
        Binding("delete,x", "remove", "Remove"),
        Binding("i", "reindex", "Re-index"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[FolderRow] = []
        self._files: list[FileRecord] = []
        self._folders: list[str] = []

    def compose(self) -> ComposeResult:
        yield NavBar("folders")
        with Vertical(id="folders-pane"):
            yield Static(NO_FOLDERS, id="folders-message")
            yield DataTable(id="folders", cursor_type="row", zebra_stripes=True)
        with Vertical(id="skipped-pane"):
            yield DataTable(id="skipped", cursor_type="row")
        yield StatusBar(id="status")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#folders-pane").border_title = "Watched folders"
        self.query_one("#skipped-pane").border_title = "Skipped files"
        folders = self.query_one("#folders", DataTable)
        folders.add_column("Folder", key="folder")
        folders.add_columns("Files", "Chunks", "Skipped", "State")
        self.query_one("#skipped", DataTable).add_columns("File", "Reason")
        if (signal := getattr(self.app, "index_signal", None)) is not None:
            # Listing every file row is not free on a big index: only for the screen in view
            # (it refreshes on every visit anyway).
            signal.subscribe(self, lambda _: self.action_refresh() if self.is_current else None)
        if (signal := getattr(self.app, "status_signal", None)) is not None:
            signal.subscribe(self, self._status_changed)

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def _status_changed(self, status) -> None:
        # Only the state column depends on busy/idle; the counts come with index changes.
        if self._rows and any(r.state == "indexing" for r in self._rows) != status.busy:
            self._show(self._files, self._folders)

    @work(thread=True, exclusive=True, group="folders", exit_on_error=False)
    def action_refresh(self) -> None:
        backend = self.app.backend
        try:
            folders = backend.folders()
            files = backend.list_files()
        except Exception as exc:
            self.app.call_from_thread(self._show_error, self.app.report_error(exc, "Cannot read the index"))
            return
        self.app.call_from_thread(self._show, files, folders)

    def _show_error(self, message: str) -> None:
        msg = self.query_one("#folders-message", Static)
        msg.update(f"Cannot read the index: {message}")
        msg.add_class("-error")
        msg.display = True

    def _show(self, files: list[FileRecord], folders: list[str]) -> None:
        self._folders = folders
        status = self.app.status
        self._files = files
        self._rows = folder_rows(folders, files, busy=status.busy, watching=self.app.backend.watching)
        table = self.query_one("#folders", DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in self._rows:
            table.add_row(
                short_path(row.path), f"{row.files:,}", f"{row.chunks:,}", f"{row.skipped:,}", row.state, key=row.path
            )
        msg = self.query_one("#folders-message", Static)
        msg.remove_class("-error")
        msg.update(NO_FOLDERS)
        msg.display = not self._rows
        table.display = bool(self._rows)
        if self._rows:
            table.move_cursor(row=min(cursor, len(self._rows) - 1))
        skipped = self.query_one("#skipped", DataTable)
        skipped.clear()
        rows = skipped_files(files)
        for f in rows[:MAX_SKIPPED_ROWS]:
            skipped.add_row(display_path(f.path, folders), f.skip_reason or f.status)
        if len(rows) > MAX_SKIPPED_ROWS:
            skipped.add_row(f"… and {len(rows) - MAX_SKIPPED_ROWS:,} more", "see `klein-search files --skipped`")
        self.query_one("#skipped-pane").border_title = f"Skipped files ({len(rows):,})"

    def _selected_folder(self) -> str | None:
        table = self.query_one("#folders", DataTable)
        if not self._rows or table.cursor_row is None or not (0 <= table.cursor_row < len(self._rows)):
            return None
        return self._rows[table.cursor_row].path

    def action_add(self) -> None:
        def added(path: str | None) -> None:
            if path:
                self._add(path)

        self.app.push_screen(AddFolderScreen(), added)

    @work(thread=True, group="folders-edit", exit_on_error=False)
    def _add(self, path: str) -> None:
        try:
            folder = self.app.backend.add_folder(path)
        except Exception as exc:
            self.app.report_error(exc, "Cannot add the folder")
            return
        self.app.call_from_thread(self.notify, f"Watching {short_path(folder)}; indexing it now.")
        self.app.call_from_thread(self.app.after_folder_added, folder)
        self.app.call_from_thread(self.action_refresh)

    def action_remove(self) -> None:
        folder = self._selected_folder()
        if folder is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.remove_folder(folder)

        self.app.push_screen(
            ConfirmScreen(
                f"Stop watching {short_path(folder)} and drop it from the index?\nNo file on disk is touched."
            ),
            answered,
        )

    def action_reindex(self) -> None:
        folder = self._selected_folder()
        self.app.start_indexing([folder] if folder else None)
