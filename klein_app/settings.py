"""Settings: where config and index live, and what to index.

Public API:
    Settings            dataclass of user choices (watched folders, chunk sizes, ignore rules, model)
    Paths               dataclass(config_file, data_dir)
    resolve_paths(db)   --db DIR or URI, else $KLEIN_SEARCH_HOME, else the platform's config/data folders
    load_settings(paths) -> Settings      (defaults when the file does not exist)
    save_settings(paths, settings)        (atomic write of a small TOML file)
    SettingsError       raised for an unreadable or invalid config file

Writes go through tomlkit, which edits the user's file in place: comments, order and layout survive
`add` and `remove`.
"""

from __future__ import annotations

import logging
import math
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from klein_app.errors import UserError
from klein_app.location import as_path, is_uri, write_atomic

APP_NAME = "klein-search"
CONFIG_NAME = "config.toml"
HOME_ENV = "KLEIN_SEARCH_HOME"
MAX_FILE_MB_LIMIT = 4096.0  # a cap above this is no cap: say so instead of overflowing a read size

log = logging.getLogger(__name__)


class SettingsError(UserError):
    """The config file cannot be read or holds invalid values."""


@dataclass
class Settings:
    folders: list[str] = field(default_factory=list)
    chunk_tokens: int = 128
    overlap_tokens: int = 16
    # gitignore-style patterns applied inside every watched folder, on top of .gitignore/.kleinignore
    ignore: list[str] = field(default_factory=list)
    # paths or gitignore-style patterns that opt back in what the secret rules (by name, by a
    # link's target, by content) and the hidden rule skip
    include: list[str] = field(default_factory=list)
    max_file_mb: float = 10.0
    model: str | None = None  # None = the bundled model; "lite" = the bundled static klein-lite, "v1"; or a folder
    index_hidden: bool = False
    # a symlink inside a watched folder whose target lies outside every watched folder is skipped
    # unless this is on (a link can otherwise pull any readable file of the machine into the index)
    follow_links_outside: bool = False

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def validate(self) -> None:
        """Every rule a setting's value must meet, in one place; raises SettingsError."""
        if self.chunk_tokens < 16 or self.chunk_tokens > 512:
            raise SettingsError(f"chunk_tokens must be between 16 and 512, not {self.chunk_tokens}")
        if self.overlap_tokens < 0 or self.overlap_tokens >= self.chunk_tokens // 2:
            raise SettingsError(f"overlap_tokens must be >= 0 and < chunk_tokens/2, not {self.overlap_tokens}")
        # `not (0 < x <= limit)` also rejects nan, which fails every comparison
        if not (math.isfinite(self.max_file_mb) and 0 < self.max_file_mb <= MAX_FILE_MB_LIMIT):
            raise SettingsError(
                f"max_file_mb must be a number above 0 and at most {MAX_FILE_MB_LIMIT:g}, not {self.max_file_mb}"
            )
        if self.model is not None and not _names_a_model(self.model):
            raise SettingsError(
                f"model folder {self.model} does not exist; fix `model` in the config or remove it for the bundled model"
            )


@dataclass(frozen=True)
class Paths:
    config_file: Path
    data_dir: Path


def resolve_paths(db: str | None = None) -> Paths:
    """One folder for both config and index when given (--db or the env var), else platform folders."""
    home = db or os.environ.get(HOME_ENV)
    if home:
        base = as_path(home) if is_uri(home) else Path(home).expanduser().resolve()
        return Paths(config_file=base / CONFIG_NAME, data_dir=base)
    import platformdirs

    return Paths(
        config_file=Path(platformdirs.user_config_dir(APP_NAME)) / CONFIG_NAME,
        data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
    )


def load_settings(paths: Paths) -> Settings:
    try:
        raw = paths.config_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(f"cannot read {paths.config_file}: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{paths.config_file} is not valid TOML: {exc}") from exc
    return settings_from_dict(data, source=str(paths.config_file))


def settings_from_dict(data: dict, source: str = "settings") -> Settings:
    known = {f.name: f for f in fields(Settings)}
    kwargs = {}
    for key, value in data.items():
        if key not in known:
            # a typo or a setting of a newer version: say so, but keep working
            log.warning("%s: unknown setting %r (ignored)", source, key)
            continue
        kwargs[key] = _check_type(key, value, source)
    settings = Settings(**kwargs)
    try:
        settings.validate()
    except SettingsError as exc:
        raise SettingsError(f"{source}: {exc}") from None
    return settings


def _check_type(key: str, value, source: str):
    default = Settings()
    expected = getattr(default, key)
    if key == "model":
        if value in ("", None):
            return None
        if not isinstance(value, str):
            raise SettingsError(f"{source}: {key} must be a string")
        return value
    if isinstance(expected, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{source}: {key} must be a list of strings")
        return list(value)
    if isinstance(expected, bool):
        if not isinstance(value, bool):
            raise SettingsError(f"{source}: {key} must be true or false")
        return value
    if isinstance(expected, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{source}: {key} must be an integer")
        return value
    if isinstance(expected, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{source}: {key} must be a number")
        return float(value)
    return value


def _names_a_model(spec: str) -> bool:
    """A bundled name this install carries ("lite", "klein-v1", ...) or an existing folder."""
    from klein_model.folder import bundled_model_path, is_bundled_name

    if is_bundled_name(spec):
        return bundled_model_path(spec) is not None
    return Path(spec).expanduser().is_dir()


_DEFAULTS = Settings()


def save_settings(paths: Paths, settings: Settings) -> None:
    settings.validate()
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(paths.config_file, dump_toml(settings, _read_existing(paths.config_file)))  # never half-written


def _read_existing(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from exc


def dump_toml(settings: Settings, existing: str | None = None) -> str:
    """The TOML for `settings`. Given the file's current text, only changed values are rewritten: the user's
    comments, order and layout of everything else are kept (tomlkit edits the document in place)."""
    import tomlkit

    if existing is None:
        doc = tomlkit.document()
        doc.add(tomlkit.comment("klein-search settings"))
        doc.add(tomlkit.nl())
    else:
        try:
            doc = tomlkit.parse(existing)
        except tomlkit.exceptions.TOMLKitError as exc:
            raise SettingsError(f"the config file is not valid TOML, so it is not rewritten: {exc}") from exc
    current = doc.unwrap()
    for key, value in asdict(settings).items():
        if value is None:
            if key in doc:
                del doc[key]
            elif existing is None:
                doc.add(tomlkit.comment(f'{key} = ""  (unset: the bundled model)'))
            continue
        if key in current and current[key] == value:
            continue  # unchanged: keep its formatting
        if key not in doc and existing is not None and value == getattr(_DEFAULTS, key):
            continue  # a default the user's file leaves out stays out
        doc[key] = _item(value)
    return tomlkit.dumps(doc)


def _item(value):
    import tomlkit

    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(_writable(v) for v in value)
        array.multiline(bool(value))
        return array
    return _writable(value) if isinstance(value, str) else value


def _writable(s: str) -> str:
    # lone surrogates (undecodable file names) cannot be written as UTF-8; replace them visibly
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in s)
