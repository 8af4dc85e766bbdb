import os
import socket
from pathlib import Path

import pytest

from klein_app.settings import Settings
from klein_app.sources.walk import Visited, Walker


def walk(root, **settings):
    entries = list(Walker(Settings(**settings)).walk(str(root)))
    return {os.path.relpath(e.path, root): e for e in entries}


def files(root, **settings):
    return sorted(p for p, e in walk(root, **settings).items() if not e.skip_reason)


def skipped(root, **settings):
    return {p: e.skip_reason for p, e in walk(root, **settings).items() if e.skip_reason}


def touch(root: Path, *rels, text="x"):
    for rel in rels:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_nested_gitignore_with_negation(tmp_path):
    touch(tmp_path, "a.log", "keep.txt", "sub/b.log", "sub/important.log", "sub/deeper/c.log", "build/out.txt")
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\n")
    (tmp_path / "sub" / ".gitignore").write_text("!important.log\n")
    assert files(tmp_path) == ["keep.txt", "sub/important.log"]


def test_kleinignore_and_configured_patterns(tmp_path):
    touch(tmp_path, "a.md", "drafts/b.md", "c.tmp", "d.txt")
    (tmp_path / ".kleinignore").write_text("drafts/\n")
    assert files(tmp_path, ignore=["*.tmp"]) == ["a.md", "d.txt"]


def test_hidden_skipped_by_default_and_opt_in(tmp_path):
    touch(tmp_path, ".hidden.txt", ".dir/x.txt", "seen.txt", ".git/config")
    assert files(tmp_path) == ["seen.txt"]
    assert files(tmp_path, index_hidden=True) == [".dir/x.txt", ".hidden.txt", "seen.txt"]


SECRETS = [
    ".ssh/id_rsa",
    ".ssh/config",
    ".gnupg/pubring.kbx",
    ".aws/credentials",
    ".env",
    ".env.local",
    "keys/server.pem",
    "keys/tls.key",
    "keys/id_ed25519",
    "keys/id_ed25519.pub",
    "vault.kdbx",
    ".password-store/site.gpg",
    ".mozilla/firefox/profile/cookies.sqlite",
    ".config/google-chrome/Default/Login Data",
    "Library/Keychains/login.keychain-db",
]


def test_secrets_are_never_walked_even_with_hidden_files_on(tmp_path):
    touch(tmp_path, *SECRETS, "notes.txt")
    assert files(tmp_path, index_hidden=True) == ["notes.txt"]
    assert skipped(tmp_path, index_hidden=True) == {}  # not even their names are recorded


def test_watching_a_secret_folder_itself_finds_nothing(tmp_path):
    touch(tmp_path, ".ssh/id_rsa", ".ssh/known_hosts")
    assert files(tmp_path / ".ssh", index_hidden=True) == []


def test_include_opts_a_secret_path_back_in(tmp_path):
    touch(tmp_path, ".env", "keys/server.pem", "a.txt")
    got = files(tmp_path, include=[str(tmp_path / "keys")])
    assert got == ["a.txt", "keys/server.pem"]
    assert files(tmp_path, include=[".env"]) == [".env", "a.txt"]


def test_size_cap(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"a" * 200_000)
    (tmp_path / "small.txt").write_text("ok")
    assert skipped(tmp_path, max_file_mb=0.1) == {"big.txt": "larger than 0.1 MB"}


def test_symlink_loop_and_duplicates(tmp_path):
    touch(tmp_path, "real/a.txt")
    os.symlink(tmp_path / "real", tmp_path / "link")  # second path to the same folder
    os.symlink(tmp_path, tmp_path / "real" / "up")  # a loop
    os.symlink(tmp_path / "real" / "a.txt", tmp_path / "alias.txt")  # second path to a file
    os.symlink(tmp_path / "nowhere", tmp_path / "broken.txt")
    os.symlink("self", tmp_path / "self")  # ELOOP
    got = walk(tmp_path)
    indexed = [p for p, e in got.items() if not e.skip_reason]
    assert indexed == ["real/a.txt"] or indexed == ["alias.txt"]
    reasons = {p: e.skip_reason for p, e in got.items() if e.skip_reason}
    assert reasons["broken.txt"] == "broken symlink"
    assert reasons["self"] == "symlink loop"
    assert any("same file as" in r for r in reasons.values())


def test_special_files_are_skipped_with_reason(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock_path = tmp_path / "s.sock"
    try:
        sock.bind(str(sock_path))
        got = skipped(tmp_path)
    finally:
        sock.close()
    assert got["pipe"] == "not a regular file (fifo)"
    assert got["s.sock"] == "not a regular file (socket)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_folder_is_reported_not_fatal(tmp_path):
    touch(tmp_path, "locked/a.txt", "ok.txt")
    (tmp_path / "locked").chmod(0)
    try:
        got = walk(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert got["locked"].skip_reason == "permission denied"
    assert not got["ok.txt"].skip_reason


def test_odd_file_names(tmp_path):
    (tmp_path / "new\nline.txt").write_text("a")
    bad = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(bad, "wb") as fh:
        fh.write(b"b")
    got = walk(tmp_path)
    assert not got["new\nline.txt"].skip_reason
    odd = [e for e in got.values() if e.skip_reason]
    assert len(odd) == 1 and odd[0].skip_reason == "file name is not valid UTF-8"
    odd[0].path.encode("utf-8")  # storable


def test_300_deep_tree(tmp_path):
    deep = tmp_path
    for _ in range(300):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text("deep")
    assert files(tmp_path) == ["/".join(["d"] * 300 + ["bottom.txt"])]


def test_walk_from_a_subfolder_honours_ancestor_rules(tmp_path):
    touch(tmp_path, "sub/x.log", "sub/y.txt", "sub/.hidden/z.txt")
    (tmp_path / ".gitignore").write_text("*.log\n")
    w = Walker(Settings())
    got = sorted(os.path.relpath(e.path, tmp_path) for e in w.walk(str(tmp_path), str(tmp_path / "sub")))
    assert got == ["sub/y.txt"]
    assert list(w.walk(str(tmp_path), str(tmp_path / "sub" / "x.log"))) == []
    assert w.excluded(str(tmp_path), str(tmp_path / "sub" / ".hidden" / "z.txt")) == "hidden"


def test_visited_is_shared_across_roots(tmp_path):
    touch(tmp_path, "a/f.txt")
    os.symlink(tmp_path / "a", tmp_path / "b")
    w = Walker(Settings())
    v = Visited()
    first = list(w.walk(str(tmp_path / "a"), visited=v))
    second = list(w.walk(str(tmp_path / "b"), visited=v))
    assert len(first) == 1 and second == []
