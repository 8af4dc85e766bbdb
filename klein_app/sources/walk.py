"""Which files under a watched folder are candidates for the index.

Public API:
    Entry                  dataclass(path, folder, size, mtime, skip_reason) for one file (or a
                           folder that could not be entered); skip_reason "" means "read it"
    Walker(settings)       compiled rules; .walk(root, start=None, visited=None) -> Iterator[Entry]
    Visited()              inode bookkeeping shared across the roots of one pass
    Walker.excluded(root, path) -> str | None   why the rules exclude a path ("secret", "hidden", "ignored")

Rules, in order: an `include` entry opts a path back in past the secret and hidden rules; secrets
are never indexed by default (matched against the whole path, so watching ~/.ssh itself is still
refused); hidden names are skipped unless index_hidden; configured `ignore` patterns, then nested
.gitignore/.kleinignore files (deepest first, negation honoured) decide the rest. Paths the rules
exclude yield nothing: they are not bad input, and listing them would leak names. Bad input
(special files, loops, unreadable folders, oversize files, undecodable names) yields an Entry
with a skip_reason so `status` can say why.

Symlinks are followed; a folder or file already reached by another path (loop, second link,
hard link) is not walked again. A link's resolved target meets the secret and hidden rules as
well as its own path, and a target outside every watched folder is refused unless
follow_links_outside is on; such links yield an Entry with the reason (the link's name is the
user's own, the target's is not shown).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

from klein_app.settings import Settings
from klein_app.sources.safe_read import file_kind

IGNORE_FILES = (".gitignore", ".kleinignore")
ALWAYS_SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "__pycache__", ".klein-search"})

# gitignore syntax, matched against the absolute path without its leading "/".
SECRET_PATTERNS = [
    # keys and credentials
    ".ssh/",
    ".gnupg/",
    ".aws/",
    ".azure/",
    ".kube/",
    ".docker/",
    ".config/gcloud/",
    ".env",
    ".env.*",
    ".env*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_*",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
    "secring.*",
    "credentials",
    "credentials.json",
    "*.ovpn",
    # environment and secret files by their usual names (env.production, deploy.env, secrets.txt)
    "*.env",
    "env.production",
    "env.prod",
    "env.staging",
    "env.local",
    "env.development",
    ".envrc",
    "secrets.*",
    "secret.*",
    "*.secret",
    "*.secrets",
    "passwords.*",
    "*_rsa",
    "*_dsa",
    "*_ecdsa",
    "*_ed25519",
    # keychains and password stores
    "*.keychain",
    "*.keychain-db",
    "Keychains/",
    ".password-store/",
    ".local/share/keyrings/",
    "*.kdbx",
    "*.kdb",
    "*.agilekeychain/",
    "*.opvault/",
    "*.1pif",
    # browser and mail profiles (cookies, saved passwords, history)
    ".mozilla/",
    ".thunderbird/",
    ".config/google-chrome/",
    ".config/chromium/",
    ".config/BraveSoftware/",
    ".config/microsoft-edge/",
    ".config/vivaldi/",
    "snap/firefox/",
    "**/Library/Application Support/Google/Chrome/",
    "**/Library/Application Support/Firefox/",
    "**/Library/Safari/",
    "**/Library/Cookies/",
    "**/AppData/Local/Google/Chrome/",
    "**/AppData/Roaming/Mozilla/",
    "**/AppData/Local/Microsoft/Edge/",
]


@dataclass
class Entry:
    path: str
    folder: str
    size: int = 0
    mtime: float = 0.0
    skip_reason: str = ""
    real: str = ""  # the resolved path the rules approved; a read that resolves elsewhere is refused


@dataclass
class Visited:
    dirs: set = field(default_factory=set)
    files: dict = field(default_factory=dict)  # (dev, ino) -> first path


@dataclass
class _Level:
    prefix: str  # relative dir of the ignore files, "" for the root, else "a/b/"
    spec: object


def _spec(lines):
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def display_path(path: str) -> tuple[str, bool]:
    """A UTF-8-safe string for a path, and whether the name was valid UTF-8."""
    try:
        path.encode("utf-8")
        return path, True
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace"), False


class Walker:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.secrets = _spec(_anywhere(SECRET_PATTERNS))
        self.ignore = _spec(settings.ignore) if settings.ignore else None
        prefixes, patterns = [], []
        for inc in settings.include:
            if inc.startswith(("/", "~")):
                prefixes.append(os.path.abspath(os.path.expanduser(inc)))
            else:
                patterns.append(inc)
        self.include_prefixes = prefixes
        self.include = _spec(patterns) if patterns else None
        self.watched = [os.path.realpath(os.path.expanduser(f)) for f in settings.folders]

    # --- rules -----------------------------------------------------------------------------

    def _included(self, abspath: str, is_dir: bool) -> bool:
        for p in self.include_prefixes:
            if abspath == p or abspath.startswith(p.rstrip("/") + "/") or (is_dir and p.startswith(abspath + "/")):
                return True
        if self.include is not None:
            return bool(self.include.match_file(abspath.lstrip("/") + ("/" if is_dir else "")))
        return False

    def _rule(self, abspath: str, rel: str, name: str, is_dir: bool, levels: list[_Level]) -> str | None:
        """Why the rules exclude this path, or None."""
        if is_dir and name in ALWAYS_SKIP_DIRS:
            return "ignored"
        included = (self.include_prefixes or self.include is not None) and self._included(abspath, is_dir)
        if not included:
            if self.secrets.match_file(abspath.lstrip("/") + ("/" if is_dir else "")):
                return "secret"
            if name.startswith(".") and not self.settings.index_hidden:
                return "hidden"
        key = rel + ("/" if is_dir else "")
        if self.ignore is not None:
            verdict = self.ignore.check_file(key).include
            if verdict is not None:
                return "ignored" if verdict else None
        for level in reversed(levels):
            if level.spec is None:
                continue
            verdict = level.spec.check_file(key[len(level.prefix) :]).include
            if verdict is not None:
                return "ignored" if verdict else None
        return None

    def opted_in(self, path: str) -> bool:
        """Whether `include` names this file, so even secret-looking content is indexed."""
        has_rules = bool(self.include_prefixes) or self.include is not None
        return bool(has_rules and self._included(os.path.abspath(path), False))

    def link_rule(self, root: str, path: str, is_dir: bool) -> str | None:
        """Why a symlink may not be followed: its target, resolved, meets the deny rules too."""
        real = os.path.realpath(path)
        if (self.include_prefixes or self.include is not None) and self._included(real, is_dir):
            return None
        if self.secrets.match_file(real.lstrip("/") + ("/" if is_dir else "")):
            return "symlink to a secret file or folder"
        home = next((w for w in [os.path.realpath(root)] + self.watched if _under(real, w)), None)
        if not self.settings.index_hidden:
            below = os.path.relpath(real, home) if home else real.lstrip("/")
            if any(part.startswith(".") and part not in (".", "..") for part in below.split(os.sep)):
                return "symlink to a hidden file or folder"
        if home is None and not self.settings.follow_links_outside:
            return "symlink to outside the watched folders (follow_links_outside is off)"
        return None

    def excluded(self, root: str, path: str) -> str | None:
        """Whether the rules exclude `path` (under `root`), looking at every folder on the way."""
        root = os.path.abspath(root)
        path = os.path.abspath(path)
        rel = os.path.relpath(path, root)
        if rel == "." or rel.startswith(".."):
            return None if rel == "." else "outside"
        parts = rel.split(os.sep)
        levels = [_Level("", _read_ignore_spec(root))]
        for i, name in enumerate(parts):
            sub_rel = "/".join(parts[: i + 1])
            abspath = os.path.join(root, *parts[: i + 1])
            is_dir = i < len(parts) - 1 or os.path.isdir(abspath)
            why = self._rule(abspath, sub_rel, name, is_dir, levels)
            if why:
                return why
            if is_dir:
                levels.append(_Level(sub_rel + "/", _read_ignore_spec(abspath)))
        return None

    # --- walking ---------------------------------------------------------------------------

    def walk(self, root: str, start: str | None = None, visited: Visited | None = None) -> Iterator[Entry]:
        """Entries under `root` (or only under `start`, a folder or file inside it)."""
        root = os.path.abspath(root)
        visited = visited if visited is not None else Visited()
        start = os.path.abspath(start) if start else root
        if start != root:
            if self.excluded(root, start):
                return
            try:
                st = os.stat(start)
            except OSError:
                return
            if not stat.S_ISDIR(st.st_mode):
                is_link = os.path.islink(start)
                why = self.link_rule(root, start, False) if is_link else None
                if why:
                    yield Entry(display_path(start)[0], root, skip_reason=why)
                else:
                    yield from self._file_entry(root, start, st, visited, is_link=is_link)
                return
        levels = self._levels_for(root, start)
        try:
            st = os.stat(start)
        except OSError as exc:
            yield Entry(display_path(start)[0], root, skip_reason=_os_reason(exc))
            return
        if (st.st_dev, st.st_ino) in visited.dirs:
            return  # another watched folder (or a link to it) already covered this one
        visited.dirs.add((st.st_dev, st.st_ino))
        yield from self._walk_dir(root, start, levels, visited)

    def _levels_for(self, root: str, start: str) -> list[_Level]:
        levels = [_Level("", _read_ignore_spec(root))]
        rel = os.path.relpath(start, root)
        if rel != ".":
            parts = rel.split(os.sep)
            for i in range(len(parts)):
                sub = os.path.join(root, *parts[: i + 1])
                levels.append(_Level("/".join(parts[: i + 1]) + "/", _read_ignore_spec(sub)))
        return levels

    def _walk_dir(self, root: str, top: str, top_levels: list[_Level], visited: Visited) -> Iterator[Entry]:
        # explicit stack: 300-deep trees must not hit the recursion limit
        stack = [(top, top_levels)]
        while stack:
            folder, levels = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                if folder != root:
                    yield Entry(display_path(folder)[0], root, skip_reason=_os_reason(exc))
                continue
            subdirs = []
            for de in entries:
                path = de.path
                shown, ok_name = display_path(path)
                if not ok_name:
                    yield Entry(shown, root, skip_reason="file name is not valid UTF-8")
                    continue
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                is_link = False
                try:
                    is_link = de.is_symlink()
                    st = os.stat(path)  # follows symlinks
                except OSError as exc:
                    if exc.errno == errno.ENOENT:
                        if is_link:
                            yield Entry(shown, root, skip_reason="broken symlink")
                        continue  # deleted since the listing: simply not there
                    else:
                        yield Entry(shown, root, skip_reason=_os_reason(exc))
                    continue
                is_dir = stat.S_ISDIR(st.st_mode)
                if self._rule(path, rel, de.name, is_dir, levels):
                    continue
                if is_link:
                    why = self.link_rule(root, path, is_dir)
                    if why:
                        yield Entry(shown, root, skip_reason=why)
                        continue
                if is_dir:
                    key = (st.st_dev, st.st_ino)
                    if key in visited.dirs:
                        if is_link:
                            yield Entry(shown, root, skip_reason="symlink loop or folder already indexed")
                        continue
                    visited.dirs.add(key)
                    spec = _read_ignore_spec(path)
                    subdirs.append((path, levels + [_Level(rel + "/", spec)] if spec is not None else levels))
                    continue
                yield from self._file_entry(root, path, st, visited, is_link)
            stack.extend(reversed(subdirs))

    def _file_entry(self, root: str, path: str, st, visited: Visited, is_link: bool) -> Iterator[Entry]:
        shown, ok_name = display_path(path)
        if not ok_name:
            yield Entry(shown, root, skip_reason="file name is not valid UTF-8")
            return
        if not stat.S_ISREG(st.st_mode):
            yield Entry(shown, root, 0, st.st_mtime, skip_reason=f"not a regular file ({file_kind(st.st_mode)})")
            return
        key = (st.st_dev, st.st_ino)
        first = visited.files.get(key)
        if first is not None:
            if first != shown:
                yield Entry(shown, root, st.st_size, st.st_mtime, skip_reason=f"same file as {first}")
            return
        visited.files[key] = shown
        cap = self.settings.max_file_bytes
        if st.st_size > cap:
            reason = f"larger than {self.settings.max_file_mb:g} MB"
            yield Entry(shown, root, st.st_size, st.st_mtime, skip_reason=reason)
            return
        yield Entry(shown, root, st.st_size, st.st_mtime, real=os.path.realpath(path))


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _anywhere(patterns: list[str]) -> list[str]:
    # gitignore anchors a pattern with an inner slash to the root; secrets may sit at any depth
    out = []
    for p in patterns:
        if "/" in p.rstrip("/") and not p.startswith("**/"):
            p = "**/" + p
        out.append(p)
    return out


def _read_ignore_spec(folder: str):
    from klein_app.sources.readers import ReadError
    from klein_app.sources.safe_read import read_bounded

    lines: list[str] = []
    for name in IGNORE_FILES:
        try:
            # a .gitignore that is a FIFO must not block the walk
            data = read_bounded(os.path.join(folder, name), 1 << 20, timeout=5.0)[: 1 << 20]
        except (OSError, ReadError):
            continue
        lines.extend(data.decode("utf-8", errors="replace").splitlines())
    return _spec(lines) if lines else None


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "vanished while listing"
    if exc.errno == errno.ENAMETOOLONG:
        return "path too long"
    return f"cannot open ({exc.strerror or exc.errno})"
