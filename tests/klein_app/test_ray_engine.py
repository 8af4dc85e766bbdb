"""`index --engine ray` on a real local Ray (2 CPUs), into a local folder and into S3 (a moto server on 127.0.0.1).

The Ray index must be the local index: same files rows, same chunks, vectors within 1e-5, same search
answers. A run whose driver is killed (SIGKILL) resumes without embedding committed files again.
Needs the cluster extra (`pip install -e '.[dev,cluster]'`, as CI does); skipped only where it is absent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="the cluster extra is not installed")
pytest.importorskip("moto.server", reason="moto[server] (the dev extra) is not installed")

from conftest import write_corpus  # noqa: E402
from queries_fixtures import TOPICS  # noqa: E402
from s3_server import BUCKET, s3_endpoint  # noqa: E402,F401  (a fixture)

from klein_app.context import open_context  # noqa: E402
from klein_app.index.indexer import index_paths  # noqa: E402
from klein_app.index.ray_engine import index_with_ray  # noqa: E402
from klein_app.index.store import Store, active_generation  # noqa: E402
from klein_app.queries.search import search  # noqa: E402
from klein_app.settings import Settings, resolve_paths, save_settings  # noqa: E402

QUERIES = [
    "baking bread with yeast",
    "telescope and galaxies",
    "ERR_4711",
    "rivers and engines",
    "violins near bridges",
]


def corpus_files() -> dict:
    files = dict(TOPICS)
    # longer files (several chunks each), an empty and a binary file; no exact copies, whose tied scores
    # would rank in either order
    words = ["rivers", "engines", "gardens", "violins", "glaciers", "bridges", "orchards", "comets"]
    for i, word in enumerate(words):
        files[f"long/part{i}.md"] = "\n\n".join(
            f"Section {i}.{j}: notes on {word} and what {word} need, item {j}." for j in range(12)
        )
    files["empty.txt"] = ""
    files["blob.bin"] = bytes(range(256)) * 8
    return files


@pytest.fixture(scope="module")
def local_ray():
    if ray.is_initialized():
        ray.shutdown()
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="lancedb fork support")  # Ray's daemons fork+exec
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def configure(db: str, root, model_path) -> None:
    save_settings(resolve_paths(db), Settings(folders=[str(root)], model=str(model_path)))


def snapshot(db: str):
    """Everything a query can see: files rows, chunk rows, vectors (by path and chunk index)."""
    store = Store.open_active(db)
    files = {
        r["path"]: (r["status"], r["skip_reason"], r["sha256"], r["n_chunks"], r["size"]) for r in store.list_files()
    }
    table = store.chunks_table.to_arrow()
    rows = table.drop_columns(["vector"]).to_pylist()
    vectors = table.column("vector").combine_chunks().flatten().to_numpy().reshape(len(rows), -1)
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["path"], rows[i]["chunk_index"]))
    return files, [rows[i] for i in order], vectors[order], store


def ranked(results) -> list:
    return [(-round(r.score, 5), r.path, r.chunk_index) for r in results]


def assert_same_index(local_db: str, other_db: str) -> dict:
    files_a, chunks_a, vec_a, store_a = snapshot(local_db)
    files_b, chunks_b, vec_b, store_b = snapshot(other_db)
    assert files_b == files_a
    assert chunks_b == chunks_a
    diff = float(np.abs(vec_a - vec_b).max())
    assert diff < 1e-5
    assert active_generation(other_db)["generation"] == active_generation(local_db)["generation"]
    model = open_context(local_db).model
    worst = 0.0
    for q in QUERIES:
        for mode in ("hybrid", "vector", "text"):
            a = search(store_a, model, q, k=5, mode=mode)
            b = search(store_b, model, q, k=5, mode=mode)
            assert len(a) == len(b)
            for ra, rb in zip(a, b):
                worst = max(worst, abs(ra.score - rb.score))
            # equal scores may come in either order: compare within ties
            assert sorted(ranked(b)) == sorted(ranked(a))
    assert worst < 1e-5
    figures = {"files": len(files_a), "chunks": len(chunks_a), "max_vector_diff": diff, "max_score_diff": worst}
    print("result equality:", json.dumps(figures))
    return figures


@pytest.fixture(scope="module")
def exact_model_path(tmp_path_factory):
    """The tiny model, opted out of int8: dynamic quantisation scales activations per batch, so a chunk's
    vector depends on the batch it was embedded in, and Ray batches differ from the local engine's. The
    equality below is of the pipeline, at float32 (int8 vectors agree to ~2e-4)."""
    import json

    from klein_model.testing import make_tiny_model

    path = make_tiny_model(tmp_path_factory.mktemp("exact-model") / "tiny")
    card = json.loads((path / "klein.json").read_text())
    card.setdefault("extra", {})["int8"] = False
    (path / "klein.json").write_text(json.dumps(card))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory, exact_model_path):
    """The corpus, and its index made by the local engine."""
    base = tmp_path_factory.mktemp("ray")
    root = write_corpus(base / "corpus", corpus_files())
    db = str(base / "local")
    configure(db, root, exact_model_path)
    index_paths(open_context(db))
    return base, root, db


def test_ray_index_in_a_local_folder_equals_the_local_index(local_ray, reference, exact_model_path):
    base, root, local_db = reference
    db = str(base / "ray-local")
    configure(db, root, exact_model_path)
    report = index_with_ray(open_context(db), workers=2, files_per_batch=4)
    assert report.indexed == snapshot(local_db)[3].count_files("indexed")
    assert report.skipped == 2  # the empty and the binary file
    assert report.chunks_embedded + report.chunks_reused == snapshot(local_db)[3].count_chunks()
    assert_same_index(local_db, db)

    again = index_with_ray(open_context(db), workers=2)
    # nothing is embedded again; the two skipped files are looked at again and skipped again
    assert (again.indexed, again.chunks_embedded) == (0, 0)
    assert (again.unchanged, again.skipped) == (report.files_seen - 2, 2)


def test_ray_index_on_s3_via_the_cli_answers_like_the_local_index(
    local_ray, s3_endpoint, reference, exact_model_path, capsys
):
    from klein_app.cli import main

    base, root, local_db = reference
    uri = f"s3://{BUCKET}/team/index"
    configure(uri, root, exact_model_path)  # the tiny model instead of the bundled one
    other = write_corpus(base / "other", {"note.md": "a second folder, added through the CLI"})
    assert main(["--db", uri, "add", str(other), "--no-index"]) == 0
    import boto3

    s3 = boto3.client("s3")
    config = s3.get_object(Bucket=BUCKET, Key="team/index/config.toml")["Body"].read().decode()
    assert str(other) in config and str(root) in config  # the config lives beside the index
    # drop the second folder again so the index must equal the local one exactly
    assert main(["--db", uri, "remove", str(other)]) == 0
    capsys.readouterr()

    assert main(["--db", uri, "index", "--engine", "ray", "--ray-workers", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["indexed"] == snapshot(local_db)[3].count_files("indexed")
    figures = assert_same_index(local_db, uri)
    assert figures["chunks"] > 40

    lease = json.loads(s3.get_object(Bucket=BUCKET, Key="team/index/index/writer.lock")["Body"].read())
    assert lease["released"] is True

    capsys.readouterr()
    assert main(["--db", uri, "search", "baking bread", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["results"]
    expected = search(Store.open_active(local_db), open_context(local_db).model, "baking bread", k=10)
    # the CLI embeds the query with the numpy encoder, the reference with torch: scores agree to ~1e-5
    got_scores = {(h["path"], h["chunk_index"]): h["score"] for h in got}
    want_scores = {(r.path, r.chunk_index): r.score for r in expected}
    assert got_scores.keys() == want_scores.keys()
    assert all(abs(got_scores[key] - want_scores[key]) < 1e-4 for key in got_scores)
    assert len(got) >= 2


CHILD = textwrap.dedent(
    """
    import os, sys
    os.environ["OMP_NUM_THREADS"] = "1"
    from klein_app.context import open_context
    from klein_app.index.ray_engine import index_with_ray
    ctx = open_context(sys.argv[1])
    # one file per actor call and per commit: many commits to be killed between
    index_with_ray(ctx, workers=1, files_per_batch=1, flush_chunks=1)
    print("DONE", flush=True)
    """
)


@pytest.mark.timeout(600)  # two Ray start-ups, one of them in a child process
def test_a_killed_ray_run_resumes_without_embedding_committed_files(local_ray, tmp_path, exact_model_path):
    files = {
        f"f{i:03d}.md": "\n\n".join(f"File {i}, paragraph {j}: words about subject {i * 7 + j}." for j in range(6))
        for i in range(40)
    }
    root = write_corpus(tmp_path / "corpus", files)
    db = str(tmp_path / "db")
    configure(db, root, exact_model_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        committed = 0
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.5)
            store = Store.open_active(db)
            committed = store.count_files("indexed") if store is not None else 0
            if committed >= 5:
                break
        assert child.poll() is None, "the run finished before it could be killed"
        assert committed >= 5, "no file was committed in time"
    finally:
        # the child started its own Ray in its session: the whole process group goes
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    before = {r["path"]: r for r in Store.open_active(db).list_files() if r["status"] == "indexed"}
    assert 5 <= len(before) < len(files)

    report = index_with_ray(open_context(db), workers=2)
    after = {r["path"]: r for r in Store.open_active(db).list_files()}
    assert len(after) == len(files) and all(r["status"] == "indexed" for r in after.values())
    # committed files were neither read again nor embedded again: their rows are the ones from before
    assert all(after[p]["indexed_at"] == before[p]["indexed_at"] for p in before)
    assert report.unchanged == len(before)
    assert report.indexed == len(files) - len(before)
    assert report.chunks_embedded == sum(after[p]["n_chunks"] for p in after if p not in before)
    store = Store.open_active(db)
    assert store.count_chunks() == sum(r["n_chunks"] for r in after.values())
    print(
        f"killed after {len(before)} of {len(files)} files committed; the resumed run embedded "
        f"{report.chunks_embedded} chunks of {store.count_chunks()}, repaired {report.repaired}"
    )
