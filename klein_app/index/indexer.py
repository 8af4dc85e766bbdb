"""Keep the index in step with the watched folders: walk -> read -> chunk -> embed -> write.

Public API:
    index_paths(ctx, paths=None, progress=None, *, stop=None, rebuild=False) -> IndexReport
        paths None: every watched folder (a full pass; finishes a blue-green model swap);
        otherwise files or folders inside watched folders (what the watcher passes)
    IndexReport      counts of one run
    ProgressEvent    re-exported from klein_app.index.progress

Incremental rules: same size and mtime -> nothing is read; a changed mtime costs one hash and,
when the content is the same, only a files-row update; chunks whose text hash is already in the
index reuse their vectors (edits, copies and renamed or moved files cost no embedding). Files
gone from disk lose their rows after new ones are written, so a rename finds its old vectors.

Throughput: a reader thread reads, decodes and chunks files ahead of the model; chunks from many
files are embedded in batches of `batch_chunks`; finished files are written in groups, so the
model's encode rate stays the bottleneck.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from klein_app.index.folders import watched_roots
from klein_app.index.memory import trim_heap
from klein_app.index.prepare import Budget, Prepared, file_row, outcome_stands, prepare_file, weight
from klein_app.index.progress import ProgressEvent, RateMeter, Throttle, chunks_left
from klein_app.pathutil import is_under
from klein_app.sources.readers import READERS_VERSION
from klein_app.sources.walk import Entry, Visited, Walker

__all__ = ["IndexReport", "ProgressEvent", "index_paths"]

BATCH_CHUNKS = 256  # chunks per encode call
FLUSH_CHUNKS = 2048  # chunks per write commit
FLUSH_SECONDS = 2.0  # ...or sooner, so a live edit shows up quickly
OPTIMIZE_EVERY_FLUSHES = 64  # compaction during very long first runs
_PREFETCH = 64  # files read ahead of the model...
_IN_FLIGHT_CHUNKS = 8 * FLUSH_CHUNKS  # ...but never more chunks than this held in memory
_RECENT_VECTORS = 16384  # vectors of this run kept for duplicate chunks (licences, vendored files)


@dataclass
class IndexReport:
    files_seen: int = 0
    indexed: int = 0
    unchanged: int = 0
    skipped: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0
    repaired: int = 0
    errors: int = 0
    missing_folders: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)  # what was damaged and how it was repaired, one line each
    swapped: bool = False
    stopped: bool = False


def index_paths(
    ctx, paths=None, progress=None, *, stop: threading.Event | None = None, rebuild: bool = False
) -> IndexReport:
    """Raises StoreError subclasses only for the index's own failures: DiskError (full or read-only disk;
    nothing lost, the next run resumes) and BrokenIndex (damaged mid-run; the next run repairs it)."""
    from klein_app.index.heal import classify_failure
    from klein_app.index.lock import writer_lock

    try:
        with writer_lock(ctx):
            return _index_healed(ctx, paths, progress, stop, rebuild)
    except Exception as exc:
        failure = classify_failure(exc, ctx.data_dir)
        if failure is None or failure is exc:
            raise
        raise failure from exc


def _index_healed(ctx, paths, progress, stop, rebuild: bool) -> IndexReport:
    from klein_app.index.heal import classify_failure, heal_for_writing
    from klein_app.index.store import BrokenIndex, set_aside

    for attempt in (1, 2):
        repairs = heal_for_writing(ctx, rebuild=rebuild or attempt == 2)
        run = _Run(ctx, progress, stop)
        run.report.repairs = repairs
        try:
            return run.run(paths, rebuild)
        except Exception as exc:
            if not (rebuild and attempt == 1 and isinstance(classify_failure(exc, ctx.data_dir), BrokenIndex)):
                raise
            # damage found only by reading: --rebuild sets the folder aside and starts clean
            set_aside(ctx.data_dir, ctx.index_model.dim, ctx.index_model.fingerprint)
            ctx.forget_index_store()
    raise AssertionError("unreachable")


class _Run:
    def __init__(self, ctx, progress, stop):
        self.ctx = ctx
        self.settings = ctx.settings
        self.model = ctx.index_model
        self.store = ctx.index_store
        self.emit = Throttle(progress)
        self.stop = stop or threading.Event()
        self.report = IndexReport()
        self.t0 = time.monotonic()
        self.files_done = 0
        self.files_total = 0
        self.bytes_done = 0  # bytes of the files finished (written or found unchanged)
        self.bytes_total = 0
        self.bytes_meter = RateMeter()
        self.chunk_meter = RateMeter()
        self.chunks_done = 0
        self.bytes_seen = 0  # bytes of the files read so far (chunked, or found unchanged or skipped)
        self.chunks_missing = 0  # chunks of those files that need the model
        self.chunks_filled = 0  # of those, embedded so far (a text repeated in a batch counts each time)
        self.fill_meter = RateMeter()
        self.current = ""
        self.wrote = False
        self.flushes = 0

    # --- orchestration -------------------------------------------------------------------

    def run(self, paths, rebuild: bool) -> IndexReport:
        from klein_app.index.store import read_pointer, set_active

        store = self.store
        if not store.reconciled:
            self.report.repaired = len(store.reconcile())
        if read_pointer(self.ctx.data_dir)[0] is None:
            # nothing older to keep answering: queries see this index grow as it is built
            set_active(self.ctx.data_dir, store, self.settings.model, self.model.name)
        meta = store.read_meta()
        chunking = [self.settings.chunk_tokens, self.settings.overlap_tokens]
        # an index built with other chunking, or by older readers, reads every file again
        built = meta.get("chunking") is not None
        rechunk = rebuild or (built and (meta["chunking"] != chunking or meta.get("readers") != READERS_VERSION))
        full = paths is None

        entries, existing, scopes = self._walk(paths)
        todo: list[Entry] = []
        skipped_rows: list[dict] = []
        for path, entry in entries.items():
            old = existing.get(path)
            if entry.skip_reason:
                if old is None or old["status"] == "indexed" or old["skip_reason"] != entry.skip_reason:
                    skipped_rows.append(file_row(entry, "skipped", entry.skip_reason))
                self.report.skipped += 1
            elif (
                old is not None
                and not rechunk
                and outcome_stands(old)
                and old["size"] == entry.size
                and old["mtime"] == entry.mtime
            ):
                # each file lands in one count: indexed + unchanged + skipped + errors == files_seen
                if old["status"] == "skipped":
                    self.report.skipped += 1
                else:
                    self.report.unchanged += 1
            else:
                todo.append(entry)
        if skipped_rows:
            store.write_files(skipped_rows, None)
            self.wrote = True

        gone = [p for p in existing if p not in entries and _in_scopes(p, scopes)]
        self._process(todo, existing, rechunk)
        gone += self._gone
        if gone:
            store.remove_paths(sorted(set(gone)))
            self.report.removed += len(set(gone))
            self.wrote = True

        if self.wrote and not self.stop.is_set():
            self._event("optimize", force=True)
            # each index build frees its working memory on return; trimming between them keeps their peaks
            # from stacking on one another in the process's RSS
            store.ensure_fts_index()
            trim_heap()
            from klein_app.index.ann import ensure_vector_index

            ensure_vector_index(store)  # no-op on small tables; optimize() then keeps it current
            trim_heap()
            store.optimize()
            trim_heap()
        self.report.stopped = self.stop.is_set()
        if full and not self.report.stopped:
            store.update_meta(chunking=chunking, readers=READERS_VERSION, complete=True)
            self._maybe_swap()
        self.report.seconds = time.monotonic() - self.t0
        self._event("done", force=True)
        return self.report

    def _maybe_swap(self) -> None:
        from klein_app.index.store import drop_generations, read_pointer, set_active

        active = read_pointer(self.ctx.data_dir)[0]
        if active is None or active.get("generation") != self.store.path.name:
            set_active(self.ctx.data_dir, self.store, self.settings.model, self.model.name)
            self.report.swapped = True
        drop_generations(self.ctx.data_dir, keep=self.store.path.name)
        self.ctx.refresh()

    # --- walk --------------------------------------------------------------------------------

    def _walk(self, paths):
        """Entries on disk, existing rows in scope, and the scopes (folders whose rows we own)."""
        roots = watched_roots(self.settings.folders)
        walker = self.walker = Walker(self.settings)
        visited = Visited()
        entries: dict[str, Entry] = {}
        existing: dict[str, dict] = {}
        scopes: list[str] = []
        data_dir = str(self.ctx.data_dir)
        if paths is None:
            targets = [(root, root) for root in roots]
            all_rows = self.store.file_rows()
            # rows of folders no longer watched go; rows of watched-but-missing folders stay
            kept_roots = [r for r in roots]
            for p, row in all_rows.items():
                if not any(is_under(p, r) for r in kept_roots):
                    existing[p] = row
                    scopes.append(p)
        else:
            targets = []
            for p in paths:
                p = os.path.abspath(p)
                root = next((r for r in sorted(roots, key=len, reverse=True) if is_under(p, r)), None)
                if root is not None:
                    targets.append((root, p))
            all_rows = None
        for root, start in targets:
            if not os.path.isdir(root):
                self.report.missing_folders.append(root)
                continue
            scopes.append(start)
            if all_rows is not None:
                existing.update({p: r for p, r in all_rows.items() if is_under(p, start)})
            else:
                existing.update(self.store.file_rows_under(start))
            for entry in walker.walk(root, start if start != root else None, visited):
                if is_under(entry.path, data_dir):
                    continue  # the index itself, when it lives inside a watched folder
                entries[entry.path] = entry
                if len(entries) % 500 == 0:
                    self._event("walk", files_done=len(entries))
        self.report.files_seen = len(entries)
        self._event("walk", files_done=len(entries), force=True)
        return entries, existing, scopes

    # --- read, embed, write ------------------------------------------------------------------

    def _process(self, todo: list[Entry], existing: dict, rechunk: bool) -> None:
        self._gone: list[str] = []
        if not todo:
            return
        self.files_total = len(todo)
        self.bytes_total = sum(e.size for e in todo) or 1
        known = self.store.chunk_hashes()
        self.recent: OrderedDict = OrderedDict()
        self.budget = Budget(_IN_FLIGHT_CHUNKS)
        q: queue.Queue = queue.Queue(maxsize=_PREFETCH)
        self.stop_reader = False
        reader = threading.Thread(
            target=self._reader, args=(todo, existing, rechunk, q), name="klein-reader", daemon=True
        )
        reader.start()
        pending: list[Prepared] = []  # files waiting for vectors, in order
        ready: list[Prepared] = []
        waiting = 0  # chunks waiting for the model
        last_flush = time.monotonic()
        done = False
        try:
            while not done or waiting:
                if not done:
                    try:
                        item = q.get(timeout=0.05 if (waiting or ready) else 0.5)
                    except queue.Empty:
                        item = None
                    if item is _DONE:
                        done = True
                    elif isinstance(item, BaseException):
                        raise item
                    elif item is not None:
                        waiting += self._accept(item, known, pending, ready)
                    if self.stop.is_set():
                        done = True
                idle = item is None if not done else True
                if waiting >= BATCH_CHUNKS or (waiting and (done or idle)):
                    waiting -= self._embed_batch(pending, ready)
                if ready and (
                    done
                    or sum(len(p.rows) for p in ready) >= FLUSH_CHUNKS
                    or self.budget.waiting
                    or time.monotonic() - last_flush >= FLUSH_SECONDS
                ):
                    self._flush(ready, known)
                    ready = []
                    last_flush = time.monotonic()
            if ready:
                self._flush(ready, known)
        finally:
            self.stop_reader = True
            self.budget.close()
            reader.join(timeout=5)

    def _reader(self, todo, existing, rechunk, q) -> None:
        try:
            for entry in todo:
                if self.stop.is_set() or self.stop_reader:
                    break
                item = self._prepare(entry, existing.get(entry.path), rechunk)
                if not self.budget.acquire(weight(item)):
                    break
                while not self.stop_reader:
                    try:
                        q.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        except BaseException as exc:  # surfaced in the main thread
            q.put(exc)
            return
        q.put(_DONE)

    def _prepare(self, entry: Entry, old: dict | None, rechunk: bool) -> Prepared:
        check = not self.walker.opted_in(entry.path)
        return prepare_file(entry, old, self.settings, self.model, rechunk, check_secrets=check)

    def _accept(self, item: Prepared, known: set, pending: list, ready: list) -> int:
        """Take a prepared file; returns how many of its chunks still need the model."""
        self.files_done += 1
        self.bytes_seen += item.entry.size
        self.current = item.entry.path
        self._event("read")
        if item.status != "indexed":
            self.budget.release(weight(item))
        if item.status == "gone":
            self._gone.append(item.entry.path)
            self.bytes_done += item.entry.size
            return 0
        if item.status == "same":
            self.bytes_done += item.entry.size
            # mtime changed, content did not: refresh the row, keep the chunks
            if item.old["status"] == "skipped":
                self.report.skipped += 1
            else:
                self.report.unchanged += 1
            row = dict(item.old)
            row.update(size=item.size, mtime=item.entry.mtime)
            self.store.upsert_file_rows([row])
            self.wrote = True
            return 0
        if item.status in ("skipped", "error"):
            ready.append(item)
            return 0
        found = {}
        for r in item.rows:
            v = self.recent.get(r["chunk_hash"])
            if v is not None:
                found[r["chunk_hash"]] = v
        hits = [r["chunk_hash"] for r in item.rows if r["chunk_hash"] in known and r["chunk_hash"] not in found]
        if hits:
            from_index = self.store.vectors_for_hashes(hits)
            found.update(from_index)
            # later copies of the same text (licences, vendored files) then skip the lookup
            self.recent.update(from_index)
            while len(self.recent) > _RECENT_VECTORS:
                self.recent.popitem(last=False)
        if found:
            for i, r in enumerate(item.rows):
                v = found.get(r["chunk_hash"])
                if v is not None:
                    item.vectors[i] = v
                    self.report.chunks_reused += 1
        item.missing = sum(1 for v in item.vectors if v is None)
        self.chunks_missing += item.missing
        if item.missing:
            pending.append(item)
        else:
            ready.append(item)
        return item.missing

    def _embed_batch(self, pending: list, ready: list) -> int:
        """Embed up to BATCH_CHUNKS distinct chunk texts; returns how many chunk slots got a vector.

        A text seen earlier in this run (or twice in this batch) is embedded once.
        """
        groups: dict[str, list] = {}  # chunk_hash -> slots waiting for it
        filled = 0
        for item in pending:
            for i, v in enumerate(item.vectors):
                if v is not None:
                    continue
                h = item.rows[i]["chunk_hash"]
                known = self.recent.get(h)
                if known is not None:
                    item.vectors[i] = known
                    item.missing -= 1
                    filled += 1
                    self.report.chunks_reused += 1
                elif h in groups:
                    groups[h].append((item, i))
                elif len(groups) < BATCH_CHUNKS:
                    groups[h] = [(item, i)]
            if len(groups) >= BATCH_CHUNKS:
                break
        if groups:
            self._event("embed")
            slots = [g[0] for g in groups.values()]
            t = time.monotonic()
            vecs = self.model.encode([item.rows[i]["text"] for item, i in slots])
            self.report.encode_seconds += time.monotonic() - t
            for (h, group), v in zip(groups.items(), vecs):
                for item, i in group:
                    item.vectors[i] = v
                    item.missing -= 1
                filled += len(group)
                self.chunks_filled += len(group)
                self.report.chunks_reused += len(group) - 1
                self.recent[h] = v
            while len(self.recent) > _RECENT_VECTORS:
                self.recent.popitem(last=False)
            self.report.chunks_embedded += len(slots)
            self.chunks_done += len(slots)
        # files finish in any order: a small one need not wait behind a big one
        still = []
        for item in pending:
            (ready if item.missing == 0 else still).append(item)
        pending[:] = still
        self._event("embed")
        return filled

    def _flush(self, ready: list, known: set) -> None:
        from klein_app.index.lock import check_held
        from klein_app.index.store import chunk_rows_table

        check_held(self.ctx)
        self._event("write")
        file_rows, chunk_rows, vectors = [], [], []
        for item in ready:
            self.bytes_done += item.entry.size
            if item.status == "indexed":
                self.budget.release(weight(item))
                file_rows.append(file_row(item.entry, "indexed", "", item.sha, item.size, len(item.rows)))
                chunk_rows.extend(item.rows)
                vectors.extend(item.vectors)
                self.report.indexed += 1
            else:
                file_rows.append(file_row(item.entry, item.status, item.reason, item.sha, item.size))
                if item.status == "error":
                    self.report.errors += 1
                else:
                    self.report.skipped += 1
        table = None
        if chunk_rows:
            table = chunk_rows_table(chunk_rows, vectors, self.store.dim)
            known.update(table.column("chunk_hash").to_pylist())
        self.store.write_files(file_rows, table)
        self.wrote = True
        self.flushes += 1
        if self.flushes % OPTIMIZE_EVERY_FLUSHES == 0:
            self.store.optimize()
        trim_heap()
        self._event("write")

    # --- progress ----------------------------------------------------------------------------

    def _event(self, phase: str, files_done: int | None = None, force: bool = False) -> None:
        now = time.monotonic()
        eta = None
        if phase in ("embed", "write", "read"):
            # measured over the recent window of this phase; bytes count once a file is finished
            # (written, or found unchanged), not when it is read ahead of the model
            self.chunk_meter.add(now, self.chunks_done)
            if self.bytes_seen:
                self.fill_meter.add(now, self.chunks_filled)
                left = chunks_left(self.chunks_missing, self.chunks_filled, self.bytes_seen, self.bytes_total)
                eta = self.fill_meter.eta(left)
            else:  # engines that read elsewhere (Ray) report finished bytes only
                self.bytes_meter.add(now, self.bytes_done)
                eta = self.bytes_meter.eta(self.bytes_total - self.bytes_done)
        rate = self.chunk_meter.rate() or 0.0
        done = self.files_done if files_done is None else files_done
        total = self.files_total if files_done is None else files_done
        if phase == "done":
            done = total = self.files_total
        self.emit(ProgressEvent(phase, done, total, self.chunks_done, rate, eta, self.current), force=force)


_DONE = object()


def _in_scopes(path: str, scopes: list[str]) -> bool:
    return any(is_under(path, s) for s in scopes)
