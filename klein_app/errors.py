"""The one error model of the app: every error a user can see derives from `KleinError`.

Each error carries its message (already written for the user, one line) and the process exit code the CLI
returns for it. The CLI translates a `KleinError` once (stderr, or a JSON object with `--json`); the TUI
translates it once (a toast). Anything that is not a `KleinError` is a bug and is logged with its traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUNTIME = 1  # the command was understood but could not be carried out
EXIT_USAGE = 2  # the command line itself is wrong (argparse's convention)


class KleinError(Exception):
    """Base class: `str(exc)` is the one-line message; `exit_code` what the CLI returns."""

    exit_code: int = EXIT_RUNTIME
    kind: str = "error"

    def __init__(self, message: str = "", *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    @property
    def message(self) -> str:
        return str(self)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"error": self.message, "kind": self.kind, "exit_code": self.exit_code}
        if self.hint:
            out["hint"] = self.hint
        return out


class UsageError(KleinError):
    """The arguments are wrong: fixable by changing the command line."""

    exit_code = EXIT_USAGE
    kind = "usage"


class UserError(KleinError):
    """A runtime condition the user can fix (missing folder, bad config, busy index)."""

    kind = "runtime"


class InternalError(KleinError):
    """A bug: what the CLI shows for an exception that is not a KleinError (the traceback is in the log)."""

    kind = "internal"
