import numpy as np
import pyarrow as pa
import pytest

from klein_app.index.store import (
    BrokenIndex,
    Store,
    StoreError,
    active_generation,
    chunks_schema,
    set_active,
    set_aside,
)

DIM = 4


def chunk_table(path, n, sha, text="chunk"):
    rows = [
        dict(
            path=path,
            chunk_index=i,
            start_line=i + 1,
            end_line=i + 1,
            text=f"{text} {i} of {path}",
            vector=list(np.full(DIM, i, dtype=np.float32)),
            chunk_hash=f"{sha}-{i}",
            file_sha256=sha,
            model_fingerprint="fp",
        )
        for i in range(n)
    ]
    return pa.Table.from_pylist(rows, schema=chunks_schema(DIM))


def file_row(path, n, sha, status="indexed"):
    return dict(
        path=path, folder="/r", size=1, mtime=1.0, sha256=sha, status=status, skip_reason="", n_chunks=n, indexed_at=0.0
    )


@pytest.fixture
def store(tmp_path):
    return Store.open(tmp_path, DIM, "fp")


AWKWARD = ["/r/it's.txt", "/r/new\nline.txt", "/r/back\\slash.txt", "/r/pct%_.txt", "/r/ünï.txt"]


def test_write_replace_and_remove_with_awkward_paths(store):
    for p in AWKWARD:
        store.write_files([file_row(p, 2, "a")], chunk_table(p, 2, "a"))
    assert store.count_chunks() == 2 * len(AWKWARD)
    for p in AWKWARD:
        store.write_files([file_row(p, 1, "b")], chunk_table(p, 1, "b"))
        assert [c["file_sha256"] for c in store.file_chunks(p)] == ["b"]
    store.remove_paths(AWKWARD[:2])
    assert sorted(store.file_rows()) == sorted(AWKWARD[2:])
    assert store.count_chunks() == 3


def test_rows_under_a_folder_do_not_match_siblings(store):
    for p in ["/r/a/x", "/r/ab/y", "/r/a"]:
        store.write_files([file_row(p, 1, "s")], chunk_table(p, 1, "s"))
    assert sorted(store.file_rows_under("/r/a")) == ["/r/a", "/r/a/x"]


def test_reconcile_repairs_every_half_written_state(store):
    store.write_files([file_row("/r/good", 2, "g")], chunk_table("/r/good", 2, "g"))
    # chunks landed, files row did not (crash between the two writes)
    store.chunks_table.add(chunk_table("/r/orphan", 2, "o"))
    # new chunks landed, files row still describes the old version
    store.write_files([file_row("/r/stale", 1, "old")], chunk_table("/r/stale", 1, "old"))
    store.chunks_table.add(chunk_table("/r/stale", 2, "new"))
    # files row says 3 chunks, only 1 there
    store.chunks_table.add(chunk_table("/r/short", 1, "s"))
    store.upsert_file_rows([file_row("/r/short", 3, "s")])
    # a duplicate chunk
    store.write_files([file_row("/r/dup", 1, "d")], chunk_table("/r/dup", 1, "d"))
    store.chunks_table.add(chunk_table("/r/dup", 1, "d"))
    repaired = store.reconcile()
    assert repaired == ["/r/dup", "/r/orphan", "/r/short", "/r/stale"]
    assert list(store.file_rows()) == ["/r/good"]
    assert store.count_chunks() == 2
    assert store.reconcile() == []


def test_vectors_by_chunk_hash(store):
    store.write_files([file_row("/r/a", 3, "a")], chunk_table("/r/a", 3, "a"))
    found = store.vectors_for_hashes(["a-2", "a-0", "nope"])
    assert sorted(found) == ["a-0", "a-2"]
    assert np.allclose(found["a-2"], 2.0)


def test_fts_index_and_optimize_keep_new_rows_searchable(store):
    store.write_files([file_row("/r/a", 2, "a")], chunk_table("/r/a", 2, "a", text="zebra"))
    store.ensure_fts_index()
    store.ensure_fts_index()  # idempotent
    store.write_files([file_row("/r/b", 1, "b")], chunk_table("/r/b", 1, "b", text="zebra"))
    hits = store.chunks_table.search("zebra", query_type="fts").limit(10).to_arrow().column("path").to_pylist()
    assert sorted(hits) == ["/r/a", "/r/a", "/r/b"]
    before = store.chunks_table.version
    store.optimize()
    assert store.chunks_table.version >= before
    assert store.disk_bytes() > 0


def test_generations_and_active_pointer(tmp_path):
    old = Store.open(tmp_path, DIM, "model-a")
    new = Store.open(tmp_path, 8, "model-b")
    assert old.path != new.path
    assert active_generation(tmp_path)["inferred"]  # no pointer yet: never "no index" while one is on disk
    set_active(tmp_path, old, "/models/a", "a")
    assert Store.open_active(tmp_path).path == old.path
    set_active(tmp_path, new, None, "b")
    assert active_generation(tmp_path)["fingerprint"] == "model-b"


def test_corrupt_index_gives_a_clear_error_and_can_be_set_aside(tmp_path):
    s = Store.open(tmp_path, DIM, "fp")
    s.write_files([file_row("/r/a", 1, "a")], chunk_table("/r/a", 1, "a"))
    for manifest in (s.path / "chunks.lance" / "_versions").iterdir():
        manifest.write_bytes(b"garbage")
    with pytest.raises(BrokenIndex, match="is damaged .*`klein-search index` rebuilds it"):
        Store.open(tmp_path, DIM, "fp")
    moved = set_aside(tmp_path, DIM, "fp")
    assert moved.exists() and not s.path.exists()
    assert Store.open(tmp_path, DIM, "fp").count_chunks() == 0


def test_wrong_dimension_is_refused(tmp_path):
    Store.open(tmp_path, DIM, "fp")
    from klein_app.index import store as store_mod

    gen = tmp_path / "index" / store_mod.generation_name("fp", DIM)
    assert gen.exists()
    # a generation whose vectors do not fit the model is an error, never silently mixed
    import lancedb

    db = lancedb.connect(str(tmp_path / "index" / store_mod.generation_name("fp2", 16)))
    db.create_table("chunks", schema=chunks_schema(DIM))
    with pytest.raises(StoreError, match="4-d vectors"):
        Store.open(tmp_path, 16, "fp2")
