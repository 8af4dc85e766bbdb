"""The indexer's read -> chunk -> embed stage on a Ray cluster (Ray Data actors); the rest stays the local run's.

Public API:
    index_with_ray(ctx, paths=None, progress=None, *, stop=None, rebuild=False, address=None,
                   workers=None, cpus_per_worker=1, files_per_batch=FILES_PER_BATCH,
                   flush_chunks=FLUSH_CHUNKS) -> IndexReport
        address None starts a local Ray with this machine's cores; "auto" or "ray://host:10001" joins one
    RayUnavailable   the cluster extra is not installed, or the cluster cannot be joined

Split by file. The driver (this process) walks, decides what changed exactly as the local indexer does
(size and mtime, then the content hash of files indexed before, so unchanged content is never sent out),
and is the one writer. Ray Data spreads the changed files over an actor pool; each actor loads the model
once and reads, chunks and embeds whole batches of files (klein_app/index/prepare.py's read_file and
chunk_file, the local code). Results stream back to the driver, which writes them in large batches through
the local run's _flush (chunks first, the files row last: the same commit rule), then builds the full-text
and vector indices and optimizes, as a local run does. A killed run therefore resumes like a local one:
reconcile() drops half-written files, committed files are unchanged and cost nothing.

What the local path has and this one does not: reusing vectors of chunk texts already in the index (a
changed file is embedded whole), since the actors do not read the index.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
import warnings
from dataclasses import asdict

from klein_app.errors import UserError
from klein_app.index.indexer import BATCH_CHUNKS, IndexReport, _Run
from klein_app.index.prepare import Budget, Prepared, chunk_file, read_file
from klein_app.sources.walk import Entry

FILES_PER_BATCH = 32  # files per actor call: enough chunks for full encode batches, small enough to stream
FLUSH_CHUNKS = 16384  # chunks per write commit: few table versions on object storage
FLUSH_SECONDS = 60.0  # ...but commit at least this often, so a killed run loses at most a minute of work


class RayUnavailable(UserError):
    """Ray cannot be used: not installed, or the cluster cannot be joined."""


def index_with_ray(
    ctx,
    paths=None,
    progress=None,
    *,
    stop: threading.Event | None = None,
    rebuild: bool = False,
    address: str | None = None,
    workers: int | None = None,
    cpus_per_worker: int = 1,
    files_per_batch: int = FILES_PER_BATCH,
    flush_chunks: int = FLUSH_CHUNKS,
) -> IndexReport:
    from klein_app.index.lock import writer_lock

    ray = _import_ray()
    options = dict(
        workers=workers, cpus_per_worker=cpus_per_worker, files_per_batch=files_per_batch, flush_chunks=flush_chunks
    )
    with writer_lock(ctx):  # before Ray starts: a busy index fails at once
        started = _connect(ray, address)
        try:
            return _RayRun(ctx, progress, stop, options).run(paths, rebuild)
        finally:
            if started:
                ray.shutdown()


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise RayUnavailable("--engine ray needs the cluster extra: pip install 'klein-search[cluster]'") from None
    return ray


def _connect(ray, address: str | None) -> bool:
    """Join or start Ray; True when this call started it (and so must shut it down)."""
    if ray.is_initialized():
        return False  # the caller owns the connection (a test, a notebook)
    quiet = dict(log_to_driver=False, logging_level=logging.WARNING)
    try:
        with warnings.catch_warnings():
            # Ray's daemons are fork+exec'd: LanceDB's warning about forking its runtime does not apply
            warnings.filterwarnings("ignore", message="lancedb fork support")
            if address:
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RayUnavailable(f"cannot join the Ray cluster at {address}: {str(exc).splitlines()[0][:200]}") from None
    return True


class _RayRun(_Run):
    """The local run with its read/chunk/embed stage (_process) handed to Ray."""

    def __init__(self, ctx, progress, stop, options: dict):
        super().__init__(ctx, progress, stop)
        self.options = options

    def _process(self, todo: list[Entry], existing: dict, rechunk: bool) -> None:
        self._gone = []
        if not todo:
            return
        self.files_total = len(todo)
        self.bytes_total = sum(e.size for e in todo) or 1
        self.budget = Budget(sys.maxsize)  # _flush releases into it; nothing is held back on this path
        known: set = set()
        ready: list[Prepared] = []
        send: list[Entry] = []
        for entry in todo:
            old = existing.get(entry.path)
            if old is None:
                send.append(entry)  # never indexed: no hash to compare, the actor reads it
                continue
            item, data = read_file(entry, old, self.settings, rechunk)
            if data is None:
                self._accept(item, known, [], ready)  # unchanged content, gone, skipped, error
            else:
                send.append(entry)
        if ready:
            self._flush(ready, known)
            ready = []
        if send and not self.stop.is_set():
            self._embed_on_ray(send, rechunk, known)

    def _embed_on_ray(self, send: list[Entry], rechunk: bool, known: set) -> None:
        import ray
        import ray.data

        opts = self.options
        data_ctx = ray.data.DataContext.get_current()
        data_ctx.enable_progress_bars = False  # the app draws its own
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # and per-dataset INFO lines would break it
        cpus = int(ray.cluster_resources().get("CPU", 1))
        workers = max(1, min(opts["workers"] or cpus // opts["cpus_per_worker"], len(send)))
        # a few files must still reach every worker
        per_batch = max(1, min(opts["files_per_batch"], -(-len(send) // workers)))
        items = [{"path": e.path, "folder": e.folder, "size": e.size, "mtime": e.mtime} for e in send]
        ds = ray.data.from_items(items, override_num_blocks=-(-len(items) // per_batch))
        out = ds.map_batches(
            _Embedder,
            fn_constructor_kwargs={
                "settings": asdict(self.settings),
                "rechunk": rechunk,
                "threads": opts["cpus_per_worker"],
            },
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=opts["cpus_per_worker"],
            batch_size=per_batch,
            batch_format="pyarrow",
        )
        self._event("embed", force=True)
        ready: list[Prepared] = []
        waiting = 0
        last_flush = time.monotonic()
        for batch in out.iter_batches(batch_size=None, batch_format="pyarrow"):
            for item, embedded, encode_s in _unpack(batch, self.store.dim):
                self.report.encode_seconds += encode_s  # summed over actors: CPU-seconds, not wall time
                self._take(item, embedded, ready)
                waiting += len(item.rows)
            if ready and (waiting >= opts["flush_chunks"] or time.monotonic() - last_flush >= FLUSH_SECONDS):
                self._flush(ready, known)
                ready, waiting, last_flush = [], 0, time.monotonic()
            if self.stop.is_set():
                break
        if ready:
            self._flush(ready, known)

    def _take(self, item: Prepared, embedded: int, ready: list) -> None:
        self.files_done += 1
        self.bytes_done += item.entry.size
        self.current = item.entry.path
        if item.status == "gone":
            self._gone.append(item.entry.path)
            return
        if item.rows and item.rows[0]["model_fingerprint"] != self.store.fingerprint:
            raise RayUnavailable(
                "a Ray worker loaded a different model than this process "
                f"({item.rows[0]['model_fingerprint'][:12]}, not {self.store.fingerprint[:12]}): "
                "install the same model on every node"
            )
        self.report.chunks_embedded += embedded
        self.report.chunks_reused += len(item.rows) - embedded
        self.chunks_done += embedded
        ready.append(item)
        self._event("embed")


class _Embedder:
    """A Ray Data actor: one model per actor, files in, chunk rows with vectors out (one row per file)."""

    def __init__(self, settings: dict, rechunk: bool, threads: int):
        import klein_model
        from klein_app.settings import settings_from_dict

        self.settings = settings_from_dict(settings)
        self.rechunk = rechunk
        self.model = klein_model.load(self.settings.model, threads=threads)

    def __call__(self, batch):
        items = []
        for path, folder, size, mtime in zip(
            *(batch.column(c).to_pylist() for c in ("path", "folder", "size", "mtime"))
        ):
            entry = Entry(path=path, folder=folder, size=size, mtime=mtime)
            item, data = read_file(entry, None, self.settings, self.rechunk)
            items.append(item if data is None else chunk_file(item, data, self.settings, self.model))
        t = time.perf_counter()
        embedded = _embed(self.model, items)
        seconds = time.perf_counter() - t
        total = sum(embedded) or 1
        # the batch's encode time, shared out by chunks embedded, so the driver can add it up per run
        return _pack(items, embedded, [seconds * n / total for n in embedded], self.model.dim)


def _embed(model, items: list[Prepared]) -> list[int]:
    """Fill every item's vectors; a text that occurs twice in the batch is embedded once. Chunks embedded per item."""
    slots: dict[str, list] = {}
    for item in items:
        for i, row in enumerate(item.rows):
            slots.setdefault(row["chunk_hash"], []).append((item, i))
    counts = {id(item): 0 for item in items}
    groups = list(slots.values())
    for start in range(0, len(groups), BATCH_CHUNKS * 4):
        part = groups[start : start + BATCH_CHUNKS * 4]
        vectors = model.encode([g[0][0].rows[g[0][1]]["text"] for g in part])
        for group, vector in zip(part, vectors):
            counts[id(group[0][0])] += 1
            for item, i in group:
                item.vectors[i] = vector
    return [counts[id(item)] for item in items]


