"""The key footer every screen shows: compact, and without the palette hint, so it fits in 80 columns."""

from __future__ import annotations

from textual.widgets import Footer


def key_footer() -> Footer:
    return Footer(compact=True, show_command_palette=False)
