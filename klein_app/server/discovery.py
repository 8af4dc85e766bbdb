"""Where a running service is and how to reach it.

Everything lives in the user's runtime folder (`$XDG_RUNTIME_DIR/klein-search`, else platformdirs' runtime
folder, else a per-user folder under the temp folder), created with mode 0700 and refused when another user
owns it or others can enter it:

    token                 the bearer token every request must carry (0600; see auth.py)
    <key>.sock            the unix socket of the service for one index folder
    <key>.json            its service file: pid, url, index folder, version, start time

`<key>` is a hash of the index folder, so services for two `--db` folders never meet, and a client finds the
one for its own folder. Reading the service file costs a stat and a small read: no network, no heavy import.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

APP_DIR = "klein-search"
TOKEN_NAME = "token"


class RuntimeDirError(Exception):
    """The runtime folder cannot be made private to this user."""


@dataclass(frozen=True)
class ServiceInfo:
    pid: int
    url: str  # "unix:/path/to.sock" or "http://127.0.0.1:PORT"
    data_dir: str
    token_file: str
    version: str
    started_at: float

    @property
    def socket_path(self) -> str | None:
        return self.url[len("unix:") :] if self.url.startswith("unix:") else None

    def to_json(self) -> dict:
        return asdict(self)


def runtime_dir(create: bool = True) -> Path:
    """The private per-user folder for the socket, the token and the service files."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if not base and sys.platform == "darwin":
        import platformdirs

        base = platformdirs.user_runtime_dir()
    if not base and os.path.isdir(f"/run/user/{os.getuid()}"):
        base = f"/run/user/{os.getuid()}"
    folder = Path(base) / APP_DIR if base else Path(tempfile.gettempdir()) / f"{APP_DIR}-{os.getuid()}"
    if create:
        try:
            _private_dir(folder)
        except (OSError, RuntimeDirError):
            # /run/user/<uid> does not exist without a login session (containers, cron): use the temp folder
            folder = Path(tempfile.gettempdir()) / f"{APP_DIR}-{os.getuid()}"
            _private_dir(folder)
    return folder


def _private_dir(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise RuntimeDirError(f"{folder} is not a folder of this user")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(folder, 0o700)


def service_key(data_dir) -> str:
    """One name per index: its resolved folder, or its object-store URI as written."""
    name = str(data_dir) if "://" in str(data_dir) else str(Path(data_dir).resolve())
    return hashlib.blake2b(name.encode(), digest_size=6).hexdigest()


def socket_path(data_dir: str | Path) -> Path:
    return runtime_dir() / f"{service_key(data_dir)}.sock"


def service_file(data_dir: str | Path, create: bool = True) -> Path:
    return runtime_dir(create) / f"{service_key(data_dir)}.json"


def token_file() -> Path:
    return runtime_dir() / TOKEN_NAME


def write_service_info(info: ServiceInfo) -> Path:
    path = service_file(info.data_dir)
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(info.to_json(), fh)
    os.replace(tmp, path)
    return path


def remove_service_info(info: ServiceInfo) -> None:
    """Remove the service file (and socket) if they are still this process's."""
    path = service_file(info.data_dir)
    current = _read(path)
    if current is not None and current.pid == info.pid:
        path.unlink(missing_ok=True)
        if info.socket_path:
            Path(info.socket_path).unlink(missing_ok=True)


def find_service(data_dir: str | Path) -> ServiceInfo | None:
    """The service for this index folder, if its process is alive (it may still refuse; the client checks)."""
    try:
        path = service_file(data_dir)
    except (OSError, RuntimeDirError):
        return None
    info = _read(path)
    if info is None or not _alive(info.pid):
        return None
    if info.socket_path and not os.path.exists(info.socket_path):
        return None
    return info


def _read(path: Path) -> ServiceInfo | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return ServiceInfo(**{k: raw[k] for k in ServiceInfo.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
