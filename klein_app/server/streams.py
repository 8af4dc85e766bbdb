"""Per-thread standard streams, so a request can run a CLI command and capture what it prints.

The service installs these proxies once as sys.stdin/stdout/stderr. A thread that set its own streams
(`captured()`) writes to and reads from them; every other thread (uvicorn's logging) reaches the real ones.
"""

from __future__ import annotations

import io
import sys
import threading
from contextlib import contextmanager

_local = threading.local()
_install_lock = threading.Lock()


class _ThreadStream(io.TextIOBase):
    def __init__(self, name: str, default) -> None:
        self._name = name
        self._default = default

    def _target(self):
        streams = getattr(_local, "streams", None)
        return streams[self._name] if streams else self._default

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def read(self, size: int = -1) -> str:
        return self._target().read(size)

    def readline(self, size: int = -1) -> str:
        return self._target().readline(size)

    def __iter__(self):
        return iter(self._target())

    def isatty(self) -> bool:
        return bool(getattr(_local, "streams", None) is None and self._default.isatty())

    def fileno(self) -> int:
        return self._target().fileno()

    def close(self) -> None:
        pass  # `with sys.stdin:` in a command must not close the process's streams

    @property
    def encoding(self):
        return getattr(self._target(), "encoding", "utf-8")


def install() -> None:
    with _install_lock:
        for name in ("stdin", "stdout", "stderr"):
            current = getattr(sys, name)
            if not isinstance(current, _ThreadStream):
                setattr(sys, name, _ThreadStream(name, current))


@contextmanager
def captured(stdin_text: str = ""):
    """Run the block with this thread's stdin reading `stdin_text`; yields (stdout, stderr) buffers."""
    install()
    streams = {"stdin": io.StringIO(stdin_text), "stdout": io.StringIO(), "stderr": io.StringIO()}
    _local.streams = streams
    try:
        yield streams["stdout"], streams["stderr"]
    finally:
        _local.streams = None
