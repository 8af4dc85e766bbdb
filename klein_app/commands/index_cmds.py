"""Subcommands that manage the index: add, remove, index, watch, status, files (all with --json)."""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import asdict

from klein_app.errors import UsageError, UserError
from klein_app.humanize import human_bytes, run_summary
from klein_app.pathutil import absolute, is_under

log = logging.getLogger(__name__)
NO_FOLDERS = "no folders are watched yet; add one with `klein-search add PATH`"


def register(subparsers) -> None:
    p = subparsers.add_parser("add", help="watch folders and index them")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--no-index", action="store_true", help="only record the folders; index later")
    _common(p)
    p.set_defaults(func=cmd_add)

    p = subparsers.add_parser("remove", help="stop watching a folder and forget its index entries")
    p.add_argument("path", metavar="PATH")
    _common(p)
    p.set_defaults(func=cmd_remove)

    p = subparsers.add_parser("index", help="bring the index up to date (all watched folders, or PATHs)")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="re-chunk every file; an unreadable index is moved aside and built anew",
    )
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local (default), or ray: read, chunk and embed on a Ray cluster (the cluster extra)",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="the Ray cluster to join ('auto', ray://HOST:10001); default: start Ray on this machine's cores",
    )
    p.add_argument("--ray-workers", type=int, metavar="N", help="Ray actors, one model each (default: one per CPU)")
    _common(p)
    p.set_defaults(func=cmd_index)

    p = subparsers.add_parser("watch", help="keep the index in step with the folders until Ctrl-C")
    p.add_argument("--polling", action="store_true", help="poll instead of using file-system events")
    _common(p)
    p.set_defaults(func=cmd_watch)

    p = subparsers.add_parser("status", help="folders, files, chunks, skipped files, model, disk size")
    _common(p)
    p.set_defaults(func=cmd_status)

    p = subparsers.add_parser("files", help="every file in the index with its chunks, hash and state")
    p.add_argument("--skipped", action="store_true", help="only files that were skipped, with the reason")
    _common(p)
    p.set_defaults(func=cmd_files)


def _common(p) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


# --- helpers ---------------------------------------------------------------------------------


def _context(args):
    if getattr(args, "context", None) is not None:  # run by the service: its warm context
        return args.context
    from klein_app.context import open_context

    return open_context(getattr(args, "db", None))


def _progress(args):
    if args is None or args.json or args.quiet:
        return None
    from klein_app.index.progress import progress_reporter

    return progress_reporter(sys.stderr)


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=1, ensure_ascii=False, default=str))


def _run_index(ctx, args, paths=None, rebuild=False):
    from klein_app.index.indexer import index_paths

    progress = _progress(args)
    try:
        # a damaged index is set aside and rebuilt inside (klein_app.index.heal); report.repairs says so
        if getattr(args, "engine", "local") == "ray":  # `add` indexes too, always locally
            from klein_app.index.ray_engine import index_with_ray

            return index_with_ray(
                ctx, paths, progress=progress, rebuild=rebuild, address=args.ray_address, workers=args.ray_workers
            )
        return index_paths(ctx, paths, progress=progress, rebuild=rebuild)
    finally:
        if progress is not None:
            progress.close()


# --- commands --------------------------------------------------------------------------------


def add_payload(ctx, paths: list[str], *, index: bool = True, args=None) -> dict:
    """Watch folders and (unless told not to) index them: what `add --json` and `POST /folders` answer."""
    from klein_app.index.folders import add_folders
    from klein_app.index.lock import IndexBusy

    added = add_folders(ctx, paths)
    report = None
    busy = False
    if added and index:
        try:
            report = _run_index(ctx, args, paths=None)
        except IndexBusy:
            busy = True  # a running `watch` (or the TUI) follows the config and indexes it
    return {
        "added": added,
        "folders": ctx.settings.folders,
        "report": asdict(report) if report else None,
        "deferred_to_running_writer": busy,
    }


def cmd_add(args) -> int:
    payload = add_payload(_context(args), args.paths, index=not args.no_index, args=args)
    if args.json:
        _print_json(payload)
        return 0
    for f in payload["added"]:
        print(f"watching {f}")
    if not payload["added"]:
        print("nothing to add: already watched")
    if payload["report"] is not None:
        from klein_app.index.indexer import IndexReport

        print(run_summary(IndexReport(**payload["report"])))
    if payload["deferred_to_running_writer"]:
        print("another klein-search process is updating the index; it will index the new folder")
    return 0


