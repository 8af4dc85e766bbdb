"""`klein-search serve` for real: uvicorn on a unix socket in a private runtime folder, called with httpx and
through the CLI, over an index the real indexer built."""

from __future__ import annotations

import json
import os
import stat
import threading
import time

import httpx
import pytest
from queries_fixtures import TOPICS, write_files

from klein_app.cli import main


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_RUNTIME_DIR", str(folder))
        mp.delenv("KLEIN_SEARCH_NO_SERVICE", raising=False)
        yield folder


@pytest.fixture(scope="module")
def db(tmp_path_factory, tiny_model_path):
    from klein_app.context import AppContext
    from klein_app.index.indexer import index_paths
    from klein_app.settings import Settings, resolve_paths, save_settings

    root = write_files(tmp_path_factory.mktemp("corpus"), TOPICS)
    db = tmp_path_factory.mktemp("db")
    paths = resolve_paths(str(db))
    settings = Settings(folders=[str(root)], model=str(tiny_model_path))
    save_settings(paths, settings)
    index_paths(AppContext(paths, settings))
    return db


@pytest.fixture(scope="module")
def service(runtime, db, tiny_model):
    from klein_app.server.run import ServiceRunner
    from klein_app.server.state import ServiceState

    state = ServiceState(str(db), watch=False)
    state.ctx._index_model = tiny_model  # the indexer's model: shared with the session, not reloaded
    runner = ServiceRunner(state)
    info = runner.start()
    yield runner, info
    runner.stop()


@pytest.fixture(scope="module")
def http(service):
    from klein_app.server.auth import read_token

    _, info = service
    transport = httpx.HTTPTransport(uds=info.socket_path)
    headers = {"Authorization": f"Bearer {read_token(info.token_file)}"}
    with httpx.Client(transport=transport, base_url="http://klein", headers=headers, timeout=60) as client:
        yield client


