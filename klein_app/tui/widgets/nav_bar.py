"""The top line of each main screen: the four screens and their keys, the current one lit (clickable)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

SCREENS = (
    ("search", "F2", "Search"),
    ("folders", "F3", "Folders"),
    ("duplicates", "F4", "Duplicates"),
    ("clusters", "F5", "Clusters"),
)


def nav_content(current: str) -> Content:
    parts = [Content.styled(" klein-search ", "bold $accent")]
    for mode, key, title in SCREENS:
        style = "bold reverse" if mode == current else "dim"
        parts.append(Content.from_markup(f" [@click=app.switch_mode('{mode}')]{key} {title}[/] ").stylize(style))
    parts.append(Content.styled("  F1 Help", "dim"))
    return Content("").join(parts)


class NavBar(Static):
    DEFAULT_CSS = """
    NavBar { height: 1; width: 1fr; background: $panel; }
    """

    def __init__(self, current: str, **kwargs) -> None:
        super().__init__(nav_content(current), **kwargs)
