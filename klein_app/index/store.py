"""The on-disk index: LanceDB tables `files` and `chunks` (schema in docs/architecture.md).

Public API:
    Store.open(data_dir, dim, fingerprint, *, create=True) -> Store
    Store.open_active(data_dir) -> Store | None   the queried generation, without loading a model
        one *generation* per model fingerprint, in data_dir/index/<generation>/; a model change
        builds a new generation beside the old one (blue-green), see active_generation()/set_active()
    store.files_table, store.chunks_table     lancedb tables, for readers (queries, TUI)
    store.list_files() -> list[dict]          files rows, sorted by path
    store.file_chunks(path, with_vectors=False) -> list[dict]   a file's chunks by chunk_index
    store.count_chunks(), store.count_files(), store.disk_bytes()
    store.ensure_fts_index(), store.optimize()
    chunk_rows_table(rows, vectors, dim) -> pyarrow.Table    chunk rows and their vectors, as written
    store.fingerprint, store.dim, store.path
    active_generation(data_dir) -> dict | None, set_active(data_dir, store, model_spec)
    set_aside(data_dir, dim, fingerprint) -> Path | None   moves a broken generation aside
    read_pointer(data_dir) -> (record | None, problem | None);  infer_active(data_dir) -> record | None
    read_meta_file(gen_dir) -> (meta, problem | None);  verify_readable(path, files, chunks)
    sql_str(s) -> SQL string literal; StoreError for an unreadable index, BrokenIndex for a damaged one

Opening checks what a reader relies on: meta.json (rewritten when malformed: the folder name is the
hash of fingerprint and dim), the schema, and that every data file is readable (BrokenIndex).
store.repairs lists, one line each, what opening repaired.

Writes come from one process at a time (index.lock guards that); readers may open any time.
A file's chunks are written before its files row, so a files row is the commit marker of
its chunks: reconcile() repairs whatever a crash left between the two.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from datetime import timedelta
from pathlib import Path

from klein_app.errors import UserError
from klein_app.humanize import one_line
from klein_app.location import ObjectPath, as_path, remove_tree, tree_bytes, write_atomic

log = logging.getLogger(__name__)

# LanceDB's native logger prints every k-means warning of an ANN build to the user's terminal;
# only errors are the user's business. Set before lancedb's first import, and only if unset.
os.environ.setdefault("LANCEDB_LOG", "error")

INDEX_DIR = "index"
ACTIVE_FILE = "active.json"
META_FILE = "meta.json"
FILES = "files"
CHUNKS = "chunks"
# Old table versions are pruned this long after they stop being current, so a reader that
# opened one a moment ago can still finish, while disk use stays bounded.
KEEP_OLD_VERSIONS = timedelta(seconds=10)
_IN_BATCH = 200  # values per `IN (...)` filter (a text copied into many files matches many rows)
INDEX_CACHE_BYTES = 128 << 20  # holds the IVF_SQ and FTS indices of ~130k chunks (~45 MB) with room to spare
METADATA_CACHE_BYTES = 64 << 20
FTS_BUILD_MB = 64


class StoreError(UserError):
    """The index cannot be opened or read; the message says how to repair it."""


class BrokenIndex(StoreError):
    """A generation's tables are damaged (a missing or unreadable data file, a bad manifest).

    The index is a cache of the files: a writer sets the generation aside and rebuilds it.
    """


def files_schema():
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("path", pa.string()),
            pa.field("folder", pa.string()),
            pa.field("size", pa.int64()),
            pa.field("mtime", pa.float64()),
            pa.field("sha256", pa.string()),
            pa.field("status", pa.string()),
            pa.field("skip_reason", pa.string()),
            pa.field("n_chunks", pa.int32()),
            pa.field("indexed_at", pa.float64()),
        ]
    )


def chunks_schema(dim: int):
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("path", pa.string()),
            pa.field("chunk_index", pa.int32()),
            pa.field("start_line", pa.int32()),
            pa.field("end_line", pa.int32()),
            pa.field("text", pa.string()),
            pa.field("vector", pa.list_(pa.float32(), dim)),
            pa.field("chunk_hash", pa.string()),
            pa.field("file_sha256", pa.string()),
            pa.field("model_fingerprint", pa.string()),
        ]
    )


def chunk_rows_table(rows: list[dict], vectors: list, dim: int):
    """The chunks table's rows as Arrow: `rows` hold every column but `vector`, `vectors` one array per row."""
    import numpy as np
    import pyarrow as pa

    flat = np.ascontiguousarray(np.stack(vectors).astype(np.float32, copy=False)).reshape(-1)
    schema = chunks_schema(dim)
    arrays = []
    for f in schema:
        if f.name == "vector":
            arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), dim))
        else:
            arrays.append(pa.array([r[f.name] for r in rows], f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def sql_str(s: str) -> str:
    """A SQL string literal for LanceDB filters (quotes doubled)."""
    return "'" + s.replace("'", "''") + "'"


def generation_name(fingerprint: str, dim: int) -> str:
    return "g-" + hashlib.sha256(f"{fingerprint}|{dim}".encode()).hexdigest()[:16]


def read_pointer(data_dir: Path) -> tuple[dict | None, str | None]:
    """active.json as written by set_active, and what is wrong with it (None when sound or absent)."""
    path = as_path(data_dir) / INDEX_DIR / ACTIVE_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, f"{ACTIVE_FILE} is unreadable ({one_line(exc)})"
    problem = _record_problem(record)
    if problem:
        return None, f"{ACTIVE_FILE} is malformed ({problem})"
    if not (as_path(data_dir) / INDEX_DIR / record["generation"]).is_dir():
        return None, f"{ACTIVE_FILE} points at {record['generation']}, which does not exist"
    return record, None


def _record_problem(record) -> str | None:
    if not isinstance(record, dict):
        return f"a {type(record).__name__}, not an object"
    for key, kind in (("generation", str), ("fingerprint", str), ("dim", int)):
        value = record.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{key} is {value!r}"
    if record["dim"] <= 0 or record["generation"] != generation_name(record["fingerprint"], record["dim"]):
        return "its generation does not match its fingerprint and dim"
    for key in ("model", "model_name"):
        if record.get(key) is not None and not isinstance(record.get(key), str):
            return f"{key} is {record.get(key)!r}"
    return None


def read_meta_file(gen_dir: Path) -> tuple[dict, str | None]:
    """A generation's meta.json and what is wrong with it (None when sound)."""
    try:
        meta = json.loads((as_path(gen_dir) / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, f"{META_FILE} is missing"
    except (OSError, ValueError) as exc:
        return {}, f"{META_FILE} is unreadable ({one_line(exc)})"
    if not isinstance(meta, dict):
        return {}, f"{META_FILE} is a {type(meta).__name__}, not an object"
    if not _describes(meta, as_path(gen_dir).name):
        fp, dim = meta.get("fingerprint"), meta.get("dim")
        return meta, f"{META_FILE} does not describe this generation (fingerprint {fp!r}, dim {dim!r})"
    chunking = meta.get("chunking")
    if chunking is not None and not (isinstance(chunking, list) and all(isinstance(c, int) for c in chunking)):
        meta = dict(meta, chunking=None)
        return meta, f"{META_FILE} has a malformed chunking ({chunking!r})"
    return meta, None


def infer_active(data_dir: Path) -> dict | None:
    """The generation a missing or broken active.json most likely meant: a complete one, the newest first."""
    index_dir = as_path(data_dir) / INDEX_DIR
    best = None
    try:
        children = list(index_dir.iterdir())
    except OSError:
        return None
    for child in children:
        if not (child.name.startswith("g-") and child.is_dir()):
            continue
        meta, _problem = read_meta_file(child)
        if not _describes(meta, child.name):
            meta = _identify(child)
            if meta is None:
                continue
        rank = (bool(meta.get("complete")), float(meta.get("created_at") or 0))
        if best is None or rank > best[0]:
            best = (rank, child.name, meta)
    if best is None:
        return None
    _, name, meta = best
    return {
        "generation": name,
        "fingerprint": meta["fingerprint"],
        "dim": meta["dim"],
        "model": meta.get("model"),
        "model_name": meta.get("model_name", ""),
        "inferred": True,
    }


def _describes(meta: dict, name: str) -> bool:
    fp, dim = meta.get("fingerprint"), meta.get("dim")
    return (
        isinstance(fp, str) and isinstance(dim, int) and not isinstance(dim, bool) and generation_name(fp, dim) == name
    )


def _identify(gen_dir: Path) -> dict | None:
    """fingerprint and dim read from the tables themselves, for a generation whose meta.json is lost."""
    try:
        import lancedb

        chunks = lancedb.connect(str(gen_dir)).open_table(CHUNKS)
        dim = chunks.schema.field("vector").type.list_size
        rows = chunks.search().select(["model_fingerprint"]).limit(1).to_arrow().column(0).to_pylist()
    except Exception:
        return None
    meta = {"fingerprint": rows[0], "dim": dim} if rows else {}
    return meta if _describes(meta, gen_dir.name) else None


def active_generation(data_dir: Path) -> dict | None:
    """The generation queries should use: {generation, fingerprint, dim, model, model_name}.

    A missing or malformed active.json never means "no index" while a generation is on disk: the
    best candidate is returned with "inferred": True, and a writer rewrites the pointer.
    """
    record, _problem = read_pointer(data_dir)
    return record if record is not None else infer_active(data_dir)


def set_active(data_dir: Path, store: Store, model_spec: str | None, model_name: str = "") -> None:
    """Point queries at `store` (atomic rename), then drop other generations."""
    record = {
        "generation": store.path.name,
        "fingerprint": store.fingerprint,
        "dim": store.dim,
        "model": model_spec,
        "model_name": model_name,
    }
    write_pointer(data_dir, record)
    # the pointer can be rebuilt from the generation alone (infer_active) when it is lost
    store.update_meta(model=model_spec, model_name=model_name)


def write_pointer(data_dir: Path, record: dict) -> None:
    record = {k: v for k, v in record.items() if k != "inferred"}
    record["activated_at"] = time.time()
    write_atomic(as_path(data_dir) / INDEX_DIR / ACTIVE_FILE, json.dumps(record, indent=1))


def drop_generations(data_dir: Path, keep: str) -> list[str]:
    """Delete every generation folder except `keep`; returns the names dropped."""
    index_dir = as_path(data_dir) / INDEX_DIR
    dropped = []
    if not index_dir.is_dir():
        return dropped
    for child in index_dir.iterdir():
        if child.is_dir() and child.name.startswith("g-") and child.name != keep:
            remove_tree(child)
            dropped.append(child.name)
    return dropped


def set_aside(data_dir: Path, dim: int, fingerprint: str) -> Path | None:
    """Move an unreadable generation out of the way (kept for inspection, never deleted)."""
    path = as_path(data_dir) / INDEX_DIR / generation_name(fingerprint, dim)
    if not path.exists():
        return None
    if isinstance(path, ObjectPath):
        raise StoreError(f"the index at {path} cannot be read; delete that prefix, then index again")
    target = path.with_name(f"broken-{path.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(path, target)
    return target


class Store:
    def __init__(self, path: Path, dim: int, fingerprint: str, db, files_table, chunks_table):
        self.path = path
        self.dim = dim
        self.fingerprint = fingerprint
        self.db = db
        self.files_table = files_table
        self.chunks_table = chunks_table
        self.reconciled = False
        self.repairs: list[str] = []  # one line per repair made while opening (said by the indexer)
        # caches of the query side (queries/openings.py), dropped with the store when the index changes
        self.read_cache: dict[str, object] = {}

    @classmethod
    def open(cls, data_dir: Path | str, dim: int, fingerprint: str, *, create: bool = True) -> Store:
        from klein_app.index.lancedb_loader import import_lancedb

        lancedb = import_lancedb()
        path = as_path(data_dir) / INDEX_DIR / generation_name(fingerprint, dim)
        if not path.exists() and not create:
            raise StoreError(f"no index for this model at {path}")
        repairs = []
        try:
            path.mkdir(parents=True, exist_ok=True)
            from klein_app.index.private import tighten

            tighten(data_dir)
            meta, problem = read_meta_file(path)
            if problem and create:  # readers never write; a writer's open repairs
                # the folder name is the hash of (fingerprint, dim): the caller's pair is the truth
                fixed = {k: v for k, v in meta.items() if k not in ("fingerprint", "dim")}
                fixed.update(fingerprint=fingerprint, dim=dim)
                fixed.setdefault("created_at", time.time())
                write_atomic(path / META_FILE, json.dumps(fixed, indent=1))
                if problem != f"{META_FILE} is missing":
                    repairs.append(f"{problem}; rewrote it")
            # interval 0: every read sees the latest committed version, so a search run while
            # another process indexes always reflects the newest writes
            # bounded caches: LanceDB's defaults (GiBs) let a long-running watcher grow without end
            session = lancedb.Session(
                index_cache_size_bytes=INDEX_CACHE_BYTES, metadata_cache_size_bytes=METADATA_CACHE_BYTES
            )
            db = lancedb.connect(str(path), read_consistency_interval=timedelta(0), session=session)
            names = set(db.list_tables().tables)
            # a table not listed has no committed version: what a kill during its creation left behind is
            # overwritten ("already exists" otherwise), and nothing committed is lost
            files = (
                db.open_table(FILES)
                if FILES in names
                else db.create_table(FILES, schema=files_schema(), mode="overwrite")
            )
            chunks = (
                db.open_table(CHUNKS)
                if CHUNKS in names
                else db.create_table(CHUNKS, schema=chunks_schema(dim), mode="overwrite")
            )
            _check_schema(chunks, dim, path)
        except StoreError:
            raise
        except Exception as exc:  # lance raises a variety of OSError/RuntimeError/ValueError
            log.warning("cannot open the index at %s", path, exc_info=True)
            raise _broken(path, exc) from exc
        verify_readable(path, files, chunks)
        store = cls(path, dim, fingerprint, db, files, chunks)
        store.repairs = repairs
        return store

    @classmethod
    def open_active(cls, data_dir: Path | str) -> Store | None:
        """The generation queries use, opened without loading the model (for status, files)."""
        active = active_generation(data_dir)
        if active is None:
            return None
        return cls.open(data_dir, int(active["dim"]), str(active["fingerprint"]), create=False)

    # --- reading -------------------------------------------------------------------------

    def list_files(self) -> list[dict]:
        rows = self.files_table.to_arrow().to_pylist()
        rows.sort(key=lambda r: r["path"])
        return rows

    def file_rows(self, paths: list[str] | None = None) -> dict[str, dict]:
        """files rows keyed by path (all of them when paths is None)."""
        if paths is None:
            return {r["path"]: r for r in self.files_table.to_arrow().to_pylist()}
        out = {}
        for group in _groups(paths):
            where = f"path IN ({', '.join(sql_str(p) for p in group)})"
            for r in self.files_table.search().where(where).limit(None).to_arrow().to_pylist():
                out[r["path"]] = r
        return out

    def file_rows_under(self, folder: str) -> dict[str, dict]:
        """files rows for `folder` itself and everything below it, keyed by path."""
        prefix = folder.rstrip("/") + "/"
        where = f"path = {sql_str(folder)} OR starts_with(path, {sql_str(prefix)})"
        rows = self.files_table.search().where(where).limit(None).to_arrow().to_pylist()
        return {r["path"]: r for r in rows}

    def chunk_hashes(self) -> set[str]:
        tbl = self.chunks_table.search().select(["chunk_hash"]).limit(None).to_arrow()
        return set(tbl.column("chunk_hash").to_pylist())

    def read_meta(self) -> dict:
        return read_meta_file(self.path)[0]

    def update_meta(self, **fields) -> None:
        meta = self.read_meta()
        meta.update(fields, fingerprint=self.fingerprint, dim=self.dim)
        write_atomic(self.path / META_FILE, json.dumps(meta, indent=1))

    def file_chunks(self, path: str, with_vectors: bool = False) -> list[dict]:
        q = self.chunks_table.search().where(f"path = {sql_str(path)}").limit(None)
        if not with_vectors:
            q = q.select([f for f in chunks_schema(self.dim).names if f != "vector"])
        rows = q.to_arrow().to_pylist()
        rows.sort(key=lambda r: r["chunk_index"])
        return rows

    def vectors_for_hashes(self, hashes: list[str]) -> dict:
        """chunk_hash -> vector (np.ndarray) for those already in the index."""
        out = {}
        for group in _groups(sorted(set(hashes))):
            where = f"chunk_hash IN ({', '.join(sql_str(h) for h in group)})"
            tbl = self.chunks_table.search().where(where).select(["chunk_hash", "vector"]).limit(None).to_arrow()
            if tbl.num_rows == 0:
                continue
            vecs = tbl.column("vector").combine_chunks().flatten().to_numpy().reshape(-1, self.dim)
            for row, h in enumerate(tbl.column("chunk_hash").to_pylist()):
                if h not in out:
                    # a copy: a view would keep every duplicate's vector of this result alive
                    out[h] = vecs[row].copy()
        return out

    @staticmethod
    def _columns(table, names: list[str]):
        # projected scan: never pull vectors and texts into memory to look at a few columns
        return table.search().select(names).limit(None).to_arrow()

    def count_chunks(self) -> int:
        return self.chunks_table.count_rows()

    def count_files(self, status: str | None = None) -> int:
        return self.files_table.count_rows(f"status = {sql_str(status)}" if status else None)

    def disk_bytes(self) -> int:
        return tree_bytes(self.path)

    # --- writing (one writer) ------------------------------------------------------------

    def write_files(self, file_rows: list[dict], chunk_rows) -> None:
        """Replace these files' chunks and rows. Chunks first: the files row is the commit marker.

        Old chunks go before new ones arrive, so a reader never sees two versions of one file.
        """
        paths = [r["path"] for r in file_rows]
        self._delete_paths(self.chunks_table, paths)
        if chunk_rows is not None and len(chunk_rows):
            self.chunks_table.add(chunk_rows)
        self.upsert_file_rows(file_rows)

    def upsert_file_rows(self, rows: list[dict]) -> None:
        """Insert or replace files rows in one commit (no scalar index on `path`, see module doc)."""
        if not rows:
            return
        import pyarrow as pa

        data = pa.Table.from_pylist(rows, schema=files_schema())
        (self.files_table.merge_insert("path").when_matched_update_all().when_not_matched_insert_all().execute(data))

    def remove_paths(self, paths: list[str]) -> None:
        """Forget files: the files row (marker) goes first, so a crash leaves only orphan chunks."""
        self._delete_paths(self.files_table, paths)
        self._delete_paths(self.chunks_table, paths)

    def _delete_paths(self, table, paths: list[str]) -> None:
        for group in _groups(paths):
            table.delete(f"path IN ({', '.join(sql_str(p) for p in group)})")

    def reconcile(self) -> list[str]:
        """Repair what a crash between the chunk and files writes left; returns the paths repaired.

        A file counts as indexed only when its files row says `indexed` and exactly n_chunks
        chunks carry its path and sha256. Anything else loses its rows and is indexed again.
        """
        bad = self.inconsistent_paths()
        if bad:
            self.remove_paths(bad)
        self.reconciled = True
        return bad

    def inconsistent_paths(self) -> list[str]:
        """Paths whose files row and chunks disagree (the check behind reconcile(); writes nothing)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        files = self._columns(self.files_table, ["path", "sha256", "status", "n_chunks"])
        chunks = self._columns(self.chunks_table, ["path", "file_sha256", "chunk_index"])
        counts = chunks.group_by(["path", "file_sha256"]).aggregate(
            [("chunk_index", "count"), ("chunk_index", "count_distinct")]
        )
        seen = {}
        for p, sha, n, nd in zip(
            counts.column("path").to_pylist(),
            counts.column("file_sha256").to_pylist(),
            counts.column("chunk_index_count").to_pylist(),
            counts.column("chunk_index_count_distinct").to_pylist(),
        ):
            seen.setdefault(p, []).append((sha, n, nd))
        bad = set()
        indexed = pc.equal(files.column("status"), pa.scalar("indexed"))
        marker = {}
        for p, sha, _status, n, ok in zip(
            files.column("path").to_pylist(),
            files.column("sha256").to_pylist(),
            files.column("status").to_pylist(),
            files.column("n_chunks").to_pylist(),
            indexed.to_pylist(),
        ):
            marker[p] = (sha, n if ok else 0)
        for p, groups in seen.items():
            if p not in marker:
                bad.add(p)  # orphan chunks: their files row never landed or was removed
                continue
            sha, n = marker[p]
            if len(groups) != 1 or groups[0] != (sha, n, n):
                bad.add(p)
        for p, (_sha, n) in marker.items():
            if n and p not in seen:
                bad.add(p)
        return sorted(bad)

    # --- upkeep --------------------------------------------------------------------------

    def ensure_fts_index(self) -> None:
        """Create the full-text index on chunk text once; optimize() keeps it up to date."""
        if self.count_chunks() == 0:
            return
        for idx in self.chunks_table.list_indices():
            if "text" in list(getattr(idx, "columns", []) or []):
                return
        from lancedb.index import FTS

        # the column goes where the vector API puts its metric: lancedb's documented FTS form
        # a bounded build heap: the default (about 1 GiB) would set the process's peak RSS
        self.chunks_table.create_index("text", config=FTS(memory_limit=FTS_BUILD_MB), replace=True)

    def optimize(self) -> None:
        """Compact fragments, fold new rows into indices, prune old versions."""
        for table in (self.chunks_table, self.files_table):
            table.optimize(cleanup_older_than=KEEP_OLD_VERSIONS)


def verify_readable(path: Path, files, chunks) -> None:
    """Every data file of both tables can be read: a projected scan of one small column opens each
    fragment (a missing or truncated data file fails here, not in the middle of a search)."""
    try:
        files.search().select(["n_chunks"]).limit(None).to_arrow()
        chunks.search().select(["chunk_index"]).limit(None).to_arrow()
    except Exception as exc:
        raise _broken(path, exc) from exc


def _broken(path: Path, exc: Exception) -> BrokenIndex:
    return BrokenIndex(
        f"the index at {path} is damaged ({lance_reason(exc)}); `klein-search index` rebuilds it from your files"
    )


def lance_reason(exc: BaseException) -> str:
    """lance's message without its source locations: "a data file is missing (chunks.lance/data/x.lance)"."""
    import re

    text = one_line(exc, 600)
    missing = re.search(r"Not found: \S*?([^/\s]+\.lance/\S+?)(?:,|\s|$)", text)
    if missing:
        return f"a data file is missing: {missing.group(1)}"
    return re.split(r",\s*/\S*\.cargo/", text)[0][:200]


def _check_schema(chunks, dim: int, path: Path) -> None:
    field = chunks.schema.field("vector")
    size = getattr(field.type, "list_size", None)
    if size != dim:
        raise StoreError(f"the index at {path} holds {size}-d vectors, the model makes {dim}-d ones")


def _groups(items: list[str]):
    for i in range(0, len(items), _IN_BATCH):
        yield items[i : i + _IN_BATCH]
