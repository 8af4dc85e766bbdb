"""The first screen must paint fast: importing the TUI may not pull in torch, LanceDB or the model."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "torch",
    "lancedb",
    "pyarrow",
    "klein_model",
    "transformers",
    "sklearn",
    "klein_app.queries",
    "klein_app.index",
)


def test_importing_the_tui_stays_light():
    code = (
        "import sys, klein_app.tui.app\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"
