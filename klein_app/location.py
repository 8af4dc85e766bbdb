"""Where config and index live: a local folder, or a prefix in object storage (`s3://bucket/prefix`).

Public API:
    as_path(folder_or_uri) -> Path | ObjectPath     a URI becomes an ObjectPath, anything else a Path
    is_uri(text) -> bool
    ObjectPath      the part of pathlib the app uses (/, name, parent, read_text, write_text, exists,
                    is_dir, iterdir, mkdir, stat), over pyarrow's filesystem for the URI's scheme
    write_atomic(path, text)     readers never see half a file (local: temp file + rename; object
                                 storage: one PUT is atomic already)
    remove_tree(path), tree_bytes(path)
    LocationError   object storage that cannot be reached (an unusable URI is a UsageError)

LanceDB opens the same URIs itself and reads the standard AWS variables (AWS_ENDPOINT_URL,
AWS_ALLOW_HTTP, AWS_ACCESS_KEY_ID, AWS_REGION, ...); pyarrow's S3 filesystem reads the same ones, so
one set of variables points both at the store.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from klein_app.errors import UsageError, UserError

# Only S3 is supported: writing needs the one-writer lock, which uses S3's conditional writes
# (klein_app/index/object_lock.py). LanceDB itself also reads gs:// and az://.
SCHEMES = ("s3",)


class LocationError(UserError):
    """The object store behind a --db URI cannot be reached or read."""


def is_uri(text: str | os.PathLike) -> bool:
    return isinstance(text, str) and "://" in text


def as_path(folder_or_uri) -> Path | ObjectPath:
    if isinstance(folder_or_uri, ObjectPath):
        return folder_or_uri
    if is_uri(folder_or_uri):
        return ObjectPath.parse(folder_or_uri)
    return Path(folder_or_uri)


@dataclass(frozen=True)
class _Stat:
    st_mtime_ns: int
    st_size: int
    st_ino: int = 0


@dataclass(frozen=True)
class ObjectPath:
    scheme: str
    key: str  # "bucket/prefix/...", no trailing slash

    @classmethod
    def parse(cls, uri: str) -> ObjectPath:
        scheme, _, rest = uri.partition("://")
        if scheme not in SCHEMES:
            raise UsageError(f"unsupported storage URI {uri!r}: use a folder or s3://bucket/prefix")
        key = rest.strip("/")
        if not key:
            raise UsageError(f"{uri!r} names no bucket: use s3://bucket/prefix")
        return cls(scheme, key)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.key}"

    def __truediv__(self, name: str) -> ObjectPath:
        return ObjectPath(self.scheme, f"{self.key}/{name.strip('/')}")

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def parent(self) -> ObjectPath:
        return ObjectPath(self.scheme, self.key.rsplit("/", 1)[0]) if "/" in self.key else self

    @property
    def bucket(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def prefix(self) -> str:
        return self.key.split("/", 1)[1] if "/" in self.key else ""

    def _fs(self):
        return _filesystem(self.scheme)

    def _info(self):
        return self._call(lambda fs: fs.get_file_info(self.key))

    def _call(self, fn):
        try:
            return fn(self._fs())
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise LocationError(f"cannot reach {self}: {str(exc).splitlines()[0][:200]}") from exc

    def exists(self) -> bool:
        import pyarrow.fs as pfs

        return self._info().type != pfs.FileType.NotFound

    def is_dir(self) -> bool:
        import pyarrow.fs as pfs

        return self._info().type == pfs.FileType.Directory

    def stat(self) -> _Stat:
        import pyarrow.fs as pfs

        info = self._info()
        if info.type == pfs.FileType.NotFound:
            raise FileNotFoundError(str(self))
        return _Stat(int(info.mtime_ns or 0), int(info.size or 0))

    def read_text(self, encoding: str = "utf-8") -> str:
        def read(fs):
            with fs.open_input_stream(self.key) as fh:
                return fh.read().decode(encoding)

        return self._call(read)

    def write_text(self, text: str, encoding: str = "utf-8") -> None:
        def write(fs):
            with fs.open_output_stream(self.key) as fh:
                fh.write(text.encode(encoding))

        self._call(write)

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self._call(lambda fs: fs.delete_file(self.key))
        except FileNotFoundError:
            if not missing_ok:
                raise

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Object storage has no folders: a prefix exists once something is written under it."""

    def iterdir(self):
        import pyarrow.fs as pfs

        infos = self._call(lambda fs: fs.get_file_info(pfs.FileSelector(self.key, allow_not_found=True)))
        for info in infos:
            yield _Child(self.scheme, info.path.rstrip("/"), info.type == pfs.FileType.Directory, int(info.size or 0))

    def remove_tree(self) -> None:
        self._call(lambda fs: fs.delete_dir(self.key))

    def tree_bytes(self) -> int:
        import pyarrow.fs as pfs

        infos = self._call(
            lambda fs: fs.get_file_info(pfs.FileSelector(self.key, recursive=True, allow_not_found=True))
        )
        return sum(int(i.size or 0) for i in infos if i.type == pfs.FileType.File)


@dataclass(frozen=True)
class _Child(ObjectPath):
    """A listed entry: its type is known from the listing, so is_dir() costs no request."""

    listed_dir: bool = False
    listed_size: int = 0

    def is_dir(self) -> bool:
        return self.listed_dir


_FILESYSTEMS: dict = {}


def _filesystem(scheme: str):
    # pyarrow's S3 client is costly to make and thread-safe: one per configuration, reused
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (scheme, endpoint, region)
    fs = _FILESYSTEMS.get(key)
    if fs is None:
        import pyarrow.fs as pfs

        # credentials come from the environment by themselves; the endpoint does not
        kwargs = {}
        if endpoint:
            proto, _, host = endpoint.partition("://")
            kwargs = {"endpoint_override": host, "scheme": proto} if host else {"endpoint_override": endpoint}
        if region:
            kwargs["region"] = region
        fs = _FILESYSTEMS[key] = pfs.S3FileSystem(**kwargs)
    return fs


def write_atomic(path, text: str) -> None:
    """Replace the file at `path` with `text` so that a reader sees the old or the new one, never half."""
    if isinstance(path, ObjectPath):
        path.write_text(text)
        return
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def remove_tree(path) -> None:
    if isinstance(path, ObjectPath):
        path.remove_tree()
    else:
        shutil.rmtree(path, ignore_errors=True)


def tree_bytes(path) -> int:
    if isinstance(path, ObjectPath):
        return path.tree_bytes()
    total = 0
    for root, _dirs, names in os.walk(path):
        for n in names:
            try:
                total += os.lstat(os.path.join(root, n)).st_size
            except OSError:
                pass
    return total
