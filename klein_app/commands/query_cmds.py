"""Query subcommands: `search`, `similar`, `dupes` and `clusters`, each with --json.

Thin: parse, call `klein_app.queries`, print. Errors the user can fix become one-line UserErrors.
"""

from __future__ import annotations

import json
import sys
import time

from klein_app.errors import UsageError, UserError
from klein_app.humanize import human_bytes, plural
from klein_app.search_modes import DEFAULT_MODE, MODES


def register(subparsers) -> None:
    p = subparsers.add_parser("search", help="find files by meaning and by words")
    p.add_argument("query", nargs="*", metavar="QUERY", help="what to look for (words are joined)")
    p.add_argument("-k", type=int, default=10, metavar="N", help="how many files to show (default 10)")
    p.add_argument(
        "--mode", choices=MODES, default=DEFAULT_MODE, help="hybrid (default) fuses vector and full-text rankings"
    )
    p.add_argument("--path", metavar="GLOB", help="only paths matching GLOB (e.g. 'notes/**', '*.md')")
    p.add_argument("--ext", metavar="EXTS", help="only these extensions, comma separated (e.g. md,py)")
    p.add_argument("--since", metavar="DATE", help="only files modified since DATE (2024-05-01, 36h, 7d, 2w)")
    p.add_argument(
        "--queries",
        metavar="FILE",
        help="batch: one query per line ('-' for stdin); with --json prints one JSON line per query",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = subparsers.add_parser("similar", help="files closest in meaning to a given file")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-k", type=int, default=10, metavar="N", help="how many files to show (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_similar)

    p = subparsers.add_parser("dupes", help="files (or passages) that share most of their text")
    p.add_argument(
        "--threshold",
        default=None,
        metavar="SHARE",
        help="share of a file's text that must also be in the other, 0-1 or a percentage "
        "(default 0.8, i.e. 80%%; 1.0: identical files only); each file must share at least half",
    )
    p.add_argument(
        "--level",
        choices=("file", "chunk"),
        default="file",
        help="whole files (default) or passages copied between files",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_dupes)

    p = subparsers.add_parser("clusters", help="group the indexed files by meaning")
    p.add_argument("-n", type=int, default=None, metavar="N", help="number of clusters (default: chosen)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same index + seed = same clusters)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_clusters)


# --- plumbing --------------------------------------------------------------------------------------


def _context(args):
    """The service's warm context when the command runs inside it (klein_app/server/forward.py), else a new one."""
    if getattr(args, "context", None) is not None:
        return args.context
    from klein_app.context import open_context

    return open_context(args.db)


def _reader_store(args):
    """The store queries read (no model loaded), or None when nothing was ever indexed."""
    return _context(args).reader_store()


def _print_json(payload) -> None:
    print(json.dumps(payload, ensure_ascii=False))


def _fmt_time(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


# --- search ----------------------------------------------------------------------------------------


def cmd_search(args) -> int:
    from klein_app.queries.filters import build_filters
    from klein_app.queries.search import check_query

    # every argument is checked before the model and the index load (seconds), so mistakes answer at once
    if args.queries is None and not args.query:
        raise UsageError("give a query, or --queries FILE")
    if args.queries is not None and args.query:
        raise UsageError("give either a query or --queries FILE, not both")
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    build_filters(args.path, args.ext, args.since)
    if args.queries is not None:
        queries = _read_queries(args.queries)
        if not queries:
            raise UsageError(f"{args.queries} holds no queries (one per line)")
    else:
        queries = None
        check_query(" ".join(args.query), args.mode)
    ctx = _context(args)
    if queries is not None:
        return _search_batch(args, ctx, queries)
    return _search_one(args, ctx, " ".join(args.query))


def _read_queries(name: str) -> list[str]:
    try:
        if name == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(name, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
    except OSError as exc:
        raise UserError(f"cannot read {name}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{name} is not UTF-8 text: {exc.reason}") from exc
    return [line for line in lines if line.strip()]


def run_search(
    ctx,
    query: str,
    *,
    k: int = 10,
    mode: str = DEFAULT_MODE,
    path: str | None = None,
    ext: str | None = None,
    since: str | None = None,
):
    """One search of the store queries read, the query embedded by the context's query encoder (numpy, no
    torch): `search` here, `GET /search` in the service."""
    from klein_app.queries import search
    from klein_app.queries.errors import NOTHING_INDEXED, EmptyIndexError

    store = ctx.reader_store()
    if store is None:
        raise EmptyIndexError(NOTHING_INDEXED)
    model = None if mode == "text" else ctx.query_encoder()
    return search(store, model, query, k=k, mode=mode, path_glob=path, exts=ext, since=since)


def batch_record(ctx, query: str, **options) -> dict:
    """One line of `search --queries --json`, one item of `POST /search`: a bad query gets an error, not a stop."""
    return _batch_record(query, *_batch_search(ctx, query, options))


def _batch_search(ctx, query: str, options: dict):
    from klein_app.queries.errors import EmptyQueryError

    try:
        return run_search(ctx, query, **options), None
    except EmptyQueryError as exc:  # one bad line must not stop a batch
        return [], str(exc)


def search_record(query: str, results) -> dict:
    """The --json form of one query's answer: `search --json`, each line of `--queries`, `GET /search`."""
    from klein_app.queries.results import no_good_match

    return {"query": query, "no_good_match": no_good_match(results), "results": [r.to_json() for r in results]}


def _batch_record(query: str, results, error: str | None) -> dict:
    record = search_record(query, results)
    if error:
        record["error"] = error
    return record


def _options(args) -> dict:
    return {"k": args.k, "mode": args.mode, "path": args.path, "ext": args.ext, "since": args.since}


def _search_one(args, ctx, query: str) -> int:
    results = run_search(ctx, query, **_options(args))
    if args.json:
        _print_json(search_record(query, results))
        return 0
    if not results:
        print(_no_results_message(args, ctx.reader_store()), file=sys.stderr)
        return 0
    _print_results(results)
    return 0


def _search_batch(args, ctx, queries: list[str]) -> int:
    for query in queries:
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
    from klein_app.queries.results import no_good_match

    if no_good_match(results):
        print("no good match: nothing is close to the query; the nearest files follow")
    for rank, r in enumerate(results, start=1):
        more = f"  (+{r.other_hits} more in file)" if r.other_hits else ""
        weak = "  (weak)" if r.weak else ""
        same = f"  (same text: {', '.join(r.copies)})" if r.copies else ""
        print(f"{rank:2d}. {r.path}:{r.start_line}-{r.end_line}  {r.score:.3f}{weak}{more}{same}")
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
    from klein_app.queries.errors import NOTHING_INDEXED, EmptyIndexError

    if args.k < 1:
        raise UsageError("-k must be at least 1")
    store = _reader_store(args)
    if store is None:
        raise EmptyIndexError(NOTHING_INDEXED)
    results = similar(store, args.path, k=args.k)
    if args.json:
        _print_json([r.to_json() for r in results])
        return 0
    if not results:
        print("no other files in the index", file=sys.stderr)
    for rank, r in enumerate(results, start=1):
        print(f"{rank:2d}. {r.score:.3f}  {r.path}")
    return 0


# --- dupes -----------------------------------------------------------------------------------------


def _share(value: str) -> float:
    """A share of text: 0.9, or 90%."""
    text = value.strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"--threshold is a share of text, e.g. 0.9 or 90%, not {value!r}") from None
    if not 0.0 < share <= 1.0:
        raise UsageError(f"--threshold is a share of text in (0, 1] (or 1-100%), not {value}")
    return share


def cmd_dupes(args) -> int:
    from klein_app.queries import duplicates
    from klein_app.queries.results import DEFAULT_DUPLICATE_SHARE

    threshold = DEFAULT_DUPLICATE_SHARE if args.threshold is None else _share(args.threshold)
    store = _reader_store(args)
    if store is None:
        return _nothing(args)
    groups = duplicates(store, threshold=threshold, level=args.level)
    if args.json:
        _print_json([g.to_json() for g in groups])
        return 0
    if not groups:
        print("no duplicates found", file=sys.stderr)
        return 0
    total = sum(g.wasted_bytes for g in groups)
    print(f"{plural(len(groups), 'group')}, {human_bytes(total)} in redundant copies")
    print("(after each member: the share of its text found in the first, and of the first's text found in it)")
    for g in groups:
        what = plural(len(g.items), "passage" if g.level == "chunk" else "file")
        print(f"\n{what}: {g.description}; {human_bytes(g.wasted_bytes)} redundant")
        for item in g.items:
            where = f":{item.start_line}-{item.end_line}" if item.chunk_index is not None else ""
            print(f"  {item.shares_note:<16} {item.path}{where}  ({human_bytes(item.size)}, {_fmt_time(item.mtime)})")
    return 0


# --- clusters --------------------------------------------------------------------------------------


def cmd_clusters(args) -> int:
    from klein_app.queries import cluster_files

    if args.n is not None and args.n < 1:
        raise UsageError("-n must be at least 1")
    store = _reader_store(args)
    if store is None:
        return _nothing(args)
    result = cluster_files(store, n=args.n, seed=args.seed)
    if args.json:
        _print_json([c.to_json() for c in result.clusters])
        return 0
    if not result.clusters:
        print("the index is empty: nothing to cluster", file=sys.stderr)
        return 0
    if result.chosen_by == "given":
        how = ""
    elif result.chosen_by == "capped":
        how = f" (asked for {args.n}; the index holds only {result.k} distinct files)"
    else:
        how = f" (number chosen by {result.chosen_by})"
    print(f"{result.k} clusters{how}")
    for c in result.clusters:
        print(f"\n#{c.id}  {plural(c.size, 'file')}  {c.label}")
        print(f"    central: {c.central_path}")
    return 0


def _nothing(args) -> int:
    """Nothing indexed: "nothing found" is an answer, not an error: exit 0, [] with --json, else the message."""
    from klein_app.queries.errors import NOTHING_INDEXED

    if args.json:
        _print_json([])
    else:
        print(NOTHING_INDEXED, file=sys.stderr)
    return 0
