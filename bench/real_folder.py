"""Answer quality on a real folder: search, near-duplicates, clusters and ANN scores on documentation trees.

    python bench/real_folder.py                         # the nine-package tree from /usr/share/doc
    python bench/real_folder.py --source DIR --packages a,b,c --work runs/real-folder
    python bench/real_folder.py --only search           # one part: search, dupes, clusters or ann
    python bench/real_folder.py --data bench/real_folder_dev.json --work runs/real-folder-dev   # the tuning tree

Builds, in --work, a copy of the packages' documentation trees (each package's man pages too, where dpkg lists
them), plants near-duplicates of real files in it (edited, reformatted, truncated, extended, and converted to
Markdown, HTML and DOCX), indexes it with the app's indexer (the bundled model, or --model) and reuses that
index on later runs (only changed files are read again). Files whose text is larger than --max-file-mb are
skipped by the app's own limit: on a 2-core machine git's 3 MB changelog alone would take most of an hour. The queries, their judgments and the planted copies
are in bench/real_folder.json; queries whose judged files are missing from the tree are left out and counted.

It prints:
  search     success@1, success@5 and MRR@10 of `klein_app.queries.search` per mode (whatever search does), for
             judged questions and, separately, judged two- or three-word keyword queries
  dupes      duplicate pairs reported by `klein_app.queries.duplicates` (each member against its group's first
             file); precision, where a pair is right when the two files share most of their words (difflib
             alignment, >= 50% of each file); recall of the planted copies; pairs within a same-topic family
             (release notes, changelogs, per-command pages) and the wrong pairs themselves
  clusters   `klein_app.queries.cluster_files`: count, V-measure (and homogeneity, completeness) against the
             package each file belongs to, and the labels
  ann        the chunk table replicated (vectors jittered) past the ANN threshold in a copy of the index, the
             IVF index built, and vector-mode results compared with their stored vectors: each hit's cosine
             with the exact cosine, its score with the exact blend of best chunk and opening
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PACKAGES = "git,bash,coreutils,wget,curl,openssh-client,apt,tmux,python3-pip"
WORD = re.compile(r"[^\W_]+")
# A pair within one of these families is "same topic", whatever the judge says about it.
FAMILIES = [
    ("release notes", re.compile(r"(^|/)RelNotes/|(^|/)(changelog|NEWS|CHANGES)[^/]*$", re.IGNORECASE)),
    ("per-command pages", re.compile(r"/man/[^/]+$|/(cli|reference)/pip_[^/]+$")),
    ("licences", re.compile(r"(^|/)(copyright|COPYING|LICEN[CS]E)[^/]*$", re.IGNORECASE)),
]


# --- the tree ------------------------------------------------------------------------------------------


def build_tree(source: Path, packages: list[str], tree: Path, with_man: bool) -> dict[str, int]:
    """Copy each package's folder (and man pages) into tree/<package>/; returns files per package."""
    counts = {}
    for package in packages:
        src = source / package
        if not src.is_dir():
            print(f"  (no {src}: package left out)", file=sys.stderr)
            continue
        dest = tree / package
        n = 0
        for root, _dirs, names in os.walk(src):
            for name in names:
                path = Path(root, name)
                if not path.is_file():  # dangling links
                    continue
                target = dest / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                n += 1
        if with_man:
            for page in man_pages(package):
                target = dest / "man" / page.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(page, target)
                n += 1
        counts[package] = n
    return counts


def man_pages(package: str) -> list[Path]:
    """The package's English man pages, as dpkg lists them (none where dpkg is missing)."""
    try:
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    pages = []
    for line in listed.splitlines():
        if re.match(r"^/usr/share/man/man\d/", line) and Path(line).is_file():
            pages.append(Path(line))
    return sorted(pages)


def read_text(path: Path) -> str:
    """A file's text as the app reads it (so .gz, .docx and .html compare by their words)."""
    from klein_app.sources.readers import read_document

    return read_document(str(path), path.read_bytes(), max_unpacked=64 << 20).text


# Text of our own for edited and extended copies (never taken from the corpus).
OWN_SENTENCES = [
    "This copy was kept for the team's internal wiki and may lag behind the original.",
    "Ask the operations channel before changing any of the defaults described here.",
    "We tried this on the build servers in March and it worked without surprises.",
    "Remember that the staging machines use a different proxy than the office network.",
    "A short summary for newcomers: read the first two sections, skim the rest.",
    "The examples below were checked again after the last upgrade of the base image.",
    "Local policy: record every change to this procedure in the change log of the team.",
    "If something here contradicts the official manual, the manual wins.",
]


def paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


def plant(kind: str, text: str, rng: random.Random) -> tuple[str, bytes]:
    """(extension, bytes) of a near-duplicate of `text` of the given kind."""
    paras = paragraphs(text)
    if kind == "edited":
        # rewrite a sentence in every fifth paragraph, drop one paragraph, insert one of our own
        out = []
        drop = len(paras) // 2 if len(paras) > 6 else -1
        for i, p in enumerate(paras):
            if i == drop:
                continue
            if i % 5 == 2:
                p = p + " " + rng.choice(OWN_SENTENCES)
            out.append(p)
            if i == len(paras) // 3:
                out.append(" ".join(rng.sample(OWN_SENTENCES, 3)))
        return ".txt", ("\n\n".join(out) + "\n").encode()
    if kind == "reformatted":
        out = [textwrap.fill(" ".join(p.split()), width=58) for p in paras]
        return ".txt", ("\r\n\r\n".join(o.replace("\n", "\r\n") for o in out) + "\r\n").encode()
    if kind == "truncated":
        words = sum(len(p.split()) for p in paras)
        out, seen = [], 0
        for p in paras:
            if seen > 0.7 * words:
                break
            out.append(p)
            seen += len(p.split())
        return ".txt", ("\n\n".join(out) + "\n").encode()
    if kind == "extended":
        extra = [" ".join(rng.sample(OWN_SENTENCES, 4)) for _ in range(3)]
        return ".txt", ("\n\n".join(paras + ["Local notes"] + extra) + "\n").encode()
    if kind == "md":
        out = [f"## {p.strip()}" if _heading(p) else p for p in paras]
        return ".md", ("# Notes\n\n" + "\n\n".join(out) + "\n").encode()
    if kind == "html":
        import html

        body = "\n".join(
            f"<h2>{html.escape(p.strip())}</h2>" if _heading(p) else f"<p>{html.escape(p)}</p>" for p in paras
        )
        return (
            ".html",
            f"<!doctype html><html><head><title>notes</title></head><body>\n{body}\n</body></html>\n".encode(),
        )
    if kind == "docx":
        import io

        import docx

        document = docx.Document()
        for p in paras:
            if _heading(p):
                document.add_heading(p.strip(), level=2)
            else:
                document.add_paragraph(" ".join(p.split()))
        buf = io.BytesIO()
        document.save(buf)
        return ".docx", buf.getvalue()
    raise ValueError(f"unknown planted kind {kind}")


def _heading(p: str) -> bool:
    return "\n" not in p.strip() and len(p.split()) <= 6 and not p.rstrip().endswith((".", ":", ","))


def plant_copies(tree: Path, planted: list[dict]) -> list[tuple[str, str]]:
    """Write the planted copies under <package>/planted/; (source, copy) relative paths."""
    pairs = []
    for n, spec in enumerate(planted):
        source = tree / spec["source"]
        if not source.is_file():
            print(f"  (planted source missing: {spec['source']})", file=sys.stderr)
            continue
        ext, data = plant(spec["kind"], read_text(source), random.Random(n))
        package = spec["source"].split("/")[0]
        stem = Path(spec["source"]).name.removesuffix(".gz").replace(".", "-")
        copy = tree / package / "planted" / f"{stem}.{spec['kind']}{ext}"
        copy.parent.mkdir(parents=True, exist_ok=True)
        if not copy.exists() or copy.read_bytes() != data:
            copy.write_bytes(data)
        pairs.append((spec["source"], str(copy.relative_to(tree))))
    return pairs


# --- the index -----------------------------------------------------------------------------------------


