import hashlib
import os
import shutil

import numpy as np
import pytest

from klein_app.index.indexer import index_paths
from klein_app.index.store import active_generation
from klein_app.sources.readers import READERS_VERSION

PARAS = [
    f"Paragraph {i} talks about topic number {i}: rivers, mountains and the weather of region {i}." for i in range(12)
]
LONG = "\n\n".join(PARAS) + "\n"


def all_chunks(store):
    return store.chunks_table.to_arrow().to_pylist()


def disk_view(store):
    """{path: [chunk texts]} as the index has it."""
    out = {}
    for r in sorted(all_chunks(store), key=lambda r: (r["path"], r["chunk_index"])):
        out.setdefault(r["path"], []).append(r["text"])
    return out


@pytest.fixture
def corpus(tmp_path, make_corpus):
    return make_corpus(tmp_path / "c", {"long.md": LONG, "a.txt": "alpha beta gamma\n", "sub/b.txt": "delta\n"})


@pytest.fixture
def ctx(corpus, make_ctx):
    return make_ctx([corpus], chunk_tokens=32, overlap_tokens=4)


def test_first_run_indexes_everything_consistently(ctx, corpus, tiny_model):
    r = index_paths(ctx)
    assert (r.indexed, r.skipped, r.removed) == (3, 0, 0)
    chunks = all_chunks(ctx.store)
    assert r.chunks_embedded == len(chunks) > 3
    files = ctx.store.file_rows()
    for path, row in files.items():
        mine = [c for c in chunks if c["path"] == path]
        assert row["n_chunks"] == len(mine)
        assert row["sha256"] == hashlib.sha256(open(path, "rb").read()).hexdigest()
        assert sorted(c["chunk_index"] for c in mine) == list(range(len(mine)))
    # vectors are the model's, and line ranges point at the chunk's text
    lines = LONG.split("\n")
    long_chunks = [c for c in chunks if c["path"].endswith("long.md")]
    expected = tiny_model.encode([c["text"] for c in long_chunks])
    for c, v in zip(long_chunks, expected):
        assert np.allclose(c["vector"], v, atol=1e-5)
        span = "\n".join(lines[c["start_line"] - 1 : c["end_line"]])
        assert c["text"] in span
    assert active_generation(ctx.data_dir)["fingerprint"] == tiny_model.fingerprint


def test_unchanged_corpus_costs_no_reading(ctx, corpus, monkeypatch):
    index_paths(ctx)
    import klein_app.index.indexer as mod

    def boom(*a, **k):
        raise AssertionError("an unchanged file was read")

    monkeypatch.setattr(mod._Run, "_prepare", boom)
    r = index_paths(ctx)
    assert (r.indexed, r.unchanged, r.chunks_embedded) == (0, 3, 0)


def test_mtime_only_change_costs_a_hash_not_an_embedding(ctx, corpus):
    index_paths(ctx)
    os.utime(corpus / "long.md", (1_000_000_000, 1_000_000_000))
    r = index_paths(ctx)
    assert r.chunks_embedded == 0 and r.indexed == 0 and r.unchanged == 3
    assert ctx.store.file_rows()[str(corpus / "long.md")]["mtime"] == 1_000_000_000
    r = index_paths(ctx)
    assert r.unchanged == 3 and r.chunks_embedded == 0


def test_edit_reuses_vectors_of_unchanged_chunks(ctx, corpus):
    index_paths(ctx)
    before = len(ctx.store.file_chunks(str(corpus / "long.md")))
    edited = LONG.replace("Paragraph 11 talks", "Paragraph eleven now argues")
    (corpus / "long.md").write_text(edited)
    r = index_paths(ctx)
    assert r.indexed == 1
    assert 0 < r.chunks_embedded < before
    assert r.chunks_reused >= before - 2
    assert "".join(disk_view(ctx.store)[str(corpus / "long.md")]).count("eleven now argues") >= 1


