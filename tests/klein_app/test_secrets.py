"""Secrets stay out of the index through links (by target) and by content, and the user can see and
override the reason."""

import base64
import os
import random
import string

import pytest

from klein_app.index.indexer import index_paths
from klein_app.settings import Settings
from klein_app.sources.secrets import find_secret
from klein_app.sources.walk import Walker

TOKEN = "TOPSECRET-8d1f"
rng = random.Random(7)


def rand(n, alphabet=string.ascii_letters + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(n))


def pem_block():
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(600))).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return "-----BEGIN RSA " + "PRIVATE KEY-----\n" + lines + "\n-----END RSA " + "PRIVATE KEY-----\n"


def chunks_text(ctx):
    return " ".join(r["text"] for r in ctx.store.chunks_table.to_arrow().to_pylist())


def rows(ctx, root):
    return {os.path.relpath(p, root): r for p, r in ctx.store.file_rows().items()}


@pytest.fixture
def home(tmp_path, make_corpus):
    home = make_corpus(
        tmp_path / "home",
        {".ssh/id_rsa": TOKEN, ".env": TOKEN, "notes/plain.md": "ordinary notes about boats\n"},
    )
    make_corpus(tmp_path / "elsewhere", {"server.key": TOKEN, "recipe.md": "pancakes need flour\n"})
    make_corpus(tmp_path / "soup", {"soup.md": "leeks and potatoes\n"})
    return home


def test_links_to_secrets_are_refused_by_their_target(tmp_path, home, make_ctx):
    notes = home / "notes"
    os.symlink("../.ssh/id_rsa", notes / "readme.txt")
    os.symlink(home / ".env", notes / "config.txt")
    os.symlink(home / ".ssh", notes / "keys")  # a folder link
    os.symlink(tmp_path / "elsewhere" / "server.key", notes / "key.txt")
    ctx = make_ctx([home])
    index_paths(ctx)
    got = rows(ctx, home)
    assert TOKEN not in chunks_text(ctx)
    assert got["notes/plain.md"]["status"] == "indexed"
    assert got["notes/readme.txt"]["skip_reason"] == "symlink to a secret file or folder"
    assert got["notes/config.txt"]["skip_reason"] == "symlink to a secret file or folder"
    assert got["notes/keys"]["skip_reason"] == "symlink to a secret file or folder"
    assert got["notes/key.txt"]["skip_reason"] == "symlink to a secret file or folder"


def test_links_out_of_the_watched_folders_only_when_opted_in(tmp_path, home, make_ctx):
    os.symlink(tmp_path / "soup" / "soup.md", home / "notes" / "recipe.md")
    os.symlink(tmp_path / "elsewhere", home / "notes" / "away")
    ctx = make_ctx([home])
    index_paths(ctx)
    got = rows(ctx, home)
    assert got["notes/recipe.md"]["skip_reason"].startswith("symlink to outside the watched folders")
    assert got["notes/away"]["skip_reason"].startswith("symlink to outside the watched folders")
    assert "pancakes" not in chunks_text(ctx) and "leeks" not in chunks_text(ctx)

    ctx2 = make_ctx([home], follow_links_outside=True)
    index_paths(ctx2)
    got = rows(ctx2, home)
    assert got["notes/recipe.md"]["status"] == "indexed"
    assert got["notes/away/recipe.md"]["status"] == "indexed"
    assert "notes/away/server.key" not in got  # the secret rules still hold beyond the link
    assert TOKEN not in chunks_text(ctx2)


def test_links_between_watched_folders_are_fine(tmp_path, make_corpus):
    a = make_corpus(tmp_path / "a", {"x.md": "x\n"})
    b = make_corpus(tmp_path / "b", {"y.md": "y\n"})
    os.symlink(b / "y.md", a / "y-link.md")
    entries = list(Walker(Settings(folders=[str(a), str(b)])).walk(str(a)))
    assert {os.path.basename(e.path): e.skip_reason for e in entries} == {"x.md": "", "y-link.md": ""}


