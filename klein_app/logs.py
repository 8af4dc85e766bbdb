"""The app's log: a rotating file in the data folder, configured once when the CLI starts.

Public API:
    log_file(data_dir) -> Path          where the log lives (status names it)
    setup_logging(data_dir) -> Path | None
                                        attach the rotating file handler to the `klein_app` logger; None when the
                                        folder cannot be written (the app then runs without a log file)

Library modules only call `logging.getLogger(__name__)`; nothing is printed to the terminal by logging, so a
command's output stays its own.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_DIR = "logs"
LOG_NAME = "klein-search.log"
MAX_BYTES = 1 << 20  # 1 MiB per file, 3 old files kept: a long `watch` cannot fill the disk
BACKUPS = 3
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
LOGGER_NAMES = ("klein_app", "klein_model", "trainer")


def log_file(data_dir) -> Path:
    from klein_app.location import ObjectPath

    if isinstance(data_dir, ObjectPath):  # an index in object storage: the log stays on this machine
        import platformdirs

        return Path(platformdirs.user_log_dir("klein-search")) / LOG_NAME
    return Path(data_dir) / LOG_DIR / LOG_NAME


def setup_logging(data_dir: Path | str, level: int = logging.INFO) -> Path | None:
    path = log_file(data_dir)
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        for h in list(logger.handlers):
            if getattr(h, "_klein_log", False):  # a second call (tests run main() often) replaces, not adds
                logger.removeHandler(h)
                h.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._klein_log = True
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
    return path
