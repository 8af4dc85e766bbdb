"""Query subcommands: `search`, `similar`, `dupes` and `clusters`, each with --json.

Thin: parse, call `klein_app.queries`, print. Errors the user can fix become one-line UserErrors.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time


def register(subparsers) -> None:
    p = subparsers.add_parser("search", help="find files by meaning and by words")
    p.add_argument("query", nargs="*", metavar="QUERY", help="what to look for (words are joined)")
    p.add_argument("-k", type=int, default=10, metavar="N", help="how many files to show (default 10)")
    p.add_argument("--mode", choices=("hybrid", "vector", "text"), default="hybrid",
                   help="hybrid (default) fuses vector and full-text rankings")
    p.add_argument("--path", metavar="GLOB", help="only paths matching GLOB (e.g. 'notes/**', '*.md')")
    p.add_argument("--ext", metavar="EXTS", help="only these extensions, comma separated (e.g. md,py)")
    p.add_argument("--since", metavar="DATE", help="only files modified since DATE (2024-05-01, 36h, 7d, 2w)")
    p.add_argument("--queries", metavar="FILE",
                   help="batch: one query per line ('-' for stdin); with --json prints one JSON line per query")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = subparsers.add_parser("similar", help="files closest in meaning to a given file")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-k", type=int, default=10, metavar="N", help="how many files to show (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_similar)

    p = subparsers.add_parser("dupes", help="exact and near-duplicate files or passages")
    p.add_argument("--threshold", type=float, default=0.92, metavar="COS",
                   help="cosine similarity for near-duplicates (default 0.92; 1.0: identical files only)")
    p.add_argument("--level", choices=("file", "chunk"), default="file",
                   help="whole files (default) or passages copied between files")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_dupes)

    p = subparsers.add_parser("clusters", help="group the indexed files by meaning")
    p.add_argument("-n", type=int, default=None, metavar="N", help="number of clusters (default: chosen)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same index + seed = same clusters)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_clusters)


# --- plumbing --------------------------------------------------------------------------------------


@contextlib.contextmanager
def user_errors():
    """Turn the errors a user can cause (bad input, no model, unreadable index) into one-line UserErrors."""
    import klein_model
    from klein_app.cli import UserError
    from klein_app.index.store import StoreError
    from klein_app.queries.errors import QueryError

    try:
        yield
    except (QueryError, StoreError, klein_model.ModelLoadError) as exc:
        raise UserError(str(exc)) from exc


def query_context(args):
    """The service's warm context when the command runs inside it, else a fresh one."""
    ctx = getattr(args, "context", None)
    if ctx is not None:
        return ctx
    from klein_app.context import open_context

    return open_context(args.db)


def open_store(args):
    """The store queries read, without loading a model."""
    from klein_app.queries.errors import EmptyIndexError

    store = query_context(args).reader_store()
    if store is None:
        raise EmptyIndexError("the index is empty: add a folder with `klein-search add PATH`, then index it")
    return store