def test_secret_file_names(tmp_path, make_corpus, make_ctx):
    root = make_corpus(
        tmp_path / "p",
        {
            "env.production": TOKEN,
            "notes/secrets.txt": TOKEN,
            "deploy.env": TOKEN,
            "keys/deploy_rsa": TOKEN,
            "notes/ok.md": "fine\n",
        },
    )
    ctx = make_ctx([root])
    index_paths(ctx)
    assert list(rows(ctx, root)) == ["notes/ok.md"]


def test_secret_content_is_skipped_listed_and_can_be_opted_in(tmp_path, make_corpus, make_ctx, capsys):
    root = make_corpus(tmp_path / "c", {"key.txt": "my key:\n" + pem_block(), "ok.md": "fine words\n"})
    ctx = make_ctx([root])
    index_paths(ctx)
    got = rows(ctx, root)
    assert got["key.txt"]["status"] == "skipped"
    assert got["key.txt"]["skip_reason"].startswith("holds a secret (private key block)")
    assert "include" in got["key.txt"]["skip_reason"]
    assert "PRIVATE KEY" not in chunks_text(ctx)

    from klein_app.cli import main

    assert main(["--db", str(ctx.paths.data_dir), "status"]) == 0
    out = capsys.readouterr().out
    assert "key.txt: holds a secret (private key block)" in out

    ctx2 = make_ctx([root], include=[str(root / "key.txt")])
    index_paths(ctx2)
    assert rows(ctx2, root)["key.txt"]["status"] == "indexed"


@pytest.mark.parametrize(
    "text, rule",
    [
        (lambda: "aws_access_key_id = " + "AKIA" + rand(16, string.ascii_uppercase + string.digits), "AWS access key"),
        (lambda: "aws_secret_access_key = " + rand(40), "credential name"),
        (lambda: "export GH=" + "ghp_" + rand(36), "GitHub token"),
        (lambda: "slack: " + "xoxb-" + rand(11, string.digits) + "-" + rand(24), "Slack token"),
        (lambda: "Authorization: Bearer eyJ" + rand(30) + ".eyJ" + rand(40) + "." + rand(43), "JSON web token"),
        (lambda: 'DB_PASSWORD="' + rand(24) + '"', "credential name"),
        (lambda: "api_key: " + rand(32), "credential name"),
        (lambda: "key " + "AIza" + rand(35), "Google API key"),
        (lambda: "notes\n" + pem_block(), "private key block"),
    ],
)
def test_token_formats_are_found(text, rule):
    reason = find_secret("some ordinary text\n" + text() + "\nmore text\n")
    assert reason is not None and rule in reason


@pytest.mark.parametrize(
    "text",
    [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",  # the AWS documentation's example key
        'password = "<your password here>"',
        "token = ${GITHUB_TOKEN}",
        "password: correcthorsebatterystaple",  # words, no mix: not worth flagging
        "The file starts with -----BEGIN RSA PRIVATE KEY----- followed by the key.",
        "secret_key_base = " + "x" * 40,
        "the tokenizer splits tokens = words and punctuation marks and more",
        "path = /usr/share/doc/packages/something/else/entirely",
    ],
)
def test_documentation_placeholders_are_not_secrets(text):
    assert find_secret(text) is None


def test_a_link_retargeted_after_the_walk_is_not_read(tmp_path, home, make_ctx, monkeypatch):
    notes = home / "notes"
    os.symlink(tmp_path / "soup" / "soup.md", notes / "link.md")
    ctx = make_ctx([home], follow_links_outside=True)
    import klein_app.index.indexer as mod

    real = mod._Run._prepare

    def retarget_then_prepare(self, entry, old, rechunk):
        if entry.path.endswith("link.md"):
            os.remove(entry.path)
            os.symlink(home / ".env", entry.path)
        return real(self, entry, old, rechunk)

    monkeypatch.setattr(mod._Run, "_prepare", retarget_then_prepare)
    index_paths(ctx)
    assert TOKEN not in chunks_text(ctx)
    assert rows(ctx, home)["notes/link.md"]["status"] == "error"
