"""kill -9 in the middle of `index`, restart, and the index is consistent and resumes."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from klein_app.context import AppContext
from klein_app.index.indexer import index_paths
from klein_app.index.store import Store, active_generation
from klein_app.settings import Settings, resolve_paths, save_settings

CHILD = textwrap.dedent(
    """
    import os, sys, time
    os.environ["OMP_NUM_THREADS"] = "1"
    import klein_app.index.indexer as ix
    ix.BATCH_CHUNKS, ix.FLUSH_CHUNKS, ix.FLUSH_SECONDS = 4, 8, 0.0   # many small commits
    from klein_app.context import open_context
    ctx = open_context(sys.argv[1])
    model = ctx.index_model
    encode = model.encode
    def slow(texts, **kw):
        time.sleep(0.02)
        print("embedcall", flush=True)
        return encode(texts, **kw)
    model.encode = slow
    # a line per real commit: progress events are throttled and may never show a write of a short run
    store = ctx.index_store
    write_files = store.write_files
    def committed(*a, **kw):
        out = write_files(*a, **kw)
        print("committed", flush=True)
        return out
    store.write_files = committed
    def progress(e):
        print(e.phase, e.files_done, flush=True)
    r = ix.index_paths(ctx, progress=progress)
    print("DONE", r.chunks_embedded, r.repaired, flush=True)
    """
)


def check_consistent(store: Store) -> None:
    files = {r["path"]: r for r in store.files_table.to_arrow().to_pylist()}
    chunks = store.chunks_table.to_arrow().select(["path", "chunk_index", "file_sha256"]).to_pylist()
    by_path = {}
    for c in chunks:
        by_path.setdefault(c["path"], []).append(c)
    for path, cs in by_path.items():
        row = files.get(path)
        assert row is not None and row["status"] == "indexed", f"chunks without a files row: {path}"
        assert sorted(c["chunk_index"] for c in cs) == list(range(row["n_chunks"])), path
        assert {c["file_sha256"] for c in cs} == {row["sha256"]}, path
    for path, row in files.items():
        if row["status"] == "indexed":
            assert path in by_path, f"files row without chunks: {path}"


def test_kill_9_during_index_then_restart(tmp_path, tiny_model_path, tiny_model, make_corpus):
    root = make_corpus(
        tmp_path / "corpus",
        {
            f"d{i % 5}/file{i}.md": "\n\n".join(
                f"File {i} paragraph {j}: notes on subject {i * 7 + j} with some words to chunk." for j in range(4)
            )
            for i in range(60)
        },
    )
    db = tmp_path / "db"
    paths = resolve_paths(str(db))
    save_settings(paths, Settings(folders=[str(root)], model=str(tiny_model_path), chunk_tokens=32, overlap_tokens=4))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")

    def run_child():
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )

    # one child start costs seconds (torch import), so one kill, in the thick of the writes
    child = run_child()
    writes = calls = 0
    finished = False
    deadline = time.monotonic() + 60
    for line in child.stdout:
        writes += line.startswith("committed")
        calls += line.startswith("embedcall")
        finished = line.startswith("DONE")
        # kill once some files are committed and embedding is still under way (the run needs ~50 calls)
        if (writes >= 1 and calls >= 12) or finished or time.monotonic() > deadline:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL and not finished

    committed = Store.open(db, tiny_model.dim, tiny_model.fingerprint)
    committed.reconcile()
    check_consistent(committed)
    finished_before = committed.count_files("indexed")
    chunks_before = committed.count_chunks()
    assert finished_before > 0

    ctx = AppContext(
        paths,
        Settings(folders=[str(root)], model=str(tiny_model_path), chunk_tokens=32, overlap_tokens=4),
        model=tiny_model,
    )
    report = index_paths(ctx)
    check_consistent(ctx.store)
    # finished files were not embedded again
    assert report.unchanged >= finished_before
    assert report.chunks_embedded <= ctx.store.count_chunks() - chunks_before
    assert ctx.store.count_files("indexed") == 60
    assert active_generation(db)["fingerprint"] == tiny_model.fingerprint

    # and the result equals a clean index of the same disk
    clean = AppContext(
        resolve_paths(str(tmp_path / "clean")),
        Settings(folders=[str(root)], model=str(tiny_model_path), chunk_tokens=32, overlap_tokens=4),
        model=tiny_model,
    )
    index_paths(clean)

    def texts(store):
        return sorted((r["path"], r["chunk_index"], r["text"]) for r in store.chunks_table.to_arrow().to_pylist())

    assert texts(ctx.store) == texts(clean.store)
