"""How fast klein-search answers a person: cold CLI, the CLI and the HTTP API through `serve`, argument
errors, and TUI start to first results, with and without the service.

    python bench/cli_latency.py --db DIR [--data ../shared/data] [--queries 100]

DIR is an index folder (`--db` of the CLI), e.g. one bench/query_latency.py built (`--index X` -> `X/db`).
Query texts are Wikipedia titles and lead fragments from --data (as bench/query_latency.py uses), else
--queries-file (one a line). Every figure is wall time on this machine, as a person would wait for it:

  cold      `klein-search --no-service search Q` in a fresh process (Python start, imports, opening the index,
            embedding the query, searching, printing), median of --cold-runs
  errors    `klein-search search ""` and `search -k 0 x`: the mistake is reported before anything heavy loads
  service   `klein-search serve --no-watch` in its own process; then 100 distinct queries through the HTTP API
            (GET /search, a new connection each, query embedding included: no query repeats, so the cache never
            answers), p50/p95; the same query again (cache hit); and `klein-search search Q` through the service
  index     with --index-folder DIR: `klein-search add DIR` into a fresh index, then `index` with nothing
            changed, median of --cold-runs (a cron job's or a quick re-check's cost)
  tui       a headless KleinApp (Textual's run_test) in a fresh process: from process start until the first
            result rows are shown for a query pasted into the box right after the first frame
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def env_for(runtime: Path, *, service: bool) -> dict:
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), PYTHONPATH=str(ROOT))
    env.pop("KLEIN_SEARCH_HOME", None)
    if not service:
        env["KLEIN_SEARCH_NO_SERVICE"] = "1"
    return env


def cli(db: Path, env: dict, *argv: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the process, the finished process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "klein_app.cli", "--db", str(db), *argv], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(walls: list[float], cpus: list[float]) -> str:
    return (
        f"median {statistics.median(walls):6.2f} s wall, {statistics.median(cpus):5.2f} s CPU   "
        f"(wall min {min(walls):.2f}, max {max(walls):.2f}, n={len(walls)})"
    )


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def fmt_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {pct(ms, 50):7.1f} ms   p95 {pct(ms, 95):7.1f} ms   (n={len(ms)})"


def load_queries(args) -> list[str]:
    """Twice args.queries: hybrid takes the first half, vector and the CLI runs new ones from the second."""
    wanted = 2 * args.queries
    if args.queries_file:
        lines = [x.strip() for x in Path(args.queries_file).read_text(encoding="utf-8").splitlines()]
        return [x for x in lines if x][:wanted]
    sys.path.insert(0, str(HERE))
    from query_latency import query_texts

    return query_texts(args.data, wanted, seed=1)


def start_service(db: Path, env: dict) -> tuple[subprocess.Popen, float]:
    from klein_app.server.discovery import find_service

    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "klein_app.cli", "--db", str(db), "serve", "--no-watch", "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    old = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = env["XDG_RUNTIME_DIR"]
    try:
        while find_service(db) is None:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited: {proc.stderr.read()}")
            time.sleep(0.05)
    finally:
        if old is None:
            os.environ.pop("XDG_RUNTIME_DIR")
        else:
            os.environ["XDG_RUNTIME_DIR"] = old
    return proc, time.perf_counter() - t


TUI_DRIVER = r"""
import asyncio, sys, time
from klein_app.tui.app import KleinApp
from klein_app.tui.backend import make_backend

async def main(db, query, use_service):
    app = KleinApp(make_backend(db, use_service))
    async with app.run_test(size=(140, 40)) as pilot:
        painted = time.time()
        app.screen.query_one("#query").value = query  # as a paste: the harness's typing speed is not the app's
        while True:
            await pilot.pause(0.02)
            try:
                if app.screen.query_one("#results").option_count > 0:
                    break
            except Exception:
                pass
        print(f"{painted:.3f} {time.time():.3f}", flush=True)
        app.exit()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] == "1"))
"""


def tui_first_results(db: Path, env: dict, query: str, use_service: bool) -> tuple[float, float]:
    """(seconds to the first frame, seconds to the first results), both from the process's start."""
    spawned = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", TUI_DRIVER, str(db), query, "1" if use_service else "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise SystemExit(f"TUI driver failed: {proc.stderr[-2000:]}")
    painted, results = (float(x) for x in proc.stdout.split()[-2:])
    return painted - spawned, results - spawned


