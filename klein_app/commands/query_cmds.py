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


def open_store(args):
    """The store queries read, without loading a model when the active index says which one it is."""
    from klein_app.context import open_context
    from klein_app.index.store import Store, active_generation

    ctx = open_context(args.db)
    active = active_generation(ctx.data_dir)
    if active and active.get("fingerprint") and active.get("dim"):
        try:
            return Store.open(ctx.data_dir, int(active["dim"]), active["fingerprint"], create=False)
        except Exception:
            pass  # fall back to the configured model's index
    return ctx.store


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
    from klein_app.cli import UserError
    from klein_app.context import open_context

    if args.queries is None and not args.query:
        raise UserError("give a query, or --queries FILE")
    if args.queries is not None and args.query:
        raise UserError("give either a query or --queries FILE, not both")
    if args.k < 1:
        raise UserError("-k must be at least 1")
    with user_errors():
        ctx = open_context(args.db)
        model, store = ctx.model, ctx.store
        if args.queries is not None:
            return _search_batch(args, store, model)
        return _search_one(args, store, model, " ".join(args.query))


def _run_search(args, store, model, query: str):
    from klein_app.queries import search

    return search(store, model, query, k=args.k, mode=args.mode, path_glob=args.path, exts=args.ext, since=args.since)


def _search_one(args, store, model, query: str) -> int:
    results = _run_search(args, store, model, query)
    if args.json:
        _print_json(_search_record(query, results))
        return 0
    if not results:
        print(_no_results_message(args, store), file=sys.stderr)
        return 0
    _print_results(results)
    return 0


def _search_record(query: str, results) -> dict:
    """The --json form of one query's answer (one line per query in a batch)."""
    from klein_app.queries.results import no_good_match

    return {"query": query, "no_good_match": no_good_match(results), "results": [r.to_json() for r in results]}


def _search_batch(args, store, model) -> int:
    from klein_app.cli import UserError
    from klein_app.queries.errors import EmptyQueryError

    try:
        source = sys.stdin if args.queries == "-" else open(args.queries, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {args.queries}: {exc.strerror or exc}") from exc
    with source:
        for line in source:
            query = line.rstrip("\n")
            if not query.strip():
                continue
            try:
                results = _run_search(args, store, model, query)
                error = None
            except EmptyQueryError as exc:  # one bad line must not stop a batch
                results, error = [], str(exc)
            if args.json:
                record = _search_record(query, results)
                if error:
                    record["error"] = error
                _print_json(record)
                sys.stdout.flush()
            else:
                print(f"## {query}")
                if error:
                    print(f"   ({error})")
                _print_results(results)
                print()
    return 0


def _print_results(results) -> None:
    from klein_app.queries.results import no_good_match

    if no_good_match(results):
        print("no good match: nothing is close to the query; the nearest files follow")
    for rank, r in enumerate(results, start=1):
        more = f"  (+{r.other_hits} more in file)" if r.other_hits else ""
        weak = "  (weak)" if r.weak else ""
        print(f"{rank:2d}. {r.path}:{r.start_line}-{r.end_line}  {r.score:.3f}{weak}{more}")
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