def _pack(items: list[Prepared], embedded: list[int], encode_s: list[float], dim: int):
    """One Arrow row per file; its chunks travel as an Arrow IPC blob of the chunks table's schema."""
    import pyarrow as pa

    from klein_app.index.store import chunk_rows_table

    blobs = []
    for item in items:
        if not item.rows:
            blobs.append(None)
            continue
        sink = io.BytesIO()
        table = chunk_rows_table(item.rows, item.vectors, dim)
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        blobs.append(sink.getvalue())
    return pa.table(
        {
            "path": [i.entry.path for i in items],
            "folder": [i.entry.folder for i in items],
            "mtime": pa.array([i.entry.mtime for i in items], pa.float64()),
            "entry_size": pa.array([i.entry.size for i in items], pa.int64()),
            "size": pa.array([i.size for i in items], pa.int64()),
            "status": [i.status for i in items],
            "reason": [i.reason for i in items],
            "sha": [i.sha for i in items],
            "embedded": pa.array(embedded, pa.int32()),
            "encode_s": pa.array(encode_s, pa.float64()),
            "chunks": pa.array(blobs, pa.binary()),
        }
    )


def _unpack(batch, dim: int):
    import numpy as np
    import pyarrow as pa

    cols = {name: batch.column(name).to_pylist() for name in batch.column_names}
    for k in range(batch.num_rows):
        entry = Entry(
            path=cols["path"][k], folder=cols["folder"][k], size=cols["entry_size"][k], mtime=cols["mtime"][k]
        )
        item = Prepared(entry, cols["status"][k], cols["reason"][k], sha=cols["sha"][k], size=cols["size"][k])
        blob = cols["chunks"][k]
        if blob is not None:
            table = pa.ipc.open_stream(blob).read_all()
            vectors = table.column("vector").combine_chunks().flatten().to_numpy().reshape(-1, dim)
            item.rows = table.drop_columns(["vector"]).to_pylist()
            item.vectors = list(np.array(vectors, dtype=np.float32))
        yield item, cols["embedded"][k], cols["encode_s"][k]
