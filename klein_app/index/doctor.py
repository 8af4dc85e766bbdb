"""`klein-search doctor`: check every invariant the index code relies on, and repair what fails.

Public API:
    run_doctor(ctx, fix=True) -> DoctorReport
    DoctorReport(checks, busy)   .problems (left unrepaired), .fixed, .to_json()
    Check(name, status, detail)  status: "ok", "fixed", "problem" or "note"

Fixing is the default (the index is a cache of the files: every repair rebuilds from them and
nothing of the user's is touched); `fix=False` only reports. Repairs need the writer lock; while
another process writes, doctor only checks and says so.

The invariants, in order:
    permissions      the data folder 0700 and nothing in it readable by others
    pointer          active.json is an object naming an existing generation
    leftovers        half-written *.tmp files; generations set aside earlier (kept, listed)
    meta             each generation's meta.json describes it (fingerprint, dim)
    tables           both tables open and every fragment reads (a full scan, column by column)
    rows vs chunks   each files row marks exactly its chunks (count, indices, sha256)
    versions         old table versions pruned and small fragments compacted
    search indices   the full-text index exists; the vector index past its size threshold
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from klein_app.index.store import (
    INDEX_DIR,
    KEEP_OLD_VERSIONS,
    BrokenIndex,
    Store,
    StoreError,
    infer_active,
    lance_reason,
    read_meta_file,
    read_pointer,
    write_pointer,
)

MAX_VERSIONS = 8  # unpruned old versions above this: optimize() did not run after the last writes
MAX_SMALL_FRAGMENTS = 16
_SCAN_BATCH = 4096


@dataclass
class Check:
    name: str
    status: str  # "ok", "fixed", "problem", "note"
    detail: str


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    busy: bool = False  # another process holds the writer lock: checked only

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.status == "problem"]

    @property
    def fixed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fixed"]

    def to_json(self) -> dict:
        return {
            "checks": [asdict(c) for c in self.checks],
            "fixed": len(self.fixed),
            "problems": len(self.problems),
            "busy": self.busy,
        }


def run_doctor(ctx, fix: bool = True) -> DoctorReport:
    from klein_app.index.lock import IndexBusy, hold_index

    report = DoctorReport()
    if not fix:
        _checks(ctx, report, fix=False)
        return report
    try:
        with hold_index(ctx):
            _checks(ctx, report, fix=True)
    except IndexBusy:
        report.busy = True
        report.checks.append(
            Check("lock", "note", "another klein-search process is writing: checked only, fixed nothing")
        )
        _checks(ctx, report, fix=False)
    return report


def _checks(ctx, report: DoctorReport, fix: bool) -> None:
    add = report.checks.append
    data_dir = Path(ctx.data_dir)
    add(_permissions(data_dir, fix))
    if not (data_dir / INDEX_DIR).is_dir():
        add(Check("index", "note", "nothing indexed yet"))
        return
    add(_pointer(data_dir, fix))
    add(_leftovers(data_dir, fix))
    broken: list[Check] = []
    stores = []
    for gen in sorted((data_dir / INDEX_DIR).glob("g-*")):
        meta_check, meta = _meta(gen, fix)
        add(meta_check)
        if meta is None:
            continue
        try:
            # a writer's open (create=True on an existing folder) rewrites a malformed meta.json
            store = Store.open(data_dir, meta["dim"], meta["fingerprint"], create=fix)
            _scan(store)
        except StoreError as exc:
            broken.append(Check(f"tables {gen.name}", "problem", str(exc)))
            add(broken[-1])
            continue
        add(
            Check(
                f"tables {gen.name}",
                "ok",
                f"{store.count_files()} files, {store.count_chunks()} chunks, all fragments read",
            )
        )
        stores.append(store)
    repaired_paths = []
    for store in stores:
        check, bad = _rows_vs_chunks(store, fix)
        add(check)
        repaired_paths += bad
        add(_versions(store, fix))
        add(_search_indices(store, fix))
    if fix and (broken or repaired_paths):
        done = _reindex(ctx)
        add(done)
        for check in broken if done.status == "fixed" else []:
            check.status = "fixed"
            check.detail = check.detail.split("; `klein-search index`")[0] + "; set aside and rebuilt from the files"


# --- the checks ----------------------------------------------------------------------------------


def _permissions(data_dir: Path, fix: bool) -> Check:
    from klein_app.index.private import loose_paths, make_private

    loose = loose_paths(data_dir) if data_dir.exists() else []
    if not loose:
        return Check("permissions", "ok", f"{data_dir} and everything in it private to you")
    shown = ", ".join(f"{Path(p).name} {m:o}" for p, m in loose[:3]) + (" …" if len(loose) > 3 else "")
    if fix:
        changed = make_private(data_dir)
        return Check(
            "permissions", "fixed", f"{changed} of {len(loose)} paths were readable by others ({shown}); now 0700/0600"
        )
    return Check("permissions", "problem", f"{len(loose)} paths readable by others ({shown})")


def _pointer(data_dir: Path, fix: bool) -> Check:
    record, problem = read_pointer(data_dir)
    if problem is None:
        if record is None:
            return Check("pointer", "note", "no active.json yet (written by the first `klein-search index`)")
        return Check(
            "pointer",
            "ok",
            f"active.json points at {record['generation']} ({record.get('model_name') or 'model'}, {record['dim']}-d)",
        )
    inferred = infer_active(data_dir)
    if fix and inferred is not None:
        write_pointer(data_dir, inferred)
        return Check("pointer", "fixed", f"{problem}; pointed it at {inferred['generation']}")
    return Check("pointer", "problem", problem)


def _meta(gen: Path, fix: bool) -> tuple[Check, dict | None]:
    from klein_app.index.store import _identify

    meta, problem = read_meta_file(gen)
    name = f"meta {gen.name}"
    if problem is None:
        return Check(name, "ok", "meta.json describes this generation"), meta
    found = _identify(gen)
    if found is None:
        return Check(name, "problem", f"{problem}; its tables do not say which model made it either"), None
    if fix:
        # Store.open rewrites a malformed meta.json from the (fingerprint, dim) it is given
        return Check(name, "fixed", f"{problem}; rewritten from the tables"), found
    return Check(name, "problem", problem), found


def _scan(store: Store) -> None:
    """Read every column of every fragment, in batches (never the whole table in memory)."""
    for table in (store.files_table, store.chunks_table):
        try:
            reader = table.search().limit(None).to_batches(_SCAN_BATCH)
            for _batch in reader:
                pass
        except Exception as exc:
            raise BrokenIndex(f"the index at {store.path} is damaged ({lance_reason(exc)})") from exc


def _rows_vs_chunks(store: Store, fix: bool) -> tuple[Check, list[str]]:
    name = f"rows vs chunks {store.path.name}"
    bad = store.inconsistent_paths()
    if not bad:
        return Check(name, "ok", "every files row matches its chunks"), []
    if fix:
        store.reconcile()
        return Check(
            name, "fixed", f"{len(bad)} file(s) whose rows and chunks disagreed were dropped and indexed again"
        ), bad
    return Check(name, "problem", f"{len(bad)} file(s) whose rows and chunks disagree, e.g. {bad[0]}"), bad


def _versions(store: Store, fix: bool) -> Check:
    name = f"versions {store.path.name}"
    counts = {
        t.name: (_unpruned(t), t.stats()["fragment_stats"]["num_small_fragments"])
        for t in (store.files_table, store.chunks_table)
    }
    worst = max(v for v, _ in counts.values())
    small = max(f for _, f in counts.values())
    detail = ", ".join(f"{n}: {v} unpruned old versions, {f} small fragments" for n, (v, f) in counts.items())
    if worst <= MAX_VERSIONS and small <= MAX_SMALL_FRAGMENTS:
        return Check(name, "ok", detail)
    if fix:
        store.optimize()  # versions younger than KEEP_OLD_VERSIONS stay for readers that opened them
        return Check(
            name, "fixed", f"{detail}; compacted (versions younger than {KEEP_OLD_VERSIONS.seconds} s are kept)"
        )
    return Check(name, "problem", f"{detail}; `klein-search doctor` compacts them")


def _unpruned(table) -> int:
    """Versions older than the newest by more than KEEP_OLD_VERSIONS: optimize() at the end of the
    last write should have pruned them (the younger ones stay for readers that opened them)."""
    stamps = [v["timestamp"] for v in table.list_versions()]
    if not stamps:
        return 0
    cutoff = max(stamps) - KEEP_OLD_VERSIONS - timedelta(seconds=1)
    return sum(1 for t in stamps if t < cutoff)


def _search_indices(store: Store, fix: bool) -> Check:
    from klein_app.index.ann import INDEX_MIN_ROWS, ensure_vector_index, vector_index

    name = f"search indices {store.path.name}"
    n = store.count_chunks()
    has_fts = any("text" in list(getattr(i, "columns", []) or []) for i in store.chunks_table.list_indices())
    missing = []
    if n and not has_fts:
        missing.append("full-text")
    if n >= INDEX_MIN_ROWS and vector_index(store.chunks_table) is None:
        missing.append("vector")
    if not missing:
        return Check(name, "ok", "full-text index present" + (", vector index present" if n >= INDEX_MIN_ROWS else ""))
    if fix:
        store.ensure_fts_index()
        ensure_vector_index(store)
        return Check(name, "fixed", f"built the missing {' and '.join(missing)} index")
    return Check(name, "problem", f"the {' and '.join(missing)} index is missing")


def _reindex(ctx) -> Check:
    from klein_app.index.indexer import index_paths

    try:
        report = index_paths(ctx)
    except Exception as exc:
        return Check("reindex", "problem", f"indexing the files again failed: {str(exc).splitlines()[0][:200]}")
    what = "; ".join(report.repairs) or "files whose rows and chunks disagreed"
    return Check(
        "reindex",
        "fixed",
        f"{what}: {report.indexed} file(s) indexed from disk, {report.chunks_embedded} chunks embedded",
    )


def _leftovers(data_dir: Path, fix: bool) -> Check:
    index_dir = data_dir / INDEX_DIR
    tmps = [p for p in index_dir.rglob("*.tmp") if p.is_file()]
    aside = sorted(p.name for p in index_dir.glob("broken-*"))
    parts = []
    if tmps:
        if fix:
            for p in tmps:
                p.unlink(missing_ok=True)
        parts.append(f"{len(tmps)} half-written .tmp file(s)" + (" removed" if fix else ""))
    if aside:
        parts.append(f"damaged generations kept for inspection (delete when done): {', '.join(aside)}")
    if not parts:
        return Check("leftovers", "ok", "none")
    status = "fixed" if tmps and fix else ("problem" if tmps else "note")
    return Check("leftovers", status, "; ".join(parts))
