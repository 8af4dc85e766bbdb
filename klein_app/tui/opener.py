"""How to open a file at a line: the user's $EDITOR, else the system opener."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

# Editors that understand `+LINE file`; others just get the file.
_PLUS_LINE = {"vi", "vim", "nvim", "nano", "emacs", "emacsclient", "micro", "kak", "joe", "ne", "mg", "hx", "helix"}
_GOTO = {"code", "codium", "subl", "zed"}


@dataclass(frozen=True)
class OpenCommand:
    argv: list[str]
    terminal: bool  # True: runs in our terminal, so the app must suspend while it runs


def editor_command(editor: str, path: str, line: int | None) -> list[str]:
    argv = shlex.split(editor)
    name = os.path.basename(argv[0]) if argv else ""
    if line and name in _PLUS_LINE:
        return [*argv, f"+{line}", path]
    if line and name in _GOTO:
        return [*argv, "--goto", f"{path}:{line}"]
    return [*argv, path]


def system_open_command(path: str, platform: str = sys.platform) -> list[str] | None:
    if platform == "darwin":
        return ["open", path]
    if platform.startswith("win"):
        return ["cmd", "/c", "start", "", path]
    opener = shutil.which("xdg-open")
    return [opener, path] if opener else None


def open_command(path: str, line: int | None, env: dict[str, str] | None = None) -> OpenCommand | None:
    env = os.environ if env is None else env
    editor = env.get("VISUAL") or env.get("EDITOR")
    if editor:
        return OpenCommand(editor_command(editor, path, line), terminal=True)
    argv = system_open_command(path)
    return OpenCommand(argv, terminal=False) if argv else None


def launch_detached(argv: list[str]) -> None:
    """Start a GUI opener without tying it to our terminal."""
    subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