def remove_payload(ctx, path: str) -> dict:
    """Stop watching a folder and forget its files: what `remove --json` and `DELETE /folders` answer."""
    from klein_app.index.folders import remove_folder
    from klein_app.index.lock import IndexBusy

    deferred = False
    try:
        removed = remove_folder(ctx, path)
    except IndexBusy:
        # the folder is out of the config already; the running writer follows it and drops the rows
        removed, deferred = 0, True
    return {
        "removed_folder": path,
        "files_forgotten": removed,
        "folders": ctx.settings.folders,
        "deferred_to_running_writer": deferred,
    }


def cmd_remove(args) -> int:
    payload = remove_payload(_context(args), args.path)
    if args.json:
        _print_json(payload)
    elif payload["deferred_to_running_writer"]:
        print(f"stopped watching {args.path}; the running klein-search process will forget its files")
    else:
        print(f"stopped watching {args.path}; forgot {payload['files_forgotten']} file(s)")
    return 0


def index_now(ctx, paths: list[str] | None = None, *, rebuild: bool = False, args=None):
    """Bring the index up to date (all folders, or these paths inside them): `index`, `POST /index`."""
    if not ctx.settings.folders:
        raise UserError(NO_FOLDERS)
    chosen = None
    if paths:
        roots = [absolute(f) for f in ctx.settings.folders]
        chosen = []
        for p in paths:
            ap = absolute(p)
            if not any(is_under(ap, r) for r in roots):
                raise UsageError(f"{p} is not inside a watched folder; add it with `klein-search add`")
            chosen.append(ap)
    return _run_index(ctx, args, paths=chosen, rebuild=rebuild)


def cmd_index(args) -> int:
    if args.engine != "ray" and (args.ray_address or args.ray_workers):
        raise UsageError("--ray-address and --ray-workers need --engine ray")
    report = index_now(_context(args), args.paths, rebuild=args.rebuild, args=args)
    if args.json:
        _print_json(asdict(report))
    else:
        print(run_summary(report))
    return 0


def cmd_watch(args) -> int:
    from klein_app.index.watcher import Watcher

    ctx = _context(args)
    if not ctx.settings.folders:
        raise UserError(NO_FOLDERS)
    bar = _progress(args)

    def on_event(ev) -> None:
        if args.json:
            if ev.kind == "progress":
                return
            obj = {"event": ev.kind, "message": ev.message, "time": time.time()}
            if ev.report is not None:
                obj["report"] = asdict(ev.report)
            print(json.dumps(obj, ensure_ascii=False), flush=True)
        elif ev.kind == "progress":
            if bar is not None and ev.progress is not None and ev.progress.phase != "done":
                bar(ev.progress)
        else:
            if bar is not None:
                bar.clear()
            stream = sys.stderr if ev.kind in ("error", "polling", "folder-missing") else sys.stdout
            print(f"[{time.strftime('%H:%M:%S')}] {ev.message}", file=stream, flush=True)

    _ = ctx.index_model  # a model problem shows now; a damaged index is repaired by the watcher's first pass
    watcher = Watcher(ctx, on_event=on_event, force_polling=args.polling)
    watcher.start()
    try:
        _wait_until_interrupted()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        if bar is not None:
            bar.close()
    return 0


def _wait_until_interrupted() -> None:
    while True:
        time.sleep(0.5)


def collect_status(ctx, service: dict | None = None) -> dict:
    """What `status` shows, as plain data (the TUI's folder screen can use it too). `service`: what the running
    service says of itself, when it runs this; else whether one runs for this index (looked up, not asked)."""
    from klein_app.index.folders import folder_rollup
    from klein_app.index.store import active_generation, read_pointer
    from klein_app.logs import log_file

    store = ctx.reader_store()
    active = active_generation(ctx.paths.data_dir) or {}
    _record, pointer_problem = read_pointer(ctx.paths.data_dir)
    problems = (
        [f"{pointer_problem}; `klein-search index` or `klein-search doctor` repairs it"] if pointer_problem else []
    )
    rows = store.list_files() if store is not None else []
    folders = [
        {"path": r.path, "exists": r.exists, "files": r.files, "skipped": r.skipped, "chunks": r.chunks}
        for r in folder_rollup(ctx.settings.folders, rows)
    ]
    skipped = [
        {"path": r["path"], "status": r["status"], "reason": r["skip_reason"]} for r in rows if r["status"] != "indexed"
    ]
    configured = _configured_fingerprint(ctx)
    return {
        "config_file": str(ctx.paths.config_file),
        "data_dir": str(ctx.paths.data_dir),
        "log_file": str(log_file(ctx.paths.data_dir)),
        "folders": folders,
        "files": sum(1 for r in rows if r["status"] == "indexed"),
        "chunks": store.count_chunks() if store is not None else 0,
        "skipped": skipped,
        "model": {
            "configured": ctx.settings.model or "bundled",
            "name": active.get("model_name"),
            "fingerprint": active.get("fingerprint"),
            "dim": active.get("dim"),
            "rebuild_pending": bool(configured and active and configured != active.get("fingerprint")),
        },
        "chunk_tokens": ctx.settings.chunk_tokens,
        "overlap_tokens": ctx.settings.overlap_tokens,
        "disk_bytes": store.disk_bytes() if store is not None else 0,
        "problems": problems,
        "service": service if service is not None else _service_lookup(ctx),
    }


