"""`serve` (the local HTTP API) and `service install|uninstall|status` (start it at login)."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="keep the model, the index and the watcher warm behind a local HTTP API")
    p.add_argument("--port", type=int, metavar="N", help="listen on 127.0.0.1:N instead of the private unix socket")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="ADDR",
        help="address for --port (default 127.0.0.1; anything else needs --allow-remote)",
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other machines can reach (the token is then the only protection)",
    )
    p.add_argument("--no-watch", action="store_true", help="answer queries only; do not follow the folders")
    p.add_argument("--quiet", action="store_true", help="print nothing at start-up")
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser("service", help="start `serve` at login (systemd user unit / launchd agent)")
    p.add_argument("action", choices=("install", "uninstall", "status"))
    p.add_argument("--no-start", action="store_true", help="only write (or remove) the unit; do not enable it")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_service)


def cmd_serve(args) -> int:
    from klein_app.server.run import serve

    return serve(
        args.db,
        port=args.port,
        host=args.host,
        allow_remote=args.allow_remote,
        watch=not args.no_watch,
        quiet=args.quiet,
    )


def cmd_service(args) -> int:
    from klein_app.errors import UserError
    from klein_app.server import units

    try:
        plan = units.plan(args.db)
    except OSError as exc:
        raise UserError(str(exc)) from exc
    if args.action == "install":
        result = units.install(plan, start=not args.no_start)
    elif args.action == "uninstall":
        result = units.uninstall(plan, stop=not args.no_start)
    else:
        result = units.status(plan)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    if args.action == "install":
        print(f"wrote {result['path']}")
    elif args.action == "uninstall":
        print(f"removed {result['path']}" if result["removed"] else f"not installed: {result['path']}")
    else:
        state = "installed" if result["installed"] else "not installed"
        active = f", {result['active']}" if "active" in result else ""
        print(f"{plan.kind} {state}{active}: {result['path']}")
    for step in result.get("commands", []):
        cmd = " ".join(step["command"])
        if not step["ran"]:
            print(f"  skipped `{cmd}`: {step['reason']}")
        elif step["returncode"] != 0:
            print(f"  `{cmd}` failed ({step['returncode']}): {step['output']}")
        else:
            print(f"  ran `{cmd}`")
    return 0
