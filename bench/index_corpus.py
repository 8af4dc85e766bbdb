"""Indexing throughput on a real folder: files/s, chunks/s against the model's raw encode rate,
the model's share of wall time, peak RSS, index size, and the re-run time on the unchanged folder.

    python bench/index_corpus.py /usr/share/doc                       # the bundled model
    python bench/index_corpus.py /usr/share/doc --model path/to/model
    python bench/index_corpus.py /usr/share/doc --random-model 4x256  # untrained model of a shape

The folder is only read; the index goes to a temporary folder (or --db). The raw encode rate is
measured afterwards on a sample of the chunks the run produced, in batches of the size the
indexer uses, so both figures embed the same kind of text.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path


def random_model(shape: str, corpus: Path, out: Path) -> Path:
    """An untrained model of LAYERSxHIDDEN with a BPE vocabulary learned from the corpus itself."""
    from klein_model.testing import make_tiny_model

    layers, hidden = (int(x) for x in shape.lower().split("x"))
    texts, total = [], 0
    for root, _dirs, names in os.walk(corpus):
        for n in names:
            if n.endswith((".txt", ".md", ".rst", ".html", "copyright", ".c", ".py")):
                try:
                    t = Path(root, n).read_text(encoding="utf-8")[:20000]
                except (OSError, UnicodeDecodeError):
                    continue
                texts.append(t)
                total += len(t)
        if total > 3_000_000:
            break
    return make_tiny_model(
        out, hidden=hidden, layers=layers, vocab_size=16000, corpus=texts, max_seq_length=512, name=f"random-{shape}"
    )


def watch_latency(ctx, live: Path, timeout: float = 30.0) -> float | None:
    """Seconds from saving an edit to its text being in the index, with `watch` running on the corpus."""
    from klein_app.index.watcher import Watcher

    live.mkdir(parents=True, exist_ok=True)
    (live / "note.md").write_text("a note before the edit\n")
    ctx.settings.folders.append(str(live))
    watcher = Watcher(ctx)
    watcher.start()
    try:
        if not watcher.wait_idle(600):
            return None
        marker = f"edited-{time.time_ns()}"
        t0 = time.perf_counter()
        (live / "note.md").write_text(f"a note after the edit {marker}\n")
        while time.perf_counter() - t0 < timeout:
            rows = ctx.store.file_chunks(str(live / "note.md"))
            if rows and marker in rows[0]["text"]:
                return time.perf_counter() - t0
            time.sleep(0.02)
        return None
    finally:
        watcher.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--model", help="model folder (default: the bundled model)")
    group.add_argument("--random-model", metavar="LxH", help="an untrained model of this shape, for speed only")
    parser.add_argument("--db", type=Path, help="index folder (default: a temporary one)")
    parser.add_argument("--chunk-tokens", type=int, default=128)
    parser.add_argument("--sample", type=int, default=1024, help="chunks for the raw encode measurement")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from klein_app.index.memory import limit_malloc_arenas

    limit_malloc_arenas()  # as `klein-search` does at start-up

    import klein_model
    from klein_app.context import AppContext
    from klein_app.index.indexer import index_paths
    from klein_app.index.progress import progress_reporter
    from klein_app.settings import Settings, resolve_paths

    tmp = Path(tempfile.mkdtemp(prefix="klein-bench-"))
    model_path = args.model
    if args.random_model:
        # built in a child process so tokenizer training does not count in this one's peak RSS
        import subprocess

        code = (
            "import sys; sys.path.insert(0, sys.argv[4]); from index_corpus import random_model; "
            "from pathlib import Path; random_model(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))"
        )
        subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                args.random_model,
                str(args.path),
                str(tmp / "model"),
                str(Path(__file__).parent),
            ],
            check=True,
        )
        model_path = str(tmp / "model")
    elif model_path is None and klein_model.bundled_model_path() is None:
        print("no bundled model in this checkout; pass --model DIR or --random-model LxH", file=sys.stderr)
        return 2
    settings = Settings(
        folders=[str(args.path.resolve())],
        model=model_path,
        chunk_tokens=args.chunk_tokens,
        overlap_tokens=min(16, args.chunk_tokens // 8),
    )
    db = args.db or tmp / "db"
    ctx = AppContext(resolve_paths(str(db)), settings)
    model = ctx.index_model  # the indexer's own instance, reused for the raw-encode baseline
    t0 = time.perf_counter()
    ctx.open_index()  # importing lancedb is start-up cost, not indexing throughput
    startup = time.perf_counter() - t0

    bar = progress_reporter(sys.stderr)
    t0 = time.perf_counter()
    first = index_paths(ctx, progress=bar)
    wall = time.perf_counter() - t0
    bar.close()

    t0 = time.perf_counter()
    again = index_paths(ctx)
    rerun = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    texts = ctx.store.chunks_table.search().select(["text"]).limit(None).to_arrow().column("text").to_pylist()
    random.Random(0).shuffle(texts)
    sample = texts[: args.sample]
    from klein_app.index.indexer import BATCH_CHUNKS

    model.encode(sample[:32])  # warm-up
    t0 = time.perf_counter()
    for i in range(0, len(sample), BATCH_CHUNKS):
        model.encode(sample[i : i + BATCH_CHUNKS])
    raw_rate = len(sample) / (time.perf_counter() - t0) if sample else 0.0

    latency = watch_latency(ctx, tmp / "live")

    e2e_rate = first.chunks_embedded / wall if wall else 0.0
    from klein_model.precision import machine_description

    figures = {
        "machine": machine_description(),
        "corpus": str(args.path),
        "model": f"{model.name} ({model.dim}-d, {model.precision})",
        "chunk_tokens": args.chunk_tokens,
        "files_seen": first.files_seen,
        "files_indexed": first.indexed,
        "files_skipped": first.skipped,
        "chunks": ctx.store.count_chunks(),
        "chunks_embedded": first.chunks_embedded,
        "chunks_reused": first.chunks_reused,
        "store_open_s": round(startup, 2),
        "wall_s": round(wall, 2),
        "files_per_s": round(first.files_seen / wall, 1),
        "chunks_per_s": round(e2e_rate, 1),
        "raw_encode_chunks_per_s": round(raw_rate, 1),
        "e2e_vs_raw": round(e2e_rate / raw_rate, 3) if raw_rate else None,
        "model_share_of_wall": round(first.encode_seconds / wall, 3),
        "peak_rss_mb": round(rss_mb),
        "index_mb": round(ctx.store.disk_bytes() / 1e6, 1),
        "rerun_s": round(rerun, 2),
        "rerun_share_of_first": round(rerun / wall, 4),
        "rerun_embedded": again.chunks_embedded,
        "watch_edit_searchable_s": round(latency, 2) if latency is not None else None,
    }
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        print(f"{k:<{width}}  {v}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
