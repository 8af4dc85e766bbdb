"""The search modes, in one light module: the CLI's argument parser needs them without importing the queries."""

from __future__ import annotations

from typing import Literal

Mode = Literal["hybrid", "vector", "text"]
MODES: tuple[str, ...] = ("hybrid", "vector", "text")
DEFAULT_MODE: Mode = "hybrid"
