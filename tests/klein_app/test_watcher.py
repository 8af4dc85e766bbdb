import errno
import os
import shutil
import time

import pytest

from klein_app.index.indexer import index_paths
from klein_app.index.lock import IndexBusy
from klein_app.index.watcher import Watcher


def view(store):
    out = {}
    for r in sorted(store.chunks_table.to_arrow().to_pylist(), key=lambda r: (r["path"], r["chunk_index"])):
        out.setdefault(r["path"], []).append(r["text"])
    return out


def wait_for(pred, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def watched(tmp_path, make_corpus, make_ctx):
    root = make_corpus(tmp_path / "w", {"a.md": "first version of a\n", "sub/b.txt": "bee\n"})
    ctx = make_ctx([root])
    events = []
    w = Watcher(ctx, on_event=events.append, debounce_s=0.2, max_wait_s=1.0)
    w.start()
    assert w.wait_idle(30)
    yield ctx, root, w, events
    w.stop()


def test_an_edit_is_searchable_soon_after_save(watched):
    ctx, root, w, events = watched
    assert sorted(view(ctx.store)) == [str(root / "a.md"), str(root / "sub" / "b.txt")]
    t0 = time.monotonic()
    # editors save through a temp file and a rename
    tmp = root / ".a.md.swp"
    tmp.write_text("second version of a, about volcanoes\n")
    os.replace(tmp, root / "a.md")
    assert wait_for(lambda: "volcanoes" in "".join(view(ctx.store).get(str(root / "a.md"), [])))
    assert time.monotonic() - t0 < 5.0
    assert str(tmp) not in view(ctx.store)
    assert any(e.kind == "indexed" for e in events)


def test_a_second_writer_is_refused_while_watching(watched, make_ctx):
    ctx, root, w, events = watched
    from klein_app.context import AppContext

    other = AppContext(ctx.paths, ctx.settings, model=ctx.index_model)
    with pytest.raises(IndexBusy, match="another klein-search process"):
        index_paths(other)


def test_churn_settles_to_exactly_the_disk(tmp_path, make_corpus, make_ctx):
    root = tmp_path / "churn"
    root.mkdir()
    ctx = make_ctx([root])
    w = Watcher(ctx, debounce_s=0.3, max_wait_s=2.0)
    w.start()
    try:
        assert w.wait_idle(30)
        for d in range(4):
            (root / f"d{d}").mkdir()
            for i in range(55):
                (root / f"d{d}" / f"f{i}.txt").write_text(f"file {i} in folder {d}: text about item {i * d}\n")
            time.sleep(0.05)
        for i in range(0, 55, 3):
            (root / "d0" / f"f{i}.txt").write_text(f"modified file {i}, now about gardens\n")
        for i in range(40):
            os.rename(root / "d1" / f"f{i}.txt", root / "d2" / f"moved{i}.txt")
        for i in range(40):
            os.remove(root / "d3" / f"f{i}.txt")
        os.rename(root / "d2", root / "d2-renamed")
        shutil.rmtree(root / "d1")
        (root / "late").mkdir()
        for i in range(10):
            (root / "late" / f"l{i}.md").write_text(f"late file {i}\n")
        time.sleep(0.5)
        assert w.wait_idle(60)
    finally:
        w.stop()
    fresh = make_ctx([root])
    index_paths(fresh)
    assert view(ctx.store) == view(fresh.store)
    assert len(view(ctx.store)) == 55 + (55 + 40) + 15 + 10  # d0, d2 with the moved files, d3, late


def test_polling_fallback_when_the_inotify_limit_is_hit(tmp_path, make_corpus, make_ctx, monkeypatch):
    import watchdog.observers

    class Exhausted(watchdog.observers.Observer):
        def schedule(self, *a, **k):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", Exhausted)
    root = make_corpus(tmp_path / "p", {"a.txt": "alpha\n"})
    ctx = make_ctx([root])
    events = []
    w = Watcher(ctx, on_event=events.append, debounce_s=0.2, poll_interval_s=0.3)
    w.start()
    try:
        assert w.wait_idle(30)
        msgs = [e.message for e in events if e.kind == "polling"]
        assert msgs and "inotify watch limit" in msgs[0]
        (root / "b.txt").write_text("bravo\n")
        assert wait_for(lambda: str(root / "b.txt") in view(ctx.store))
    finally:
        w.stop()


def test_watched_folder_disappears_and_returns(tmp_path, make_corpus, make_ctx):
    root = make_corpus(tmp_path / "gone", {"a.txt": "alpha\n"})
    ctx = make_ctx([root])
    events = []
    w = Watcher(ctx, on_event=events.append, debounce_s=0.2)
    w.start()
    try:
        assert w.wait_idle(30)
        shutil.rmtree(root)
        assert wait_for(lambda: any(e.kind == "folder-missing" for e in events))
        root.mkdir()
        (root / "back.txt").write_text("it came back\n")
        assert wait_for(lambda: str(root / "back.txt") in view(ctx.store))
        assert not any(e.kind == "error" for e in events)
    finally:
        w.stop()


def test_a_folder_added_from_elsewhere_is_picked_up(watched, tmp_path, make_corpus):
    ctx, root, w, events = watched
    from klein_app.settings import load_settings, save_settings

    extra = make_corpus(tmp_path / "extra", {"x.md": "added while watching\n"})
    s = load_settings(ctx.paths)
    s.folders.append(str(extra))
    time.sleep(0.05)  # a distinct config mtime
    save_settings(ctx.paths, s)
    assert wait_for(lambda: str(extra / "x.md") in view(ctx.store))
    (extra / "y.md").write_text("and then edited\n")
    assert wait_for(lambda: str(extra / "y.md") in view(ctx.store))


def test_an_index_inside_a_watched_folder_does_not_index_itself(tmp_path, make_corpus, make_ctx):
    root = make_corpus(tmp_path / "home", {"a.txt": "alpha\n"})
    ctx = make_ctx([root], db=root / "klein-db")
    events = []
    w = Watcher(ctx, on_event=events.append, debounce_s=0.2)
    w.start()
    try:
        assert w.wait_idle(30)
        time.sleep(1.5)  # our own writes must not trigger more batches
        batches = [e for e in events if e.kind == "indexed"]
        assert len(batches) <= 2
        assert list(ctx.store.file_rows()) == [str(root / "a.txt")]
    finally:
        w.stop()


def test_rescan_runs_in_the_watchers_loop(watched):
    ctx, root, w, events = watched
    assert ctx.store is not None
    assert ctx.model_loaded
    before = sum(e.kind == "indexed" for e in events)
    w.rescan()
    assert w.wait_idle(30)
    assert sum(e.kind == "indexed" for e in events) == before + 1
    assert sorted(view(ctx.store)) == [str(root / "a.md"), str(root / "sub" / "b.txt")]
