"""`klein-search` entry point: parses arguments and dispatches to the subcommand modules.

With no subcommand it opens the TUI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from klein_app import __version__
from klein_app.errors import UserError

__all__ = ["UserError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from klein_app.commands import index_cmds, model_cmds, query_cmds

    parser = argparse.ArgumentParser(
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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from klein_app.index.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before torch, the tokenizer and LanceDB start their threads
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.use_model:
            from klein_app.commands.model_cmds import switch_model

            switch_model(args.db, args.use_model)
    except UserError as exc:
        print(f"klein-search: {exc}", file=sys.stderr)
        return 2
    if args.command is None:
        from klein_app.tui.app import run_tui

        return run_tui(db=args.db)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"klein-search: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("klein-search: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
