"""The CLI's commands run inside the service: the same parser and handlers with the service's warm context.

The client sends its argv, its working folder and (for `search --queries -`) its standard input; the service
parses the argv with the CLI's own parser, makes relative paths absolute against the client's folder, runs
the handler with per-request streams, and answers with what it printed and its exit code.
"""

from __future__ import annotations

import os

from klein_app.server.client import FORWARDED
from klein_app.server.streams import captured

# The arguments that name files: relative to the client's working folder, not the service's.
PATH_ARGS = {"add": ("paths",), "remove": ("path",), "index": ("paths",), "similar": ("path",), "search": ("queries",)}
FOLDER_COMMANDS = frozenset({"add", "remove"})


def run_forwarded(state, argv: list[str], cwd: str, stdin: str = "") -> dict:
    state.cli_commands += 1
    with captured(stdin) as (out, err):
        code = _run(state, argv, cwd)
    return {"exit_code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _run(state, argv: list[str], cwd: str) -> int:
    from klein_app.cli import emit, parse_args, run_command
    from klein_app.errors import UsageError

    try:
        args = parse_args(argv)
        if args.command not in FORWARDED:
            raise UsageError(f"the service does not run `{args.command}`")
    except UsageError as err:
        return emit(err, "--json" in argv)
    for dest in PATH_ARGS.get(args.command, ()):
        setattr(args, dest, _absolute(getattr(args, dest, None), cwd))
    args.context = state.ctx
    args.service = state
    code = run_command(args, state.log_path)
    if args.command in FOLDER_COMMANDS:
        state.folders_changed()
    return code


def _absolute(value, cwd: str):
    if value is None or value == "-":
        return value
    if isinstance(value, list):
        return [_absolute(v, cwd) for v in value]
    return os.path.join(cwd, os.path.expanduser(value))
