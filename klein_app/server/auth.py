"""The per-user bearer token: random, in a 0600 file in the private runtime folder, checked on every request.

Any local process of another user can reach a TCP port on 127.0.0.1; only this user can read the token.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path

SCHEME = "Bearer"


def ensure_token(path: Path) -> str:
    """The token in `path`, created (0600) when missing or unreadable; a file others can read is replaced."""
    try:
        st = path.stat()
        if stat.S_IMODE(st.st_mode) & 0o077 == 0 and st.st_uid == os.getuid():
            token = path.read_text(encoding="ascii").strip()
            if token:
                return token
    except (OSError, UnicodeDecodeError):
        pass
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    os.replace(tmp, path)
    return token


def read_token(path: Path | str) -> str | None:
    try:
        return Path(path).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def header_value(token: str) -> str:
    return f"{SCHEME} {token}"


def authorized(header: str | None, token: str) -> bool:
    """Constant-time check of an `Authorization` header against the token."""
    if not header:
        return False
    scheme, _, given = header.partition(" ")
    return scheme == SCHEME and hmac.compare_digest(given.strip().encode(), token.encode())