def test_rename_and_move_are_rekeyed_without_embedding(ctx, corpus):
    index_paths(ctx)
    old_vectors = {c["chunk_hash"]: c["vector"] for c in all_chunks(ctx.store)}
    os.rename(corpus / "long.md", corpus / "renamed.md")
    shutil.move(str(corpus / "sub"), str(corpus / "moved"))
    r = index_paths(ctx)
    assert r.chunks_embedded == 0
    assert r.removed == 2 and r.indexed == 2
    view = disk_view(ctx.store)
    assert sorted(os.path.relpath(p, corpus) for p in view) == ["a.txt", "moved/b.txt", "renamed.md"]
    for c in all_chunks(ctx.store):
        assert np.array_equal(c["vector"], old_vectors[c["chunk_hash"]])


def test_deleted_files_and_folders_leave_no_rows(ctx, corpus):
    index_paths(ctx)
    os.remove(corpus / "a.txt")
    shutil.rmtree(corpus / "sub")
    r = index_paths(ctx)
    assert r.removed == 2
    assert list(ctx.store.file_rows()) == [str(corpus / "long.md")]
    assert set(disk_view(ctx.store)) == {str(corpus / "long.md")}


def test_partial_update_of_given_paths(ctx, corpus):
    index_paths(ctx)
    (corpus / "sub" / "c.txt").write_text("epsilon\n")
    os.remove(corpus / "a.txt")  # outside the given path: not looked at
    r = index_paths(ctx, [str(corpus / "sub")])
    assert r.indexed == 1 and r.removed == 0
    assert str(corpus / "a.txt") in ctx.store.file_rows()
    r = index_paths(ctx, [str(corpus / "a.txt")])
    assert r.removed == 1


def test_chunk_setting_change_rechunks_everything(ctx, corpus):
    index_paths(ctx)
    n_small = ctx.store.count_chunks()
    ctx.settings.chunk_tokens = 128
    ctx.settings.overlap_tokens = 16
    r = index_paths(ctx)
    assert r.indexed == 3
    assert ctx.store.count_chunks() < n_small


def test_an_index_from_older_readers_reads_every_file_once_again(ctx, corpus):
    index_paths(ctx)
    assert ctx.store.read_meta()["readers"] == READERS_VERSION
    ctx.store.update_meta(readers=READERS_VERSION - 1)  # as an older release left it
    r = index_paths(ctx)
    assert r.indexed == 3 and r.chunks_embedded == 0  # same text: every vector is reused
    assert ctx.store.read_meta()["readers"] == READERS_VERSION
    assert index_paths(ctx).unchanged == 3


def test_unwatched_folder_rows_go_missing_folder_rows_stay(tmp_path, make_corpus, make_ctx):
    a = make_corpus(tmp_path / "a", {"x.txt": "one\n"})
    b = make_corpus(tmp_path / "b", {"y.txt": "two\n"})
    ctx = make_ctx([a, b])
    index_paths(ctx)
    shutil.rmtree(b)
    r = index_paths(ctx)
    assert r.missing_folders == [str(b)]
    assert sorted(ctx.store.file_rows()) == [str(a / "x.txt"), str(b / "y.txt")]
    ctx.settings.folders = [str(a)]
    index_paths(ctx)
    assert sorted(ctx.store.file_rows()) == [str(a / "x.txt")]


def test_nested_and_symlinked_roots_index_each_file_once(tmp_path, make_corpus, make_ctx):
    root = make_corpus(tmp_path / "r", {"in/x.txt": "one\n", "y.txt": "two\n"})
    os.symlink(root / "in", tmp_path / "alias")
    ctx = make_ctx([root, root / "in", tmp_path / "alias"])
    index_paths(ctx)
    indexed = [p for p, r in ctx.store.file_rows().items() if r["status"] == "indexed"]
    assert sorted(indexed) == [str(root / "in" / "x.txt"), str(root / "y.txt")]


