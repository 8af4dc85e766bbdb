"""One line at the bottom of every screen: indexing progress when busy, index totals when idle."""

from __future__ import annotations

from textual.widgets import Static

from klein_app.tui.formatting import status_line
from klein_app.tui.status import IndexStatus


def render_status(status: IndexStatus) -> str:
    text = status_line(status)
    if status.model == "loading":
        text += " · loading model…"
    elif status.model == "error":
        text += " · model failed to load"
    return text


class StatusBar(Static):
    """Follows the app's `status_signal`; the app owns the state, every screen shows it."""

    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; }
    """

    def on_mount(self) -> None:
        app = self.app
        signal = getattr(app, "status_signal", None)
        if signal is not None:
            signal.subscribe(self, self.show_status)
        status = getattr(app, "status", None)
        self.show_status(status if status is not None else IndexStatus())

    def show_status(self, status: IndexStatus) -> None:
        self.set_class(status.busy, "-busy")
        self.set_class(status.phase == "error", "-error")
        self.update(render_status(status))
