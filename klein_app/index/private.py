"""The data folder is private: folders 0700, files 0600, so another user of the machine cannot read
chunk text (stored in plain text) or the list of indexed paths.

Public API:
    use_private_umask()              called once at start-up by the CLI (and so the TUI and `serve`)
    tighten(data_dir)                the data folder itself to 0700 (cheap; done whenever the index is opened)
    loose_paths(root) -> list[(path, mode)]   anything under root readable or writable by others
    make_private(root) -> int        chmod those to 0700/0600; returns how many changed
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def use_private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def tighten(data_dir) -> None:
    # with the top folder 0700 nothing below it can be reached by others, whatever its own mode;
    # an object-store index has no modes (its bucket policy decides who reads it)
    if "://" in str(data_dir):
        return
    try:
        st = os.stat(data_dir)
        if stat.S_IMODE(st.st_mode) & 0o077 and st.st_uid == os.getuid():
            os.chmod(data_dir, DIR_MODE)
    except OSError:
        pass


def loose_paths(root: Path | str) -> list[tuple[str, int]]:
    out = []
    root = str(root)
    for path in [root] + [os.path.join(d, n) for d, dirs, files in os.walk(root) for n in dirs + files]:
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode):
            continue
        if stat.S_IMODE(st.st_mode) & 0o077:
            out.append((path, stat.S_IMODE(st.st_mode)))
    return out


def make_private(root: Path | str) -> int:
    changed = 0
    for path, _mode in loose_paths(root):
        try:
            os.chmod(path, DIR_MODE if os.path.isdir(path) else FILE_MODE)
            changed += 1
        except OSError:
            pass
    return changed
