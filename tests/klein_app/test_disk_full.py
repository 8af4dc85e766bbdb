"""A full disk gives one line, leaves a consistent index, and indexing resumes once there is room.

The first test fills a real tmpfs (needs the right to mount, as root in a container); the second
injects ENOSPC at the store's write layer, so the behaviour is checked everywhere.
"""

import errno
import json
import subprocess

import pytest

from klein_app.cli import main
from klein_app.settings import Settings, resolve_paths, save_settings

TEXT = "".join(f"Line {i}: a sentence about subject {i} and what it means for topic {i % 17}.\n" for i in range(60))


@pytest.fixture
def corpus(tmp_path, make_corpus):
    return make_corpus(tmp_path / "notes", {f"n{i:03d}.md": f"file {i}\n" + TEXT for i in range(200)})


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def consistent(capsys, db):
    code, out, err = run(capsys, "--db", str(db), "doctor", "--dry-run", "--json")
    report = json.loads(out)
    # what must hold after a failed write: readable tables, rows matching chunks, a sound pointer
    # (search indices are built at the end of a run, so an interrupted first run has none yet)
    kinds = ("pointer", "meta", "tables", "rows vs chunks")
    return [c for c in report["checks"] if c["status"] == "problem" and c["name"].startswith(kinds)]


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root); test_enospc_injected covers the same path")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_real_full_disk_then_room_again(capsys, small_disk, corpus, tiny_model_path):
    db = small_disk / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path), folders=[str(corpus)]))
    code, out, err = run(capsys, "--db", str(db), "index", "-q")
    assert code == 1 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "the disk is full" in err, err
    assert "nothing indexed so far is lost" in err
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    code, out, err = run(capsys, "--db", str(db), "index", "--json")
    assert code == 0, err
    code, out, err = run(capsys, "--db", str(db), "status", "--json")
    assert json.loads(out)["files"] == 200
    assert consistent(capsys, db) == []


def test_enospc_injected(capsys, tmp_path, corpus, tiny_model_path, monkeypatch):
    from klein_app.index.store import Store

    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path), folders=[str(corpus)]))
    real = Store.write_files
    calls = {"n": 0}

    def full_after_one(self, *a, **k):
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError(
                "lance error: LanceError(IO): Generic LocalFileSystem error: No space left on device (os error 28)"
            )
        return real(self, *a, **k)

    monkeypatch.setattr(Store, "write_files", full_after_one)
    monkeypatch.setattr("klein_app.index.indexer.FLUSH_CHUNKS", 16)  # several commits, so one lands first
    code, out, err = run(capsys, "--db", str(db), "index", "-q")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "the disk is full" in err, err
    monkeypatch.setattr(Store, "write_files", real)
    assert consistent(capsys, db) == []
    code, out, err = run(capsys, "--db", str(db), "index", "--json")
    report = json.loads(out)
    assert code == 0 and report["indexed"] + report["unchanged"] == 200
    assert report["unchanged"] > 0  # resumed: what landed before the disk filled was kept


def test_read_only_index_is_one_line(capsys, tmp_path, corpus, tiny_model_path, monkeypatch):
    from klein_app.index.store import Store

    db = tmp_path / "db"
    save_settings(resolve_paths(str(db)), Settings(model=str(tiny_model_path), folders=[str(corpus)]))

    def read_only(self, *a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Store, "write_files", read_only)
    code, out, err = run(capsys, "--db", str(db), "index", "-q")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "read-only" in err, err
