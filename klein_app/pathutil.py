"""Path helpers shared by the indexer, the CLI and the TUI.

Public API:
    absolute(path) -> str          ~ expanded, made absolute (symlinks kept: the user's spelling)
    canonical(path) -> str         absolute with symlinks resolved (for comparing folders)
    is_under(path, folder) -> bool path is folder itself or inside it (string test on absolute paths)
"""

from __future__ import annotations

import os


def absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))


def canonical(path: str) -> str:
    return os.path.realpath(absolute(path))


def is_under(path: str, folder: str) -> bool:
    root = folder.rstrip(os.sep) or os.sep
    return path == root or path.startswith(root if root == os.sep else root + os.sep)
