"""Progress as a person sees it: a bar that fits the terminal, log lines when output is redirected, the ETA."""

import io
import re

from klein_app.index.indexer import index_paths
from klein_app.index.progress import ProgressEvent, RateMeter, chunks_left, progress_reporter


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_rate_meter_measures_the_recent_window_not_the_whole_run():
    meter = RateMeter(window_s=10)
    meter.add(0.0, 0)
    meter.add(1.0, 1000)  # a fast start (unchanged files) ...
    for t in range(2, 40):
        meter.add(float(t), 1000 + (t - 1) * 10)  # ... then 10 units/s
    assert abs(meter.rate() - 10) < 0.01
    assert abs(meter.eta(500) - 50) < 0.1


def test_rate_meter_has_no_rate_before_a_second_has_passed():
    meter = RateMeter()
    meter.add(0.0, 0)
    meter.add(0.5, 100)
    assert meter.rate() is None and meter.eta(10) is None


def test_the_bar_fits_an_80_column_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    stream = _Terminal()
    bar = progress_reporter(stream)
    for i in range(1, 50):
        bar(ProgressEvent("embed", i, 49, i * 30, 123.0, 3600.0 - i, "/a/very/long/path/" * 8 + "file.md"))
    bar.close()
    frames = [f for f in re.split(r"[\r\n]", stream.getvalue()) if f.strip()]
    visible = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", f) for f in frames]
    assert visible and max(len(f) for f in visible) <= 80
    assert "49/49 files" in visible[-1] and "eta" in visible[-1]


def test_redirected_output_gets_periodic_log_lines_during_a_real_run(tmp_path, make_ctx, make_corpus):
    root = make_corpus(tmp_path / "c", {f"n{i}.md": f"note number {i} about topic {i % 3}\n" for i in range(12)})
    ctx = make_ctx([root])
    out = io.StringIO()
    reporter = progress_reporter(out, log_every_s=0.0)
    report = index_paths(ctx, progress=reporter)
    reporter.close()
    lines = out.getvalue().splitlines()
    assert report.indexed == 12 and lines
    assert all(re.match(r"\[\d\d:\d\d:\d\d\] \w+: ", line) for line in lines)
    assert any(re.search(r"\d+/12 files, \d+ chunks, \d+ chunks/s", line) for line in lines)
    assert "\r" not in out.getvalue()


def test_the_work_left_falls_while_the_model_works_through_one_big_file():
    # every file read (one big one holding 4,000 chunks): what is left is what the model has not embedded,
    # whether or not the file's row has been written yet (finished bytes stood still here, and the ETA grew)
    total = 1_000_000
    left = [chunks_left(missing=4000, embedded=done, bytes_seen=total, bytes_total=total) for done in (0, 1000, 3000)]
    assert left == [4000, 3000, 1000]
    # half the bytes read: the unread half is expected to hold as many chunks per byte as the read half
    assert chunks_left(missing=2000, embedded=500, bytes_seen=total // 2, bytes_total=total) == 1500 + 2000
    assert chunks_left(missing=0, embedded=0, bytes_seen=0, bytes_total=total) == 0