def _print_json(payload) -> None:
    print(json.dumps(payload, ensure_ascii=False))


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _fmt_time(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


# --- search ----------------------------------------------------------------------------------------


def cmd_search(args) -> int:
    from klein_app.errors import UsageError

    # Checked before anything heavy is imported: a mistake is reported at once.
    if args.queries is None and not " ".join(args.query).strip():
        raise UsageError("the query is empty: give a query, or --queries FILE")
    if args.queries is not None and args.query:
        raise UsageError("give either a query or --queries FILE, not both")
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    with user_errors():
        ctx = query_context(args)
        if args.queries is not None:
            return _search_batch(args, ctx)
        return _search_one(args, ctx, " ".join(args.query))


def run_search(ctx, query: str, *, k: int = 10, mode: str = "hybrid", path: str | None = None,
               ext: str | None = None, since: str | None = None):
    """One search on the store queries read, the query embedded by the context's query encoder (no torch)."""
    from klein_app.queries import search
    from klein_app.queries.errors import EmptyIndexError

    store = ctx.reader_store()
    if store is None:
        raise EmptyIndexError("the index is empty: add a folder with `klein-search add PATH`, then index it")
    model = None if mode == "text" else ctx.query_encoder()
    return search(store, model, query, k=k, mode=mode, path_glob=path, exts=ext, since=since)


def batch_record(ctx, query: str, **options) -> dict:
    """One line of `search --queries --json` (and one item of `POST /search`): a bad query gets an error, not a stop."""
    return _batch_record(query, *_batch_search(ctx, query, options))


def _batch_search(ctx, query: str, options: dict):
    from klein_app.queries.errors import EmptyQueryError

    try:
        return run_search(ctx, query, **options), None
    except EmptyQueryError as exc:
        return [], str(exc)


def _batch_record(query: str, results, error: str | None) -> dict:
    record = {"query": query, "results": [r.to_json() for r in results]}
    if error:
        record["error"] = error
    return record


def _options(args) -> dict:
    return {"k": args.k, "mode": args.mode, "path": args.path, "ext": args.ext, "since": args.since}


def _search_one(args, ctx, query: str) -> int:
    results = run_search(ctx, query, **_options(args))
    if args.json:
        _print_json([r.to_json() for r in results])
        return 0
    if not results:
        print(_no_results_message(args, ctx.reader_store()), file=sys.stderr)
        return 0
    _print_results(results)
    return 0


def _search_batch(args, ctx) -> int:
    from klein_app.cli import UserError

    try:
        source = sys.stdin if args.queries == "-" else open(args.queries, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {args.queries}: {exc.strerror or exc}") from exc
    with source:
        for line in source:
            query = line.rstrip("\n")
            if not query.strip():
                continue
            results, error = _batch_search(ctx, query, _options(args))
            if args.json:
                _print_json(_batch_record(query, results, error))
                sys.stdout.flush()
            else:
                print(f"## {query}")
                if error:
                    print(f"   ({error})")
                _print_results(results)
                print()
    return 0


def _print_results(results) -> None:
    for rank, r in enumerate(results, start=1):
        more = f"  (+{r.other_hits} more in file)" if r.other_hits else ""
        print(f"{rank:2d}. {r.path}:{r.start_line}-{r.end_line}  {r.score:.3f}{more}")
        print(f"    {r.snippet.marked()}")


def _no_results_message(args, store) -> str:
    from klein_app.queries.search import count_matching_files

    if args.path or args.ext or args.since:
        if count_matching_files(store, path_glob=args.path, exts=args.ext, since=args.since) == 0:
            return "no results: no indexed file matches the --path/--ext/--since filters"
    return "no results"


# --- similar ---------------------------------------------------------------------------------------


def cmd_similar(args) -> int:
    from klein_app.queries import similar

    with user_errors():
        store = open_store(args)
        results = similar(store, args.path, k=max(0, args.k))
    if args.json:
        _print_json([r.to_json() for r in results])
        return 0
    if not results:
        print("no other files in the index", file=sys.stderr)
    for rank, r in enumerate(results, start=1):
        print(f"{rank:2d}. {r.score:.3f}  {r.path}")
    return 0


# --- dupes -----------------------------------------------------------------------------------------


def cmd_dupes(args) -> int:
    from klein_app.cli import UserError
    from klein_app.queries import duplicates

    if not 0.0 < args.threshold <= 1.0:
        raise UserError("--threshold must be a cosine similarity in (0, 1]")
    with user_errors():
        store = open_store(args)
        groups = duplicates(store, threshold=args.threshold, level=args.level)
    if args.json:
        _print_json([g.to_json() for g in groups])
        return 0
    if not groups:
        print("no duplicates found", file=sys.stderr)
        return 0
    total = sum(g.wasted_bytes for g in groups)
    print(f"{_plural(len(groups), 'group')}, {_fmt_bytes(total)} in redundant copies")
    for g in groups:
        what = _plural(len(g.items), "passage" if g.level == "chunk" else "file")
        print(f"\n{g.kind:5s}  {what}, similarity {g.similarity:.3f}, {_fmt_bytes(g.wasted_bytes)} redundant")
        for item in g.items:
            where = f":{item.start_line}-{item.end_line}" if item.chunk_index is not None else ""
            print(f"  {item.path}{where}  ({_fmt_bytes(item.size)}, {_fmt_time(item.mtime)})")
    return 0


# --- clusters --------------------------------------------------------------------------------------


def cmd_clusters(args) -> int:
    from klein_app.cli import UserError
    from klein_app.queries import cluster_files

    if args.n is not None and args.n < 1:
        raise UserError("-n must be at least 1")
    with user_errors():
        store = open_store(args)
        result = cluster_files(store, n=args.n, seed=args.seed)
    if args.json:
        _print_json([c.to_json() for c in result.clusters])
        return 0
    if not result.clusters:
        print("the index is empty: nothing to cluster", file=sys.stderr)
        return 0
    how = "" if result.chosen_by == "given" else f" (number chosen by {result.chosen_by})"
    print(f"{result.k} clusters{how}")
    for c in result.clusters:
        print(f"\n#{c.id}  {_plural(c.size, 'file')}  {c.label}")
        print(f"    central: {c.central_path}")
    return 0