def open_index(work: Path, tree: Path, model: str | None, max_file_mb: float, chunk_tokens: int | None = None):
    from klein_app.context import AppContext
    from klein_app.index.indexer import index_paths
    from klein_app.index.progress import progress_reporter
    from klein_app.settings import Settings, resolve_paths

    chunking = {} if chunk_tokens is None else {"chunk_tokens": chunk_tokens, "overlap_tokens": chunk_tokens // 8}
    settings = Settings(folders=[str(tree.resolve())], model=model, max_file_mb=max_file_mb, **chunking)
    ctx = AppContext(resolve_paths(str(work / "db")), settings)
    ctx.save_settings()
    t0 = time.perf_counter()
    report = index_paths(ctx, progress=progress_reporter(sys.stderr))
    took = time.perf_counter() - t0
    print(
        f"index: {ctx.store.count_chunks()} chunks in {len(ctx.store.list_files())} files "
        f"({report.indexed} indexed, {report.skipped} skipped this run, {took:.0f} s)"
    )
    return ctx


def rel(path: str, tree: Path) -> str:
    try:
        return str(Path(path).relative_to(tree.resolve()))
    except ValueError:
        return path


# --- search --------------------------------------------------------------------------------------------


def bench_search(ctx, tree: Path, queries: list[dict], modes: list[str], kind: str) -> None:
    from klein_app.queries import search

    usable = [q for q in queries if all((tree / r).exists() for r in q["relevant"])]
    print(
        f"\nsearch, {kind}: {len(usable)} queries ({len(queries) - len(usable)} left out: judged files not in the tree)"
    )
    print(f"  {'mode':<8} {'success@1':>9} {'success@5':>9} {'MRR@10':>7} {'ms/query':>9}")
    misses = {}
    for mode in modes:
        s1 = s5 = rr = 0.0
        if usable:
            # untimed: the first query of a run reads the indices and openings, which would be charged to
            # whichever mode happens to run first
            search(ctx.store, ctx.model, usable[0]["query"], k=10, mode=mode)
        t0 = time.perf_counter()
        for q in usable:
            results = search(ctx.store, ctx.model, q["query"], k=10, mode=mode)
            ranks = [i for i, r in enumerate(results, start=1) if rel(r.path, tree) in q["relevant"]]
            first = ranks[0] if ranks else None
            s1 += first == 1
            s5 += first is not None and first <= 5
            rr += 1.0 / first if first else 0.0
            if first != 1:
                misses.setdefault(mode, []).append((q["query"], first, rel(results[0].path, tree) if results else "-"))
        n = max(1, len(usable))
        ms = (time.perf_counter() - t0) * 1000 / n
        print(f"  {mode:<8} {s1 / n:9.3f} {s5 / n:9.3f} {rr / n:7.3f} {ms:9.0f}")
    for mode, rows in misses.items():
        print(f"  {mode} not first ({len(rows)}):")
        for query, first, top in rows:
            print(f"    rank {first or '>10':>3}  {query!r}  (first: {top})")


# --- duplicates ----------------------------------------------------------------------------------------


def shared_share(a: str, b: str) -> tuple[float, float]:
    """The share of each text's words inside blocks the two texts have in common (difflib alignment)."""
    wa, wb = WORD.findall(a.casefold()), WORD.findall(b.casefold())
    if not wa or not wb:
        return 0.0, 0.0
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks() if block.size >= 3)
    return same / len(wa), same / len(wb)


def family(a: str, b: str) -> str | None:
    for name, pattern in FAMILIES:
        if pattern.search(a) and pattern.search(b):
            return name
    return None


