"""Indexing throughput of `--engine ray` with 1 and 2 Ray workers against the local indexer, on one machine.

    python bench/make_corpus.py --data ../shared/data --out /tmp/wiki-3k --paragraphs 3000
    python bench/cluster_scaling.py /tmp/wiki-3k --rounds 2

Every run indexes the whole folder into a fresh index folder with the bundled model (or --model). Runs are
interleaved (local, ray x1, ray x2, local, ...) so that load from other work on the machine spreads over all
of them; the table gives each configuration's best and median round. Ray is started once (ray.init with all
cores) and timed on its own: a real `index --engine ray` pays that start-up once per run, and it is
printed separately as "ray.init". Each Ray worker is one actor with one CPU, one torch thread and its own
copy of the model; the local indexer runs torch on all cores in one process.

Last, the driver's serial work per chunk (unpacking actor results and committing them, the part of a run
that does not grow with the cluster) on synthetic chunks of the real shapes.

Figures: chunks / wall seconds of the whole run (walk, read, chunk, embed, write, FTS and vector index
builds, optimize); the time to the first embedded chunk (for Ray: Ray Data's start and each actor's model
load); and each configuration's median wall time minus the local indexer's (Ray's overhead, or its gain).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path


def cpu_name() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "CPU")
    flags = set(next((ln.split(":", 1)[1].split() for ln in info.splitlines() if ln.startswith("flags")), []))
    isa = ", ".join(
        ["AVX2" if "avx2" in flags else "no AVX2", "AVX512-BF16" if "avx512_bf16" in flags else "no AVX512-BF16"]
    )
    return f"{name}, {isa}"


def writer_rate(base: Path, n_files: int = 256, chunks_per_file: int = 64, dim: int = 256) -> dict:
    """The driver's serial cost per chunk: unpack actor results (Arrow IPC) and commit them (local disk).

    Synthetic rows of the real shapes (a 600-character text, a `dim`-d vector), through the engine's own
    _pack/_unpack and the store's write path, in one commit as the engine's FLUSH_CHUNKS batches are.
    """
    import numpy as np

    from klein_app.index.prepare import Prepared, chunk_hash, file_row
    from klein_app.index.ray_engine import _pack, _unpack
    from klein_app.index.store import Store, chunk_rows_table
    from klein_app.sources.walk import Entry

    rng = np.random.default_rng(0)
    items = []
    for f in range(n_files):
        entry = Entry(path=f"/corpus/f{f}.txt", folder="/corpus", size=40_000, mtime=0.0)
        rows = []
        for i in range(chunks_per_file):
            text = f"file {f} chunk {i} " + "lorem ipsum dolor sit amet " * 22
            rows.append(
                {
                    "path": entry.path,
                    "chunk_index": i,
                    "start_line": i,
                    "end_line": i,
                    "text": text,
                    "chunk_hash": chunk_hash(text),
                    "file_sha256": "0" * 64,
                    "model_fingerprint": "bench",
                }
            )
        vectors = list(rng.standard_normal((chunks_per_file, dim)).astype(np.float32))
        items.append(Prepared(entry, "indexed", sha="0" * 64, size=40_000, rows=rows, vectors=vectors))
    batch = _pack(items, [chunks_per_file] * n_files, [0.0] * n_files, dim)
    store = Store.open(base / "writer-bench", dim, "bench")
    t = time.perf_counter()
    unpacked = [item for item, _n, _s in _unpack(batch, dim)]
    t_unpack = time.perf_counter() - t
    t = time.perf_counter()
    table = chunk_rows_table([r for i in unpacked for r in i.rows], [v for i in unpacked for v in i.vectors], dim)
    files = [file_row(i.entry, "indexed", "", i.sha, i.size, len(i.rows)) for i in unpacked]
    store.write_files(files, table)
    t_write = time.perf_counter() - t
    n = n_files * chunks_per_file
    return {
        "chunks": n,
        "unpack_chunks_per_s": n / t_unpack,
        "commit_chunks_per_s": n / t_write,
        "driver_chunks_per_s": n / (t_unpack + t_write),
    }


def fresh_context(base: Path, name: str, corpus: Path, model: str | None):
    from klein_app.context import open_context
    from klein_app.settings import Settings, resolve_paths, save_settings

    db = base / name
    save_settings(resolve_paths(str(db)), Settings(folders=[str(corpus)], model=model))
    return open_context(str(db))


def run_once(engine: str, workers: int, base: Path, corpus: Path, model: str | None, tag: str) -> dict:
    from klein_app.index.indexer import index_paths
    from klein_app.index.ray_engine import index_with_ray

    ctx = fresh_context(base, f"{engine}{workers}-{tag}", corpus, model)
    _ = ctx.index_model  # the driver's own model load is not part of either engine's indexing time
    first = {}

    def progress(event):
        if event.chunks_done and "t" not in first:
            first["t"] = time.perf_counter()

    t0 = time.perf_counter()
    if engine == "local":
        report = index_paths(ctx, progress=progress)
    else:
        report = index_with_ray(ctx, progress=progress, workers=workers)
    wall = time.perf_counter() - t0
    return {
        "engine": engine if engine == "local" else f"ray x{workers}",
        "chunks": report.chunks_embedded + report.chunks_reused,
        "files": report.indexed,
        "seconds": wall,
        "chunks_per_s": (report.chunks_embedded + report.chunks_reused) / wall,
        "first_result_s": first.get("t", t0) - t0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--model", default=None, help="model folder (default: the bundled model)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--writer-only", action="store_true", help="only the driver's serial write rate")
    args = ap.parse_args()

    if args.writer_only:
        with tempfile.TemporaryDirectory(prefix="klein-cluster-bench-") as tmp:
            print(json.dumps({"machine": f"{cpu_name()}, {os.cpu_count()} cores", "writer": writer_rate(Path(tmp))}))
        return 0

    import ray

    cpus = os.cpu_count() or 1
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="lancedb fork support")
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    ray_init = time.perf_counter() - t
    configs = [("local", 0)] + [("ray", w) for w in args.workers]
    runs = []
    with tempfile.TemporaryDirectory(prefix="klein-cluster-bench-") as tmp:
        for r in range(args.rounds):
            for engine, workers in configs:
                res = run_once(engine, workers, Path(tmp), args.corpus, args.model, str(r))
                res["round"] = r
                runs.append(res)
                print(
                    f"round {r}  {res['engine']:<8} {res['chunks']:>7} chunks  {res['seconds']:7.1f} s  "
                    f"{res['chunks_per_s']:7.1f} chunks/s  first result after {res['first_result_s']:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        writer = writer_rate(Path(tmp))
    ray.shutdown()

    summary = {}
    for engine in dict.fromkeys(r["engine"] for r in runs):
        mine = [r for r in runs if r["engine"] == engine]
        rates = [r["chunks_per_s"] for r in mine]
        summary[engine] = {
            "best_chunks_per_s": max(rates),
            "median_chunks_per_s": statistics.median(rates),
            "median_seconds": statistics.median(r["seconds"] for r in mine),
            "median_first_result_s": statistics.median(r["first_result_s"] for r in mine),
        }
    local = summary["local"]["median_seconds"]
    for s in summary.values():
        s["overhead_vs_local_s"] = s["median_seconds"] - local
    out = {
        "machine": f"{cpu_name()}, {cpus} cores",
        "corpus": str(args.corpus),
        "chunks": runs[0]["chunks"],
        "files": runs[0]["files"],
        "ray_init_s": ray_init,
        "writer": writer,
        "rounds": args.rounds,
        "summary": summary,
        "runs": runs,
    }
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"machine  {out['machine']}")
    print(f"corpus   {out['files']} files, {out['chunks']} chunks; {args.rounds} interleaved rounds")
    print(f"ray.init {ray_init:.1f} s (once per `index --engine ray` run; not in the figures below)")
    print(f"{'engine':<10}{'best c/s':>10}{'median c/s':>12}{'median s':>10}{'1st result s':>14}{'vs local s':>12}")
    for engine, s in summary.items():
        print(
            f"{engine:<10}{s['best_chunks_per_s']:>10.1f}{s['median_chunks_per_s']:>12.1f}{s['median_seconds']:>10.1f}"
            f"{s['median_first_result_s']:>14.1f}{s['overhead_vs_local_s']:>+12.1f}"
        )
    w = out["writer"]
    print(
        f"driver   {w['driver_chunks_per_s']:.0f} chunks/s serial (unpack {w['unpack_chunks_per_s']:.0f}, "
        f"commit {w['commit_chunks_per_s']:.0f}; {w['chunks']} synthetic chunks, one commit)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