def test_file_deleted_or_growing_while_indexing(ctx, corpus, monkeypatch):
    import klein_app.index.indexer as mod

    original = mod._Run._prepare

    def racing(self, entry, old, rechunk):
        if entry.path.endswith("a.txt"):
            os.remove(entry.path)
        if entry.path.endswith("b.txt"):
            with open(entry.path, "a") as fh:
                fh.write("grew while being read\n")
        return original(self, entry, old, rechunk)

    monkeypatch.setattr(mod._Run, "_prepare", racing)
    index_paths(ctx)
    rows = ctx.store.file_rows()
    assert str(corpus / "a.txt") not in rows
    b = rows[str(corpus / "sub" / "b.txt")]
    assert b["sha256"] == hashlib.sha256((corpus / "sub" / "b.txt").read_bytes()).hexdigest()
    monkeypatch.setattr(mod._Run, "_prepare", original)
    r = index_paths(ctx)
    assert r.chunks_embedded == 0


def test_model_change_builds_beside_the_old_index_then_swaps(tmp_path, corpus, make_ctx, tiny_model):
    import klein_model
    from klein_model.testing import make_tiny_model

    ctx = make_ctx([corpus])
    index_paths(ctx)
    old_gen = ctx.store.path
    other_path = make_tiny_model(tmp_path / "other", hidden=48, seed=3)
    other = klein_model.load(str(other_path), precision="float32", threads=1)
    ctx.settings.model = str(other_path)
    ctx.save_settings()
    from klein_app.context import AppContext
    from klein_app.settings import load_settings

    ctx2 = AppContext(ctx.paths, load_settings(ctx.paths), model=other)
    # before the new index is built, queries still use the old model and its index
    assert ctx2.store.path == old_gen
    assert ctx2.model.fingerprint == tiny_model.fingerprint
    r = index_paths(ctx2)
    assert r.swapped and r.indexed == 3
    assert ctx2.store.fingerprint == other.fingerprint and ctx2.model is other
    assert not old_gen.exists()
    assert {c["model_fingerprint"] for c in all_chunks(ctx2.store)} == {other.fingerprint}
    assert ctx2.store.chunks_table.schema.field("vector").type.list_size == 48


BAD = {
    "ok.md": "# fine\n\nthis one is indexed\n",
    "binary.dat": bytes(range(256)),
    "nul.txt": b"text with a \x00 byte",
    "empty.txt": b"",
    "utf16-bom.txt": b"\xff\xfe" + "UTF-16 with a BOM is read".encode("utf-16-le"),
    "utf16-nobom.txt": "no BOM here".encode("utf-16-le"),
    "latin1.txt": "caf\xe9 cr\xe8me br\xfbl\xe9e, d\xe9j\xe0 vu \xe0 l'\xe9t\xe9".encode("latin-1") * 3,
    "corrupt.pdf": b"%PDF-1.4 garbage",
    "fake.docx": b"not a zip at all",
    "big.txt": b"x" * 700_000,
    "one_line.txt": ("word " * 60_000).encode(),
    "new\nline.txt": "a name with a newline\n",
}


def test_bad_input_is_skipped_with_reasons_and_never_stops_the_run(tmp_path, make_corpus, make_ctx):
    root = make_corpus(tmp_path / "bad", BAD)
    os.mkfifo(root / "fifo")
    os.symlink(root / "missing", root / "broken-link")
    os.symlink("loop", root / "loop")
    with open(os.path.join(os.fsencode(root), b"bad\xffname.txt"), "wb") as fh:
        fh.write(b"content")
    ctx = make_ctx([root], max_file_mb=0.5)
    r = index_paths(ctx)
    rows = {os.path.relpath(p, root): row for p, row in ctx.store.file_rows().items()}
    reasons = {p: row["skip_reason"] for p, row in rows.items() if row["status"] != "indexed"}
    indexed = sorted(p for p, row in rows.items() if row["status"] == "indexed")
    assert indexed == ["latin1.txt", "new\nline.txt", "ok.md", "one_line.txt", "utf16-bom.txt"]
    assert reasons["binary.dat"] == "binary file (.dat)"
    assert "NUL" in reasons["nul.txt"] and "NUL" in reasons["utf16-nobom.txt"]
    assert reasons["empty.txt"] == "empty file"
    assert reasons["corrupt.pdf"].startswith("unreadable PDF")
    assert reasons["fake.docx"].startswith("not a valid DOCX")
    assert reasons["big.txt"] == "larger than 0.5 MB"
    assert reasons["fifo"] == "not a regular file (fifo)"
    assert reasons["broken-link"] == "broken symlink"
    assert reasons["loop"] == "symlink loop"
    assert any(r == "file name is not valid UTF-8" for r in reasons.values())
    assert r.errors == 0
    assert len(ctx.store.file_chunks(str(root / "one_line.txt"))) > 10
    # a second run is quiet: skipped files stay skipped without being read again
    r2 = index_paths(ctx)
    assert r2.indexed == 0 and r2.chunks_embedded == 0
    # each file is counted once: unchanged skipped files are "skipped", not also "unchanged"
    for rep in (r, r2):
        assert rep.indexed + rep.unchanged + rep.skipped + rep.errors == rep.files_seen
    assert r2.unchanged == len(indexed) and r2.skipped == len(reasons)


