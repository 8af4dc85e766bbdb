"""Indexing throughput of `--engine ray` with 1 and 2 Ray workers against the local indexer, on one machine.

    python bench/make_corpus.py --data ../shared/data --out /tmp/wiki-3k --paragraphs 3000
    python bench/cluster_scaling.py /tmp/wiki-3k --rounds 2

Every run indexes the whole folder into a fresh index folder with the bundled model (or --model). Runs are
interleaved (local, ray x1, ray x2, local, ...) so that load from other work on the machine spreads over all
of them; the table gives each configuration's best and median round. Ray is started once (ray.init with all
cores) and timed on its own: a real `index --engine ray` pays that start-up once per run, and it is
printed separately as "ray.init". Each Ray worker is one actor with one CPU, one torch thread and its own
copy of the model; the local indexer runs torch on all cores in one process.

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
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


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
    ctx.index_model  # the driver's own model load is not part of either engine's indexing time
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
    args = ap.parse_args()

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
    for engine, s in summary.items():
        s["overhead_vs_local_s"] = s["median_seconds"] - local
    out = {
        "machine": f"{cpu_name()}, {cpus} cores",
        "corpus": str(args.corpus),
        "chunks": runs[0]["chunks"],
        "files": runs[0]["files"],
        "ray_init_s": ray_init,
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