def unchanged_index(folder: Path, db: Path, env: dict, runs: int) -> None:
    """`klein-search index` when nothing changed since the last run: the cost of a cron job or a quick re-check."""
    wall, _, proc = cli(db, env, "add", str(folder))
    assert proc.returncode == 0, proc.stderr
    said = (proc.stdout.strip().splitlines() or [""])[-1]
    print(f"  index of {folder}, first run   {wall:6.1f} s wall ({said})")
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, proc = cli(db, env, "index")
        assert proc.returncode == 0, proc.stderr
        walls.append(wall)
        cpus.append(cpu)
    print(f"  index, nothing changed         {summary(walls, cpus)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="index folder (the CLI's --db)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--queries-file", help="one query a line, instead of --data")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=10)
    parser.add_argument("--tui-runs", type=int, default=3)
    parser.add_argument(
        "--index-folder", type=Path, help="also time `index` with nothing to do, on an index of this folder"
    )
    args = parser.parse_args()

    from klein_app.index.store import Store
    from klein_model.precision import machine_description

    store = Store.open_active(args.db)
    if store is None:
        raise SystemExit(f"no index in {args.db}")
    queries = load_queries(args)
    print(f"machine: {machine_description()}; load average {os.getloadavg()[0]:.1f} at start")
    print(f"index: {store.count_chunks()} chunks in {store.count_files()} files; model {store.fingerprint[:12]}")

    with tempfile.TemporaryDirectory(prefix="klein-bench-") as tmp:
        runtime = Path(tmp) / "run"
        runtime.mkdir(mode=0o700)
        local = env_for(runtime, service=False)
        served = env_for(runtime, service=True)

        print("\nwithout the service")
        walls, cpus = [], []
        for q in queries[: args.cold_runs]:
            wall, cpu, proc = cli(args.db, local, "search", q)
            assert proc.returncode == 0, proc.stderr
            walls.append(wall)
            cpus.append(cpu)
        print(f"  search, cold process           {summary(walls, cpus)}")
        for argv in (["search", ""], ["search", "-k", "0", "x"], ["search", "x", "--mode", "fuzzy"]):
            wall, cpu, proc = cli(args.db, local, *argv)
            assert proc.returncode == 2, proc
            what = " ".join(a if a else '""' for a in argv)
            print(f"  argument error: {what:<22} {wall:6.2f} s wall, {cpu:5.2f} s CPU   {proc.stderr.strip()[:50]}")
        for _ in range(args.tui_runs):
            painted, first = tui_first_results(args.db, local, queries[0], use_service=False)
            print(f"  TUI: first frame {painted:5.2f} s, first results {first:5.2f} s")
        if args.index_folder:
            unchanged_index(args.index_folder, Path(tmp) / "folder-db", local, args.cold_runs)

        proc, started = start_service(args.db, served)
        try:
            print(f"\nwith the service (ready {started:.1f} s after `serve` started)")
            from klein_app.server.client import ServiceClient

            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
            client = ServiceClient.find(args.db)
            client.request("GET", "/search", params={"q": "warm up", "k": 10})
            n = args.queries
            # every embedding query is new to the service: the cache must not answer
            for mode, batch in (
                ("hybrid", queries[:n]),
                ("vector", queries[n : n + n // 2]),
                ("text", queries[: n // 2]),
            ):
                times, cpu0 = [], process_cpu(proc.pid)
                for q in batch:
                    t = time.perf_counter()
                    client.request("GET", "/search", params={"q": q, "k": 10, "mode": mode})
                    times.append(time.perf_counter() - t)
                cpu = (process_cpu(proc.pid) - cpu0) / len(batch) * 1000
                print(
                    f"  GET /search ({mode}, k=10){'':{7 - len(mode)}}  {fmt_ms(times)}   service CPU {cpu:5.1f} ms/query"
                )
            again = []
            for q in queries[:20]:
                t = time.perf_counter()
                client.request("GET", "/search", params={"q": q, "k": 10})
                again.append(time.perf_counter() - t)
            print(f"  repeated query (cache hit)     {fmt_ms(again)}")
            walls, cpus = [], []
            for q in queries[n + n // 2 :][: args.cli_runs]:
                wall, cpu, out = cli(args.db, served, "search", q)
                assert out.returncode == 0, out.stderr
                walls.append(wall)
                cpus.append(cpu)
            print(f"  search, CLI through service    {summary(walls, cpus)}")
            for _ in range(args.tui_runs):
                painted, first = tui_first_results(args.db, served, queries[1], use_service=True)
                print(f"  TUI: first frame {painted:5.2f} s, first results {first:5.2f} s")
            stats = client.request("GET", "/status")["service"]["query_cache"]
            print(f"  query cache: {json.dumps(stats)}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
