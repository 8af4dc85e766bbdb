"""`--db s3://bucket/prefix` with the local engine, and the writer lease, against a moto S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest
from s3_server import BUCKET, s3_endpoint  # noqa: F401  (a fixture)

from klein_app.context import open_context
from klein_app.index.indexer import index_paths
from klein_app.index.lock import IndexBusy, hold_index
from klein_app.index.store import Store, active_generation
from klein_app.settings import Settings, load_settings, resolve_paths, save_settings


def s3_ctx(prefix: str, folders, model_path):
    uri = f"s3://{BUCKET}/{prefix}"
    save_settings(resolve_paths(uri), Settings(folders=[str(f) for f in folders], model=str(model_path)))
    return open_context(uri), uri


def test_the_local_indexer_writes_an_index_to_s3_that_reads_back(
    s3_endpoint, tmp_path, make_corpus, tiny_model_path, tiny_model, capsys
):
    root = make_corpus(tmp_path / "c", {"a.md": "rivers and their deltas", "b/c.txt": "engines run on fuel"})
    ctx, uri = s3_ctx("local-engine", [root], tiny_model_path)
    ctx._index_model = tiny_model
    report = index_paths(ctx)
    assert report.indexed == 2

    import boto3

    keys = {o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="local-engine/")["Contents"]}
    assert {"local-engine/config.toml", "local-engine/index/active.json"} <= keys
    assert any(k.endswith(".lance") and "/chunks.lance/" in k for k in keys)

    again = open_context(uri)  # a fresh process's view: everything comes from the bucket
    assert load_settings(again.paths).folders == [str(root)]
    assert active_generation(uri)["fingerprint"] == tiny_model.fingerprint
    store = Store.open_active(uri)
    assert sorted(r["path"] for r in store.list_files()) == [str(root / "a.md"), str(root / "b/c.txt")]
    assert store.count_chunks() == 2 and store.disk_bytes() > 0
    assert index_paths(again).unchanged == 2

    from klein_app.cli import main

    capsys.readouterr()
    assert main(["--db", uri, "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["config_file"] == f"{uri}/config.toml"
    assert (status["files"], status["chunks"]) == (2, 2)
    assert status["disk_bytes"] > 0

    (root / "a.md").write_text("rivers, deltas and estuaries")
    assert index_paths(open_context(uri)).indexed == 1
    assert "estuaries" in Store.open_active(uri).file_chunks(str(root / "a.md"))[0]["text"]


def test_a_second_writer_is_refused_while_the_lease_is_held(s3_endpoint, tmp_path, tiny_model_path):
    ctx, uri = s3_ctx("busy", [tmp_path], tiny_model_path)
    other = open_context(uri)
    with hold_index(ctx):
        with pytest.raises(IndexBusy, match="another klein-search process"):
            with hold_index(other):
                pass
    with hold_index(other):  # released: the next writer gets it
        pass


def test_a_dead_writers_lease_is_taken_over_after_it_expires(s3_endpoint):
    import boto3

    from klein_app.index.object_lock import ObjectLease
    from klein_app.location import as_path

    path = as_path(f"s3://{BUCKET}/dead/index/writer.lock")
    dead = ObjectLease.acquire(path, ttl_s=1.0)
    dead._stop.set()  # the holder "dies": no more renewals, no release
    dead._thread.join()
    with pytest.raises(IndexBusy):
        ObjectLease.acquire(path, ttl_s=1.0)
    time.sleep(1.2)
    heir = ObjectLease.acquire(path, ttl_s=30.0)
    record = json.loads(boto3.client("s3").get_object(Bucket=BUCKET, Key="dead/index/writer.lock")["Body"].read())
    assert record["owner"] == heir.owner != dead.owner
    # the old holder, back from a pause, cannot renew over the heir: its lease is lost, the heir's intact
    dead._stop.clear()
    dead.ttl_s = 0.03
    dead._renew_loop()  # returns at the first failed renewal
    assert dead.lost
    heir.release()
    released = json.loads(boto3.client("s3").get_object(Bucket=BUCKET, Key="dead/index/writer.lock")["Body"].read())
    assert released["owner"] == heir.owner and released["released"] is True


@pytest.mark.parametrize("uri", ["gs://bucket/x", "s3://", "s3:///"])
def test_an_unusable_uri_is_a_one_line_usage_error_and_no_folder(uri, tmp_path, monkeypatch, capsys):
    from klein_app.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["--db", uri, "status"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "s3://bucket/prefix" in err
    assert list(tmp_path.iterdir()) == []  # before: a local folder named "gs:" or "s3:" appeared here
