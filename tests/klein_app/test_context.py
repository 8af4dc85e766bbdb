"""The context's reader store: opened once, opened again only when the index on disk changes."""

from __future__ import annotations

from klein_app.index.store import ACTIVE_FILE, INDEX_DIR


def test_reader_store_is_reused_without_a_pointer_and_follows_the_index_folder(indexed_ctx):
    # an index whose active.json is gone (deleted, or written by other tools) is still found, and a
    # long-lived service must not reopen its tables on every request
    (indexed_ctx.paths.data_dir / INDEX_DIR / ACTIVE_FILE).unlink()
    first = indexed_ctx.reader_store()
    assert first is not None and first.count_files() > 0
    assert indexed_ctx.reader_store() is first
    (indexed_ctx.paths.data_dir / INDEX_DIR / "g-new-generation").mkdir()
    assert indexed_ctx.reader_store() is not first


def test_reader_store_is_none_when_nothing_was_indexed(make_ctx, tmp_path):
    ctx = make_ctx([tmp_path])
    assert ctx.reader_store() is None