def cli(capsys, db, *argv, service=True):
    flags = [] if service else ["--no-service"]
    code = main(["--db", str(db), *flags, *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# --- safe by default ---------------------------------------------------------------------------------


def test_private_socket_token_and_folder(service, runtime):
    _, info = service
    folder = runtime / "klein-search"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(os.stat(info.token_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(info.socket_path).st_mode) == 0o600
    assert info.url == f"unix:{info.socket_path}" and info.pid == os.getpid()


def test_requests_without_the_token_are_refused(service, http):
    _, info = service
    with httpx.Client(transport=httpx.HTTPTransport(uds=info.socket_path), base_url="http://klein") as bare:
        assert bare.get("/search", params={"q": "bread"}).status_code == 401
        wrong = bare.get("/status", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        assert bare.post("/cli", json={"argv": ["status"], "cwd": "/"}).status_code == 401
        assert bare.get("/openapi.json").status_code == 200  # the schema holds no data
    assert http.get("/search", params={"q": "bread"}).status_code == 200


def test_no_cors(http):
    r = http.options("/search", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers


def test_other_interfaces_need_an_explicit_flag(capsys, db):
    code = main(["--db", str(db), "serve", "--port", "0", "--host", "0.0.0.0"])
    _, err = capsys.readouterr()
    assert code == 2 and "--allow-remote" in err


# --- the API answers what the CLI prints with --json ---------------------------------------------------


def test_search_json_is_the_clis(http, capsys, db):
    api = http.get("/search", params={"q": "knead the dough", "k": 3})
    assert api.status_code == 200
    code, out, _ = cli(capsys, db, "search", "knead", "the", "dough", "-k", "3", "--json", service=False)
    assert code == 0 and api.json() == json.loads(out)
    hits = api.json()["results"]
    assert hits and hits[0]["path"].endswith("bread.md")


def test_filters_and_batch(http, capsys, db, tmp_path):
    r = http.get("/search", params={"q": "bread", "ext": "py"})
    assert r.status_code == 200 and all(hit["path"].endswith(".py") for hit in r.json()["results"])
    queries = ["bread dough", "   ", "!!!", "answer an HTTP request"]
    batch = http.post("/search", json={"queries": queries, "k": 2})
    (tmp_path / "q.txt").write_text("\n".join(queries) + "\n")
    code, out, _ = cli(capsys, db, "search", "--queries", str(tmp_path / "q.txt"), "-k", "2", "--json", service=False)
    assert batch.status_code == 200 and code == 0
    assert batch.json() == [json.loads(line) for line in out.splitlines()]
    assert "error" in batch.json()[1]  # "!!!" has no words: an error record, not a failed batch


def test_other_routes_match_the_cli(http, capsys, db):
    for route, params, argv in [
        ("/files", {}, ["files", "--json"]),
        ("/dupes", {"threshold": 0.9}, ["dupes", "--threshold", "0.9", "--json"]),
        ("/clusters", {"n": 2}, ["clusters", "-n", "2", "--json"]),
    ]:
        api = http.get(route, params=params)
        code, out, _ = cli(capsys, db, *argv, service=False)
        assert api.status_code == 200 and code == 0, route
        assert api.json() == json.loads(out), route
    first = http.get("/files").json()[0]["path"]
    similar = http.get("/similar", params={"path": first, "k": 3})
    code, out, _ = cli(capsys, db, "similar", first, "-k", "3", "--json", service=False)
    assert similar.json() == json.loads(out)


def test_errors_are_the_clis_error_json(http):
    r = http.get("/similar", params={"path": "/no/such/file.md"})
    assert r.status_code == 409
    body = r.json()
    assert body["exit_code"] == 1 and "error" in body
    assert http.get("/search", params={"q": "x", "k": 0}).status_code == 422  # validated by the schema


def test_embed_uses_the_index_model(http, tiny_model):
    r = http.post("/embed", json={"texts": ["bread", "python"]})
    assert r.status_code == 200
    body = r.json()
    assert body["fingerprint"] == tiny_model.fingerprint
    expected = tiny_model.encode(["bread", "python"])
    got = [row["vector"] for row in body["results"]]
    assert max(abs(a - b) for row, ref in zip(got, expected) for a, b in zip(row, ref)) < 1e-4


def test_status_says_a_service_runs(http, capsys, db, service):
    _, info = service
    st = http.get("/status").json()
    assert st["service"]["running"] and st["service"]["url"] == info.url
    assert st["service"]["token_file"] == info.token_file
    code, out, _ = cli(capsys, db, "status", "--json")
    assert code == 0 and json.loads(out)["service"]["url"] == info.url
    code, out, _ = cli(capsys, db, "status")
    assert "this command ran in it" in out


def test_status_without_a_service(capsys, tmp_path, runtime):
    code, out, _ = cli(capsys, tmp_path / "empty-db", "status", "--json")
    service = json.loads(out)["service"]
    assert code == 0 and service["running"] is False and service["token_file"].startswith(str(runtime))


# --- the CLI through the service ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "knead", "dough", "-k", "3"],
        ["search", "HTTP", "request", "--json"],
        ["search", "bread", "--path", "nowhere/**"],
        ["search", "!!!"],
        ["search", ""],
        ["files"],
        ["dupes", "--threshold", "0.95"],
        ["clusters", "-n", "2"],
    ],
)
def test_cli_output_through_the_service_equals_in_process(capsys, db, service, argv):
    runner, _ = service
    before = runner.state.cli_commands
    through = cli(capsys, db, *argv)
    assert runner.state.cli_commands == before + 1  # it did run in the service
    local = cli(capsys, db, *argv, service=False)
    assert runner.state.cli_commands == before + 1
    assert through == local


def test_cli_relative_paths_are_the_clients(capsys, db, http, monkeypatch):
    first = http.get("/files").json()[0]["path"]
    monkeypatch.chdir(os.path.dirname(first))
    through = cli(capsys, db, "similar", os.path.basename(first), "-k", "2")
    local = cli(capsys, db, "similar", os.path.basename(first), "-k", "2", service=False)
    assert through == local and through[0] == 0


def test_query_cache_answers_repeats(service, http):
    runner, _ = service
    http.get("/search", params={"q": "a query asked twice"})
    hits = runner.state.ctx.query_cache.stats()["hits"]
    http.get("/search", params={"q": "a query asked twice"})
    assert runner.state.ctx.query_cache.stats()["hits"] == hits + 1


# --- many readers, one writer --------------------------------------------------------------------------


def test_searches_keep_answering_while_the_writer_indexes(http, db):
    from klein_app.settings import load_settings, resolve_paths

    root = load_settings(resolve_paths(str(db))).folders[0]
    for i in range(12):
        write_files(root, {f"new/note{i}.md": f"Note {i} about kettlebell swings and hill sprints. " * 20})
    errors, done, answered = [], threading.Event(), [0]

    def reader():
        while not done.is_set():
            r = http.get("/search", params={"q": "kettlebell swings", "k": 3})
            if r.status_code != 200:
                errors.append(r.text)
            answered[0] += 1

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        report = http.post("/index", json={})
    finally:
        time.sleep(0.2)
        done.set()
        for t in readers:
            t.join()
    assert report.status_code == 200 and report.json()["indexed"] == 12
    assert not errors and answered[0] > 0
    hits = http.get("/search", params={"q": "kettlebell swings", "k": 3}).json()["results"]
    assert hits and "/new/note" in hits[0]["path"]


def test_folders_routes(http, tmp_path):
    folder = write_files(tmp_path / "extra", {"a.md": "Tidal pools hold anemones and small crabs."})
    added = http.post("/folders", json={"paths": [str(folder)]})
    assert added.status_code == 200 and added.json()["added"] == [str(folder)]
    assert str(folder) in http.get("/folders").json()["folders"]
    hits = http.get("/search", params={"q": "anemones tidal pools", "k": 1}).json()["results"]
    assert hits and hits[0]["path"] == str(folder / "a.md")
    removed = http.delete("/folders", params={"path": str(folder)})
    assert removed.status_code == 200 and removed.json()["files_forgotten"] == 1
    assert str(folder) not in http.get("/folders").json()["folders"]


# --- the TUI through the service --------------------------------------------------------------------------


def test_tui_backend_uses_the_service(service, db, http):
    from klein_app.tui.backend import Backend, make_backend
    from klein_app.tui.service_backend import ServiceBackend

    runner, _ = service
    remote, local = make_backend(str(db)), make_backend(str(db), use_service=False)
    assert isinstance(remote, ServiceBackend) and type(local) is Backend
    remote.open()
    local.open()

    def same(a, b):  # the JSON rounds scores to 6 places
        return [x.to_json() for x in a] == [x.to_json() for x in b] and [type(x) for x in a] == [type(x) for x in b]

    assert same(remote.search("knead the dough", k=5), local.search("knead the dough", k=5))
    assert remote.search("!!!") == [] and remote.totals() == local.totals()
    assert remote.list_files() == local.list_files()
    first = remote.list_files()[0].path
    assert same(remote.similar(first, k=3), local.similar(first, k=3))
    assert same(remote.duplicates(0.9), local.duplicates(0.9))
    assert same(remote.clusters(2), local.clusters(2))
    assert remote.watching and remote.model_loaded() and type(local.model()).__name__ == "NumpyEncoder"