def _service_lookup(ctx) -> dict:
    from klein_app.server.discovery import RuntimeDirError, find_service, token_file

    try:
        info = find_service(ctx.paths.data_dir)
        tokens = str(token_file())
    except (OSError, RuntimeDirError):
        return {"running": False, "token_file": None}
    if info is None:
        return {"running": False, "token_file": tokens}
    return {"running": True, "pid": info.pid, "url": info.url, "token_file": info.token_file}


def _service_line(service: dict, *, inside: bool) -> str:
    if inside:
        return f"service  {service['url']} (pid {service['pid']}): this command ran in it"
    if service.get("running"):
        return f"service  {service['url']} (pid {service['pid']}) runs, but this command ran in-process"
    return "service  not running: commands run in-process (`klein-search serve` keeps the index warm)"


def _configured_fingerprint(ctx) -> str | None:
    """The configured model's fingerprint from its klein.json, without loading torch."""
    from klein_app.modelcard import model_folder
    from klein_model.errors import ModelLoadError
    from klein_model.folder import read_klein_info

    folder = model_folder(ctx.settings.model)
    try:
        return read_klein_info(folder).fingerprint if folder else None
    except ModelLoadError as exc:  # status still answers; the model problem shows when it is used
        log.info("cannot read the configured model's card: %s", exc)
        return None


def cmd_status(args) -> int:
    ctx = _context(args)
    service = getattr(args, "service", None)
    st = collect_status(ctx, service=service.describe() if service is not None else None)
    if args.json:
        _print_json(st)
        return 0
    print(f"config   {st['config_file']}")
    print(f"index    {st['data_dir']}  ({human_bytes(st['disk_bytes'])})")
    print(f"log      {st['log_file']}")
    m = st["model"]
    model_line = f"model    {m['name'] or m['configured']}"
    if m["fingerprint"]:
        model_line += f"  [{m['fingerprint'][:12]}, {m['dim']}-d]"
    if m["rebuild_pending"]:
        model_line += "  (model changed: run `klein-search index` to rebuild)"
    print(model_line)
    print(f"chunks   {st['chunk_tokens']} tokens, overlap {st['overlap_tokens']}")
    print(_service_line(st["service"], inside=service is not None))
    if not st["folders"]:
        print("folders  none (add one with `klein-search add PATH`)")
    for f in st["folders"]:
        state = "" if f["exists"] else "  MISSING"
        print(f"folder   {f['path']}: {f['files']} files, {f['chunks']} chunks, {f['skipped']} skipped{state}")
    print(f"total    {st['files']} files, {st['chunks']} chunks, {len(st['skipped'])} skipped")
    for problem in st["problems"]:
        print(f"problem  {problem}")
    for s in st["skipped"][:50]:
        print(f"  skipped {s['path']!s}: {s['reason']}")
    if len(st["skipped"]) > 50:
        print(f"  … and {len(st['skipped']) - 50} more (`klein-search files --skipped`)")
    return 0


def file_rows(ctx, *, skipped: bool = False) -> list[dict]:
    """The `files` rows (`files --json`, `GET /files`)."""
    store = ctx.reader_store()
    rows = store.list_files() if store is not None else []
    if skipped:
        rows = [r for r in rows if r["status"] != "indexed"]
    return rows


def cmd_files(args) -> int:
    rows = file_rows(_context(args), skipped=args.skipped)
    if args.json:
        _print_json(rows)
        return 0
    for r in rows:
        path = r["path"].replace("\n", "\\n")
        if r["status"] == "indexed":
            print(f"{r['n_chunks']:6d}  {r['sha256'][:12]}  {path}")
        else:
            print(f"{'-':>6}  {r['status']:<12}  {path}  ({r['skip_reason']})")
    if not rows and not args.json:
        print("no files in the index", file=sys.stderr)
    return 0
