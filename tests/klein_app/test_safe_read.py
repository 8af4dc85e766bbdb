"""No read blocks or runs unbounded: a FIFO swapped in between the walk and the read, FIFO ignore files."""

import os
import threading
import time

import pytest

from klein_app.index.indexer import index_paths
from klein_app.settings import Settings
from klein_app.sources.readers import ReadError
from klein_app.sources.safe_read import NotRegularFile, ReadTimedOut, open_regular, read_bounded
from klein_app.sources.walk import Walker


def finishes(fn, seconds=60.0):
    """Run fn in a thread; the test fails (instead of hanging) when it blocks."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # surfaced below
            out["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "blocked"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(NotRegularFile, match=r"not a regular file \(fifo\)"):
        finishes(lambda: read_bounded(str(tmp_path / "pipe"), 100), 10)
    with pytest.raises(NotRegularFile, match="folder"):
        read_bounded(str(tmp_path), 100)


def test_reads_are_bounded_in_size_and_time(tmp_path):
    p = tmp_path / "f.txt"
    p.write_bytes(b"x" * 5000)
    assert len(read_bounded(str(p), 1000)) == 1001  # one past the cap says "too large"
    with open_regular(str(p), timeout=-1) as fh:
        with pytest.raises(ReadTimedOut):
            fh.read(10)
    assert issubclass(ReadTimedOut, ReadError)


def test_file_swapped_for_a_fifo_after_the_walk_does_not_hang_index(tmp_path, make_corpus, make_ctx, monkeypatch):
    root = make_corpus(tmp_path / "c", {"a.txt": "alpha\n", "swap.txt": "will become a fifo\n"})
    ctx = make_ctx([root])
    import klein_app.index.indexer as mod

    real = mod._Run._prepare

    def swap_then_prepare(self, entry, old, rechunk):
        if entry.path.endswith("swap.txt"):
            os.remove(entry.path)
            os.mkfifo(entry.path)
        return real(self, entry, old, rechunk)

    monkeypatch.setattr(mod._Run, "_prepare", swap_then_prepare)
    report = finishes(lambda: index_paths(ctx))
    assert report.indexed == 1
    row = ctx.store.file_rows()[str(root / "swap.txt")]
    assert row["status"] == "skipped" and row["skip_reason"] == "not a regular file (fifo)"


def test_fifo_ignore_file_does_not_block_the_walk(tmp_path):
    (tmp_path / "a.txt").write_text("a")
    os.mkfifo(tmp_path / ".gitignore")
    entries = finishes(lambda: list(Walker(Settings()).walk(str(tmp_path))), 20)
    assert [os.path.basename(e.path) for e in entries if not e.skip_reason] == ["a.txt"]


def test_watcher_survives_a_file_swapped_for_a_fifo(tmp_path, make_corpus, make_ctx, monkeypatch):
    from klein_app.index.watcher import Watcher

    root = make_corpus(tmp_path / "w", {"a.md": "first\n"})
    ctx = make_ctx([root])
    import klein_app.index.indexer as mod

    real = mod._Run._prepare

    def swap_then_prepare(self, entry, old, rechunk):
        if entry.path.endswith("swap.txt"):
            os.remove(entry.path)
            os.mkfifo(entry.path)
        return real(self, entry, old, rechunk)

    monkeypatch.setattr(mod._Run, "_prepare", swap_then_prepare)
    w = Watcher(ctx, debounce_s=0.2, max_wait_s=1.0)
    w.start()
    try:
        assert w.wait_idle(30)
        (root / "swap.txt").write_text("becomes a fifo between the event and the read\n")
        time.sleep(0.5)
        assert w.wait_idle(30), "the watcher's batch blocked"
        (root / "later.md").write_text("written after the fifo\n")
        time.sleep(0.5)
        assert w.wait_idle(30)
        rows = ctx.store.file_rows()
        assert rows[str(root / "later.md")]["status"] == "indexed"
        assert rows[str(root / "swap.txt")]["skip_reason"] == "not a regular file (fifo)"
    finally:
        w.stop()
