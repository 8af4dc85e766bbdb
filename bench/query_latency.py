"""Query latency at 100k chunks, ANN recall@10 against exact search, and dupes/clusters time on 10k files.

    python bench/query_latency.py --data ../shared/data --index runs/bench-query [--model DIR]

Builds (or reuses, in --index) a LanceDB index of real text: Wikipedia paragraphs (then Wikinews ones), one
paragraph per chunk (or one sentence, with --unit sentences), the pieces of one article forming one file. Vectors come from the bundled model, or
--model, or, when neither exists, an untrained 256-d model (--untrained-layers deep, 1 by default, reading
64 tokens, so that 100k chunks embed in minutes on a busy machine): its vectors carry only word overlap, query embedding is
cheaper than the real model's, and the output says which model was used.
Vectors are written straight into the chunks table (no file walking), then the full-text and ANN indexes
are built. An index that bench/index_corpus.py built with `--db INDEX/db` is reused as it is (pass --chunks no
larger than its chunk count). Latency is that of `klein_app.queries.search`, query embedding included, one query at a time.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

csv.field_size_limit(sys.maxsize)
BATCH = 512


def paragraphs(data: Path, limit: int, unit: str = "paragraphs", per_file: int = 8):
    """(file path, chunk index, text): Wikipedia then Wikinews paragraphs (or sentences, at most `per_file` a
    file), the pieces of one article forming one file."""
    n = 0
    for source in ("enwiki_slice", "wikinews_en"):
        path = data / "sentences" / source / f"{unit}.tsv.gz"
        seen: dict[str, int] = {}
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                text = (row.get("text") or row.get("sentence") or "").strip()
                if len(text) < 40:
                    continue
                page = row.get("page_id") or row.get("article_id")
                index = seen.get(page, 0)
                if unit == "sentences" and index >= per_file:
                    continue
                seen[page] = index + 1
                yield f"/bench/{source}/{page}.txt", index, text
                n += 1
                if n >= limit:
                    return


def query_texts(data: Path, n: int, seed: int = 0) -> list[str]:
    """Short queries: article titles and the first words of lead sentences (not the indexed text itself)."""
    path = data / "sentences" / "enwiki_slice" / "title_lead.tsv.gz"
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append((row["title"], row["lead_paragraph"]))
            if len(rows) >= 20 * n:
                break
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(rows), n, replace=False)
    out = []
    for i, p in enumerate(picks):
        title, lead = rows[p]
        out.append(title if i % 2 == 0 else " ".join(lead.split()[:8]))
    return out


def load_model(args, work: Path):
    import klein_model

    if args.model:
        return klein_model.load(args.model), f"model folder {args.model}"
    if klein_model.bundled_model_path() is not None:
        return klein_model.load(None), f"bundled model {klein_model.bundled_model_path()}"
    from klein_model.testing import make_tiny_model

    name = f"untrained-{args.untrained_layers}x256"
    folder = work / name
    if not (folder / "klein.json").exists():
        corpus = [t for _, _, t in paragraphs(args.data, 5000)]
        make_tiny_model(
            folder,
            hidden=256,
            layers=args.untrained_layers,
            vocab_size=8000,
            corpus=corpus,
            max_seq_length=64,
            name=name,
        )
    return klein_model.load(folder), f"UNTRAINED {name} model (no bundled model): ranking meaningless"


def build_index(store, model, data: Path, n_chunks: int, unit: str) -> None:
    """Embed paragraphs and append them, with their files rows, until the chunks table holds n_chunks."""
    import pyarrow as pa

    from klein_app.index.store import chunks_schema

    have = store.chunks_table.count_rows()
    if have >= n_chunks:
        return
    print(f"building: {have} -> {n_chunks} chunks", flush=True)
    rows = list(paragraphs(data, n_chunks, unit))[have:]
    schema = chunks_schema(model.dim)
    start = time.perf_counter()
    for b in range(0, len(rows), BATCH):
        batch = rows[b : b + BATCH]
        vectors = model.encode([t for _, _, t in batch], batch_size=64).astype(np.float32)
        table = pa.table(
            {
                "path": [p for p, _, _ in batch],
                "chunk_index": pa.array([i for _, i, _ in batch], pa.int32()),
                "start_line": pa.array([i + 1 for _, i, _ in batch], pa.int32()),
                "end_line": pa.array([i + 1 for _, i, _ in batch], pa.int32()),
                "text": [t for _, _, t in batch],
                "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel(), pa.float32()), model.dim),
                "chunk_hash": [hashlib.sha256(t.encode()).hexdigest() for _, _, t in batch],
                "file_sha256": [hashlib.sha256(p.encode()).hexdigest() for p, _, _ in batch],
                "model_fingerprint": [model.fingerprint] * len(batch),
            },
            schema=schema,
        )
        store.chunks_table.add(table)
        done = b + len(batch)
        if done % (BATCH * 20) == 0 or done == len(rows):
            rate = done / (time.perf_counter() - start)
            print(f"  {have + done} chunks, {rate:.0f} chunks/s", flush=True)
    write_file_rows(store)
    store.optimize()


def write_file_rows(store) -> None:
    """One files row per path, from the chunks (size = text bytes, sha256 of the joined text)."""
    import pyarrow as pa

    from klein_app.index.store import files_schema

    table = store.chunks_table.search().select(["path", "chunk_index", "text"]).limit(None).to_arrow()
    texts: dict[str, list[tuple[int, str]]] = {}
    for p, i, t in zip(*(table.column(c).to_pylist() for c in ("path", "chunk_index", "text"))):
        texts.setdefault(p, []).append((i, t))
    now = time.time()
    rows = []
    for p, parts in texts.items():
        body = "\n\n".join(t for _, t in sorted(parts)).encode()
        rows.append(
            dict(
                path=p,
                folder="/bench",
                size=len(body),
                mtime=now,
                sha256=hashlib.sha256(body).hexdigest(),
                status="indexed",
                skip_reason="",
                n_chunks=len(parts),
                indexed_at=now,
            )
        )
    store.files_table.delete("true")
    store.files_table.add(pa.Table.from_pylist(rows, schema=files_schema()))


def percentiles(ms: list[float]) -> str:
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   p99 {p99:6.1f} ms"


def time_search(store, model, queries: list[str], mode: str, **filters) -> list[float]:
    from klein_app.queries import search

    search(store, model, queries[0], mode=mode, **filters)  # warm caches
    out = []
    for q in queries:
        t = time.perf_counter()
        search(store, model, q, k=10, mode=mode, **filters)
        out.append((time.perf_counter() - t) * 1000)
    return out


def ann_recall(store, model, queries: list[str]) -> tuple[float, list[float], list[float]]:
    """Mean recall@10 of the ANN query against exact cosine top-10 (numpy over all vectors); and the
    latency of the ANN query and of a flat LanceDB scan, without query embedding."""
    from klein_app.index import ann
    from klein_app.queries.vectors import vector_matrix

    table = store.chunks_table.search().select(["path", "chunk_index", "vector"]).limit(None).to_arrow()
    keys = list(zip(table.column("path").to_pylist(), table.column("chunk_index").to_pylist()))
    matrix = vector_matrix(table)
    vecs = model.encode(queries)
    recalls, t_ann, t_flat = [], [], []
    row_of = {key: i for i, key in enumerate(keys)}
    for v in vecs:
        sims = matrix @ v
        # Tie-aware: a hit counts when it is as similar as the exact 10th (float noise reorders near-ties).
        tenth = np.partition(-sims, 9)[9] * -1
        base = store.chunks_table.search(v, vector_column_name="vector").distance_type("cosine")
        t = time.perf_counter()
        got = ann.tune(base).select(["path", "chunk_index", "_distance"]).limit(10).to_arrow()
        t_ann.append((time.perf_counter() - t) * 1000)
        found = zip(got.column("path").to_pylist(), got.column("chunk_index").to_pylist())
        recalls.append(sum(sims[row_of[key]] >= tenth - 1e-5 for key in found) / 10)
        flat = store.chunks_table.search(v, vector_column_name="vector").distance_type("cosine").bypass_vector_index()
        t = time.perf_counter()
        flat.select(["path", "_distance"]).limit(10).to_arrow()
        t_flat.append((time.perf_counter() - t) * 1000)
    return float(np.mean(recalls)), t_ann, t_flat


def files_subset(store, work: Path, model, n_files: int):
    """A store of the first n_files files of the big one (vectors copied, not re-embedded)."""
    from klein_app.index.store import Store

    sub = Store.open(work / f"files-{n_files}", model.dim, model.fingerprint)
    if sub.files_table.count_rows() == n_files:
        return sub
    files = store.files_table.to_arrow().sort_by("path").slice(0, n_files)
    sub.files_table.delete("true")
    sub.chunks_table.delete("true")
    sub.files_table.add(files)
    keep = set(files.column("path").to_pylist())
    chunks = store.chunks_table.to_arrow()
    import pyarrow.compute as pc

    mask = pc.is_in(chunks.column("path"), value_set=__import__("pyarrow").array(sorted(keep)))
    sub.chunks_table.add(chunks.filter(mask))
    sub.optimize()
    return sub


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--index", type=Path, default=Path("runs/bench-query"), help="folder to build or reuse")
    parser.add_argument("--model", help="model folder (default: the bundled model)")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument(
        "--unit",
        choices=("paragraphs", "sentences"),
        default="paragraphs",
        help="what one chunk is (sentences embed ~3x faster; at most 8 a file)",
    )
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--files", type=int, default=10_000, help="files for the dupes/clusters timing")
    parser.add_argument("--untrained-layers", type=int, default=1, help="depth of the stand-in model")
    parser.add_argument("--skip-dupes", action="store_true", help="skip the dupes/clusters timing")
    parser.add_argument("--skip-search", action="store_true", help="only the dupes/clusters timing")
    args = parser.parse_args()

    from klein_app.index import ann
    from klein_app.index.store import Store
    from klein_app.queries import cluster_files, duplicates

    args.index.mkdir(parents=True, exist_ok=True)
    model, which = load_model(args, args.index)
    from klein_model.precision import machine_description

    print(f"machine: {machine_description()};  model: {which};  chunks: {args.unit}")
    store = Store.open(args.index / "db", model.dim, model.fingerprint)
    build_index(store, model, args.data, args.chunks, args.unit)
    store.ensure_fts_index()
    t = time.perf_counter()
    built = ann.ensure_vector_index(store)
    if built:
        store.optimize()
        print(f"ANN index ({ann.INDEX_TYPE}) built in {time.perf_counter() - t:.1f} s")
    n_chunks, n_files = store.count_chunks(), store.count_files()
    print(f"index: {n_chunks} chunks in {n_files} files, {store.disk_bytes() / 2**20:.0f} MiB on disk")

    if not args.skip_search:
        time_searches(store, model, args)
    if args.skip_dupes:
        return 0
    sub = files_subset(store, args.index, model, args.files)
    print(f"\n{sub.count_files()} files, {sub.count_chunks()} chunks:")
    for level in ("file", "chunk"):
        t = time.perf_counter()
        groups = duplicates(sub, level=level)
        print(f"  dupes --level {level}: {time.perf_counter() - t:6.1f} s  ({len(groups)} groups)", flush=True)
    t = time.perf_counter()
    result = cluster_files(sub)
    print(f"  clusters (auto k):  {time.perf_counter() - t:6.1f} s  (k={result.k}, chosen by {result.chosen_by})")
    for c in result.clusters[:5]:
        print(f"    {c.size:5d}  {c.label}")
    return 0


def time_searches(store, model, args) -> None:
    from klein_app.index import ann

    queries = query_texts(args.data, args.queries)
    single = []
    for q in queries[:100]:
        t = time.perf_counter()
        model.encode([q])
        single.append((time.perf_counter() - t) * 1000)
    print(f"\nquery embedding alone: {percentiles(single)}")
    for mode in ("vector", "hybrid", "text"):
        print(f"search {mode:7s} k=10:  {percentiles(time_search(store, model, queries, mode))}")
    # a relative glob, so an index built from bench/make_corpus.py's folder by the indexer matches too
    print(
        f"search hybrid, --ext txt --path 'enwiki_slice/**':  "
        f"{percentiles(time_search(store, model, queries[:100], 'hybrid', exts='txt', path_glob='enwiki_slice/**'))}"
    )
    recall, t_ann, t_flat = ann_recall(store, model, queries[:200])
    print(f"\nANN recall@10 vs exact (nprobes={ann.NPROBES}, {len(t_ann)} queries): {recall:.3f}")
    print(f"  ANN query alone:   {percentiles(t_ann)}")
    print(f"  flat scan alone:   {percentiles(t_flat)}")


if __name__ == "__main__":
    sys.exit(main())
