"""`klein-search` entry point: parses arguments, dispatches to the subcommand modules, and translates errors.

With no subcommand it opens the TUI. This is the one place where an error becomes what the user sees:
a `KleinError` is one line on stderr (or, with `--json`, a JSON object on stdout) and its exit code; any
other exception is a bug: one line pointing to the log, the traceback in the log.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from klein_app import __version__
from klein_app.errors import InternalError, KleinError, UsageError, UserError

__all__ = ["build_parser", "main", "translate"]

log = logging.getLogger(__name__)
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing and exiting, so `--json` covers its errors too."""

    def error(self, message: str):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    from klein_app.commands import index_cmds, model_cmds, query_cmds

    parser = _Parser(
        prog="klein-search",
        description="Private, local semantic search over your own files. Run with no command for the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"klein-search {__version__}")
    parser.add_argument("--db", metavar="DIR", help="index and config folder (overrides KLEIN_SEARCH_HOME)")
    parser.add_argument(
        "--model", dest="use_model", metavar="NAME|DIR",
        help='switch the model ("lite" for the static klein-lite, "klein-v1", or a folder); saved in the settings, '
        "the next index run rebuilds the index for it while searches keep using the old one",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (index_cmds, query_cmds, model_cmds):
        module.register(sub)
    return parser


def translate(exc: BaseException) -> KleinError | None:
    """The user-facing error for `exc`, or None when it is a bug. Errors of klein_model (which may not import
    the app) are translated here."""
    if isinstance(exc, KleinError):
        return exc
    from klein_model.errors import ModelLoadError

    if isinstance(exc, ModelLoadError):
        return UserError(f"cannot load the model: {exc}")
    return None


def _emit(err: KleinError, as_json: bool) -> int:
    if as_json:
        print(json.dumps(err.to_json(), ensure_ascii=False))
    else:
        print(f"klein-search: {err.message}", file=sys.stderr)
    return err.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from klein_app.index.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before torch, the tokenizer and LanceDB start their threads
    as_json = "--json" in argv
    parser = build_parser()
    try:
        # `train` passes its arguments on to the trainer's own parser (imported only when it runs)
        args, rest = parser.parse_known_args(argv)
        if args.command == "train":
            args.rest = rest
        elif rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
    except UsageError as err:
        return _emit(err, as_json)
    as_json = bool(getattr(args, "json", False))
    from klein_app.logs import setup_logging
    from klein_app.settings import resolve_paths

    log_path = setup_logging(resolve_paths(args.db).data_dir)
    log.info("klein-search %s: %s", __version__, " ".join(argv) or "(tui)")
    try:
        if args.use_model:
            from klein_app.commands.model_cmds import switch_model

            switch_model(args.db, args.use_model)
        if args.command is None:
            from klein_app.tui.app import run_tui

            return run_tui(db=args.db)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("klein-search: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        err = translate(exc)
        if err is not None:
            log.info("%s: %s", type(exc).__name__, exc)
            return _emit(err, as_json)
        log.exception("unexpected error")
        where = f"; details in {log_path}" if log_path else ""
        return _emit(InternalError(f"unexpected error: {type(exc).__name__}: {exc}{where}"), as_json)


if __name__ == "__main__":
    sys.exit(main())
