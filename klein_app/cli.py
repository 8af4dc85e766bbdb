"""`klein-search` entry point: parses arguments, dispatches to the subcommand modules, and translates errors.

With no subcommand it opens the TUI. This is the one place where an error becomes what the user sees:
a `KleinError` is one line on stderr (or, with `--json`, a JSON object on stdout) and its exit code; any
other exception is a bug: one line pointing to the log, the traceback in the log.

When a `klein-search serve` runs for the same index folder, the commands that read or change the index run
inside it (klein_app/server/client.py; the service runs them with `run_command`, so the output and the exit
code are the same) and this process never imports the model or LanceDB; `--no-service` keeps them here.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from klein_app import __version__
from klein_app.errors import InternalError, KleinError, UsageError, UserError

__all__ = ["build_parser", "emit", "main", "parse_args", "run_command", "translate"]

log = logging.getLogger(__name__)
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing and exiting, so `--json` covers its errors too."""

    def error(self, message: str):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    from klein_app.commands import doctor_cmds, index_cmds, model_cmds, query_cmds, service_cmds

    parser = _Parser(
        prog="klein-search",
        description="Private, local semantic search over your own files. Run with no command for the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"klein-search {__version__}")
    parser.add_argument(
        "--db",
        metavar="DIR|URI",
        help="index and config folder, or s3://bucket/prefix (overrides KLEIN_SEARCH_HOME)",
    )
    parser.add_argument(
        "--model",
        dest="use_model",
        metavar="NAME|DIR",
        help='switch the model (a bundled name such as "lite" for the static klein-lite, or a folder); saved in '
        "the settings, the next index run rebuilds the index for it while searches keep using the old one",
    )
    parser.add_argument(
        "--no-service", action="store_true", help="work in this process even when `klein-search serve` runs"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (index_cmds, query_cmds, model_cmds, service_cmds, doctor_cmds):
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


def emit(err: KleinError, as_json: bool) -> int:
    if as_json:
        print(json.dumps(err.to_json(), ensure_ascii=False))
    else:
        print(f"klein-search: {err.message}", file=sys.stderr)
    return err.exit_code


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed command line; UsageError when it is wrong."""
    parser = build_parser()
    # `train` passes its arguments on to the trainer's own parser (imported only when it runs)
    args, rest = parser.parse_known_args(list(argv))
    if args.command == "train":
        args.rest = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args


def run_command(args: argparse.Namespace, log_path=None) -> int:
    """Run a parsed command (the TUI when there is none) and turn what it raises into what the user sees."""
    as_json = bool(getattr(args, "json", False))
    try:
        if args.use_model:
            from klein_app.commands.model_cmds import switch_model

            switch_model(args.db, args.use_model)
        if args.command is None:
            from klein_app.tui.app import run_tui

            return run_tui(db=args.db, use_service=not args.no_service)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("klein-search: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        err = translate(exc)
        if err is not None:
            log.info("%s: %s", type(exc).__name__, exc)
            return emit(err, as_json)
        log.exception("unexpected error")
        where = f"; details in {log_path}" if log_path else ""
        return emit(InternalError(f"unexpected error: {type(exc).__name__}: {exc}{where}"), as_json)


def _through_service(args: argparse.Namespace, argv: list[str]) -> int | None:
    """The exit code of the command run by the service for this index, or None when none answers."""
    from klein_app.server.client import FORWARDED

    if args.no_service or args.command not in FORWARDED:
        return None
    from klein_app.server.client import forward
    from klein_app.settings import resolve_paths

    read_stdin = args.command == "search" and getattr(args, "queries", None) == "-"
    return forward(argv, resolve_paths(args.db).data_dir, read_stdin=read_stdin)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from klein_app.index.private import use_private_umask

    use_private_umask()  # the index holds chunk text in plain text: nothing it writes is for other users
    try:
        args = parse_args(argv)
    except UsageError as err:
        return emit(err, "--json" in argv)
    try:
        code = _through_service(args, argv)
    except KleinError as err:  # a --db URI that cannot be used
        return emit(err, bool(getattr(args, "json", False)))
    if code is not None:
        return code
    from klein_app.index.memory import limit_blas_threads, limit_malloc_arenas

    limit_malloc_arenas()  # before torch, the tokenizer and LanceDB start their threads
    limit_blas_threads()  # before numpy is imported
    from klein_app.logs import setup_logging
    from klein_app.settings import resolve_paths

    try:
        log_path = setup_logging(resolve_paths(args.db).data_dir)
    except KleinError as err:  # a --db URI that cannot be used
        return emit(err, bool(getattr(args, "json", False)))
    log.info("klein-search %s: %s", __version__, " ".join(argv) or "(tui)")
    return run_command(args, log_path)


if __name__ == "__main__":
    sys.exit(main())