def bench_dupes(ctx, tree: Path, planted_pairs: list[tuple[str, str]]) -> None:
    from klein_app.queries import duplicates

    t0 = time.perf_counter()
    groups = duplicates(ctx.store)
    took = time.perf_counter() - t0
    pairs = []
    for g in groups:
        paths = [rel(p, tree) for p in g.paths]
        pairs += [(paths[0], other) for other in paths[1:]]
    texts: dict[str, str] = {}

    def text(p: str) -> str:
        if p not in texts:
            texts[p] = read_text(tree / p)
        return texts[p]

    right, wrong, same_topic, same_topic_wrong = 0, [], {}, {}
    examples = {}
    for a, b in pairs:
        sa, sb = shared_share(text(a), text(b))
        fam = family(a, b)
        ok = min(sa, sb) >= 0.5
        if fam:
            same_topic[fam] = same_topic.get(fam, 0) + 1
            examples.setdefault(fam, (a, b, sa, sb))
            if not ok:
                same_topic_wrong[fam] = same_topic_wrong.get(fam, 0) + 1
        if ok:
            right += 1
        else:
            wrong.append((a, b, sa, sb))
    grouped = {}
    for n, g in enumerate(groups):
        for p in g.paths:
            grouped[rel(p, tree)] = n
    found = [(s, c) for s, c in planted_pairs if s in grouped and grouped.get(s) == grouped.get(c)]
    print(
        f"\ndupes: {len(groups)} groups, {len(pairs)} pairs (each member against its group's first file), {took:.1f} s"
    )
    print(
        f"  precision  {right / len(pairs) if pairs else 1.0:.3f}  ({right} of {len(pairs)} pairs share >= 50% of each file's words)"
    )
    print(
        f"  recall     {len(found) / len(planted_pairs) if planted_pairs else 0.0:.3f}  ({len(found)} of {len(planted_pairs)} planted copies grouped with their source)"
    )
    print(
        f"  same-topic pairs not sharing most of their text (wrong): {sum(same_topic_wrong.values())}"
        + "".join(f"; {k}: {v}" for k, v in sorted(same_topic_wrong.items()))
    )
    print(
        f"  same-topic pairs that do share most of their text (copies within a family): {sum(same_topic.values())}"
        + "".join(f"; {k}: {v}" for k, v in sorted(same_topic.items()))
    )
    for fam, (a, b, sa, sb) in sorted(examples.items()):
        print(f"    e.g. {fam}: {a}  ~  {b}  (difflib: {sa:.0%} / {sb:.0%} of the words shared)")
    kinds = {}
    for g in groups:
        kinds[g.kind] = kinds.get(g.kind, 0) + 1
    print("  groups by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for a, b, sa, sb in wrong[:15]:
        print(f"  wrong: {a}  ~  {b}  (shares {sa:.0%} / {sb:.0%})")
    for s, c in planted_pairs:
        if (s, c) not in found:
            print(f"  missed planted: {c}  (source {s})")


# --- clusters ------------------------------------------------------------------------------------------


def bench_clusters(ctx, tree: Path) -> None:
    from sklearn.metrics import homogeneity_completeness_v_measure

    from klein_app.queries import cluster_files

    t0 = time.perf_counter()
    result = cluster_files(ctx.store)
    took = time.perf_counter() - t0
    truth, found = [], []
    for c in result.clusters:
        for p in c.paths:
            truth.append(rel(p, tree).split("/")[0])
            found.append(c.id)
    h, c_, v = homogeneity_completeness_v_measure(truth, found)
    print(f"\nclusters: {result.k} (chosen by {result.chosen_by}), {took:.1f} s")
    print(f"  V-measure {v:.3f}  (homogeneity {h:.3f}, completeness {c_:.3f}) against the package")
    for c in result.clusters:
        packages = {}
        for p in c.paths:
            key = rel(p, tree).split("/")[0]
            packages[key] = packages.get(key, 0) + 1
        top = ", ".join(f"{k} {n}" for k, n in sorted(packages.items(), key=lambda kv: -kv[1])[:3])
        print(f"  #{c.id:<2} {c.size:4d} files  [{top}]  {c.label}")


# --- ANN against exact ---------------------------------------------------------------------------------


def bench_ann(ctx, work: Path, queries: list[dict], min_chunks: int) -> None:
    import lancedb
    import numpy as np
    import pyarrow as pa

    from klein_app.index import ann
    from klein_app.index.store import Store
    from klein_app.queries import search
    from klein_app.queries.openings import OPENING_SHARE
    from klein_app.queries.vectors import vector_matrix

    store = ctx.store
    copy_dir = work / "ann-db"
    stamp = f"{store.count_chunks()}:{min_chunks}"
    marker = copy_dir / "bench-stamp"
    if not (marker.exists() and marker.read_text() == stamp):
        shutil.rmtree(copy_dir, ignore_errors=True)
        shutil.copytree(ctx.data_dir, copy_dir)
        copied = Store.open(copy_dir, store.dim, store.fingerprint, create=False)
        table = copied.chunks_table.search().limit(None).to_arrow()
        rng = np.random.default_rng(0)
        n, copies = table.num_rows, 0
        batches = []
        while n * (copies + 1) < min_chunks:
            copies += 1
            vectors = vector_matrix(table)
            # distinct points from the same distribution: the stored vectors, jittered and renormalised
            noisy = vectors + rng.normal(0, 0.02, vectors.shape).astype(np.float32)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            paths = pa.array([f"{p}#copy{copies}" for p in table.column("path").to_pylist()])
            replica = table.set_column(table.schema.get_field_index("path"), "path", paths)
            replica = replica.set_column(
                replica.schema.get_field_index("vector"),
                "vector",
                pa.FixedSizeListArray.from_arrays(pa.array(noisy.reshape(-1)), vectors.shape[1]),
            )
            batches.append(replica)
        for replica in batches:
            copied.chunks_table.add(replica)
        ann.ensure_vector_index(copied)
        marker.write_text(stamp)
    copied = Store.open(copy_dir, store.dim, store.fingerprint, create=False)
    has_index = ann.vector_index(copied.chunks_table) is not None

    def stored_vector(path: str, chunk_index: int):
        where = f"path = '{path.replace(chr(39), chr(39) * 2)}' AND chunk_index = {chunk_index}"
        row = copied.chunks_table.search().where(where).select(["vector"]).limit(1).to_arrow()
        vector = vector_matrix(row)[0]
        return vector / np.linalg.norm(vector)

    cosine_diffs, score_diffs, top_same = [], [], 0
    for q in queries:
        results = search(copied, ctx.model, q["query"], k=10, mode="vector")
        qv = np.asarray(ctx.model.encode([q["query"]])[0], dtype=np.float32)
        qv /= np.linalg.norm(qv)
        exact = [float(stored_vector(r.path, r.chunk_index) @ qv) for r in results]
        # a file's score blends its best chunk with its opening (klein_app/queries/openings.py), both exact
        blended = [
            (1 - OPENING_SHARE) * e + OPENING_SHARE * float(stored_vector(r.path, 0) @ qv)
            for r, e in zip(results, exact)
        ]
        cosine_diffs += [abs(r.cosine - e) for r, e in zip(results, exact)]
        score_diffs += [abs(r.score - b) for r, b in zip(results, blended)]
        top_same += bool(blended) and int(np.argmax(blended)) == 0
    print(
        f"\nann: {copied.count_chunks()} chunks, IVF index {'built' if has_index else 'MISSING'}; "
        f"vector-mode results against the stored vectors over {len(queries)} queries x 10"
    )
    for name, diffs in (("cosine - exact cosine", cosine_diffs), ("score - exact blend ", score_diffs)):
        d = np.array(diffs) if diffs else np.zeros(1)
        print(f"  |{name}|  mean {d.mean():.4f}  p95 {np.percentile(d, 95):.4f}  max {d.max():.4f}")
    print(f"  first result has the best exact score of the ten: {top_same} of {len(queries)}")
    del lancedb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/usr/share/doc"))
    parser.add_argument(
        "--packages", help="comma-separated subfolders of --source (default: the --data file's, else the nine)"
    )
    parser.add_argument("--work", type=Path, default=Path("runs/real-folder"), help="tree and index (kept)")
    parser.add_argument("--data", type=Path, default=HERE / "real_folder.json", help="queries, judgments, plants")
    parser.add_argument("--model", help="model folder (default: the bundled model)")
    parser.add_argument("--no-man", action="store_true", help="leave the packages' man pages out")
    parser.add_argument(
        "--max-file-mb",
        type=float,
        default=0.35,
        help="the app's max_file_mb for this index (default 0.35: the five largest upstream "
        "changelogs, 5.5 MB of text, are skipped as too large, which keeps the first run short)",
    )
    parser.add_argument("--only", choices=("search", "dupes", "clusters", "ann"), action="append")
    parser.add_argument("--modes", default="hybrid,vector,text")
    parser.add_argument("--ann-chunks", type=int, default=24_000, help="replicate the chunks past this many")
    parser.add_argument("--chunk-tokens", type=int, help="the app's chunk size (default: its own), overlap 1/8")
    args = parser.parse_args()

    from klein_app.index.memory import limit_malloc_arenas
    from klein_model.precision import machine_description

    limit_malloc_arenas()
    data = json.loads(args.data.read_text())
    work = args.work.resolve()
    tree = work / "tree"
    packages = [p for p in (args.packages or data.get("packages", DEFAULT_PACKAGES)).split(",") if p]
    print(f"machine: {machine_description()}")
    stamp = tree / ".bench-packages"
    wanted = f"{args.source}:{','.join(packages)}:{not args.no_man}"
    if not (stamp.exists() and stamp.read_text() == wanted):
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        counts = build_tree(args.source, packages, tree, not args.no_man)
        stamp.write_text(wanted)
        print("tree: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    planted_pairs = plant_copies(tree, data["planted"])
    print(
        f"tree: {tree} ({sum(1 for _ in tree.rglob('*') if _.is_file()) - 1} files, {len(planted_pairs)} planted copies)"
    )
    ctx = open_index(work, tree, args.model, args.max_file_mb, args.chunk_tokens)
    print(f"model: {ctx.model.name} ({ctx.model.dim}-d)")
    parts = args.only or ["search", "dupes", "clusters", "ann"]
    if "search" in parts:
        modes = args.modes.split(",")
        bench_search(ctx, tree, data["queries"], modes, "questions (a sentence that describes what is wanted)")
        bench_search(ctx, tree, data.get("keyword_queries", []), modes, "keywords (two or three words)")
    if "dupes" in parts:
        bench_dupes(ctx, tree, planted_pairs)
    if "clusters" in parts:
        bench_clusters(ctx, tree)
    if "ann" in parts:
        bench_ann(ctx, work, data["queries"], args.ann_chunks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