def test_secrets_never_reach_the_index(tmp_path, make_corpus, make_ctx):
    token = "TOPSECRET-8d1f"
    root = make_corpus(
        tmp_path / "home",
        {
            ".ssh/id_rsa": token,
            ".aws/credentials": token,
            ".env": token,
            ".env.production": token,
            "project/.env.local": token,
            "project/server.key": token,
            "project/cert.pem": token,
            "keys/id_ed25519": token,
            ".gnupg/secring.gpg": token,
            ".mozilla/firefox/x/logins.json": token,
            "notes.md": "nothing to hide here\n",
        },
    )
    ctx = make_ctx([root], index_hidden=True)
    index_paths(ctx)
    rows = ctx.store.file_rows()
    assert list(rows) == [str(root / "notes.md")]
    assert all(token not in c["text"] for c in all_chunks(ctx.store))


def test_identical_files_in_one_run_are_embedded_once(tmp_path, make_corpus, make_ctx):
    root = make_corpus(tmp_path / "dup", {f"copy{i}/LICENSE": LONG for i in range(4)})
    ctx = make_ctx([root], chunk_tokens=32, overlap_tokens=4)
    r = index_paths(ctx)
    per_file = len(ctx.store.file_chunks(str(root / "copy0" / "LICENSE")))
    assert r.indexed == 4 and ctx.store.count_chunks() == 4 * per_file
    assert r.chunks_embedded == per_file and r.chunks_reused == 3 * per_file


def test_memory_stays_bounded_with_many_large_files(tmp_path, make_corpus, make_ctx, monkeypatch):
    import klein_app.index.indexer as mod

    monkeypatch.setattr(mod, "_IN_FLIGHT_CHUNKS", 40)
    seen = []
    original = mod.Budget.acquire

    def spy(self, n):
        ok = original(self, n)
        seen.append(self.used)
        return ok

    monkeypatch.setattr(mod.Budget, "acquire", spy)
    root = make_corpus(tmp_path / "many", {f"f{i}.md": LONG.replace("Paragraph", f"P{i}") for i in range(8)})
    ctx = make_ctx([root], chunk_tokens=32, overlap_tokens=4)
    r = index_paths(ctx)
    per_file = ctx.store.count_chunks() // 8
    assert r.indexed == 8 and max(seen) <= 40 + per_file


def test_many_copies_of_one_text_are_looked_up_once(tmp_path, make_corpus, make_ctx, monkeypatch):
    root = make_corpus(tmp_path / "lic", {f"pkg{i}/copyright": LONG for i in range(3)})
    ctx = make_ctx([root], chunk_tokens=32, overlap_tokens=4)
    index_paths(ctx)
    for i in range(3, 9):
        make_corpus(root, {f"pkg{i}/copyright": LONG})
    calls = []
    original = type(ctx.store).vectors_for_hashes

    def spy(self, hashes):
        out = original(self, hashes)
        calls.append(len(hashes))
        assert all(v.base is None for v in out.values())  # owned copies, not views of a big result
        return out

    monkeypatch.setattr(type(ctx.store), "vectors_for_hashes", spy)
    r = index_paths(ctx)
    assert r.indexed == 6 and r.chunks_embedded == 0
    assert len(calls) == 1
