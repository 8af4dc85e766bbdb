"""`klein-search` entry point: parses arguments and dispatches to the subcommand modules.

With no subcommand it opens the TUI. When a `klein-search serve` runs for the same index folder, the commands
that read or change the index run inside it (klein_app/server/client.py: same output, same exit code) and
the CLI never loads the model or LanceDB itself; `--no-service` keeps them here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from klein_app import __version__
from klein_app.errors import KleinError, UsageError, UserError

__all__ = ["UserError", "build_parser", "emit", "main", "parse_args", "run_command", "translate"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    from klein_app.commands import index_cmds, model_cmds, query_cmds, service_cmds

    parser = _Parser(
        prog="klein-search",
        description="Private, local semantic search over your own files. Run with no command for the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"klein-search {__version__}")
    parser.add_argument("--db", metavar="DIR", help="index and config folder (overrides KLEIN_SEARCH_HOME)")
    parser.add_argument("--no-service", action="store_true",
                        help="work in this process even when `klein-search serve` runs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (index_cmds, query_cmds, model_cmds, service_cmds):
        module.register(sub)
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def translate(exc: BaseException) -> KleinError | None:
    if isinstance(exc, KleinError):
        return exc
    import klein_model
    from klein_app.index.folders import FolderError
    from klein_app.index.lock import IndexBusy
    from klein_app.index.store import StoreError
    from klein_app.queries.errors import QueryError

    if isinstance(exc, (QueryError, StoreError, FolderError, IndexBusy, klein_model.ModelLoadError)):
        return UserError(str(exc))
    return None


def emit(err: KleinError, as_json: bool) -> int:
    import json

    if as_json:
        print(json.dumps(err.to_json(), ensure_ascii=False))
    else:
        print(f"klein-search: {err.message}", file=sys.stderr)
    return err.exit_code


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed subcommand; a user-facing error becomes its message and exit code."""
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("klein-search: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        err = translate(exc)
        if err is None:
            raise
        return emit(err, bool(getattr(args, "json", False)))


def _through_service(args: argparse.Namespace, argv: list[str]) -> int | None:
    from klein_app.server.client import FORWARDED

    if args.no_service or args.command not in FORWARDED:
        return None
    from klein_app.server.client import forward
    from klein_app.settings import resolve_paths

    read_stdin = args.command == "search" and getattr(args, "queries", None) == "-"
    return forward(args.command, argv, resolve_paths(args.db).data_dir, read_stdin=read_stdin)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_args(argv)
    except UsageError as err:
        return emit(err, "--json" in argv)
    if args.command is not None:
        code = _through_service(args, argv)
        if code is not None:
            return code
    from klein_app.index.memory import limit_blas_threads, limit_malloc_arenas

    limit_malloc_arenas()  # before torch, the tokenizer and LanceDB start their threads
    limit_blas_threads()  # before numpy is imported
    if args.command is None:
        from klein_app.tui.app import run_tui

        return run_tui(db=args.db, use_service=not args.no_service)
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
