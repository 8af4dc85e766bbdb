"""`klein-search doctor`: check the index's invariants and repair what fails (with --json)."""

from __future__ import annotations

import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="check the index (pointer, tables, rows vs chunks, versions, permissions) and repair it",
        description="Checks every invariant the index relies on and repairs what fails: the index is a cache "
        "of your files, so repairs rebuild from them. Fixes by default; --dry-run only reports.",
    )
    p.add_argument("--dry-run", action="store_true", help="only report; change nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=cmd_doctor)


_LABEL = {"ok": "ok", "fixed": "FIXED", "problem": "PROBLEM", "note": "note"}


def cmd_doctor(args) -> int:
    from klein_app.commands.index_cmds import _context
    from klein_app.index.doctor import run_doctor

    ctx = _context(args)
    report = run_doctor(ctx, fix=not args.dry_run)
    if args.json:
        print(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
    else:
        width = max((len(c.name) for c in report.checks), default=0)
        for c in report.checks:
            print(f"{_LABEL[c.status]:<8} {c.name:<{width}}  {c.detail}")
        summary = f"{len(report.fixed)} fixed, {len(report.problems)} problem(s) left"
        print(summary, file=sys.stderr if report.problems else sys.stdout)
    return 1 if report.problems else 0
