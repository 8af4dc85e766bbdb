"""int8 in ONNX Runtime: the graph exported from the folder's weights, cached by fingerprint, rebuilt when
damaged, and torch's int8 whenever it cannot be had."""

import logging
import subprocess
import sys

import numpy as np
import pytest

import klein_model
from klein_model import onnx_int8
from klein_model.precision import INT8_RUNTIME_ENV
from klein_model.testing import make_tiny_model

pytestmark = pytest.mark.skipif(not onnx_int8.available(), reason="onnxruntime and onnx are not installed")

TEXTS = [
    "semantic search finds documents by meaning",
    "def main():\n    print('hello world')\n",
    "Paragraphs are separated by blank lines.\n\nLines end with a newline. " * 12,
    "नमस्ते, आप कैसे हैं?",
    "x",
]


@pytest.fixture
def folder(tmp_path):
    # wider than the default tiny model, so int8 rounding meets real-sized matmuls
    return make_tiny_model(tmp_path / "m", hidden=128, layers=2)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(onnx_int8.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(INT8_RUNTIME_ENV, raising=False)
    return tmp_path / "cache"


def test_int8_runs_in_onnxruntime_close_to_float32(folder, cache):
    fp32 = klein_model.load(folder, precision="float32")
    int8 = klein_model.load(folder, precision="int8")
    assert (int8.precision, int8.runtime) == ("int8", "onnxruntime")
    a, b = fp32.encode(TEXTS), int8.encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.99, cos
    assert not np.allclose(a, b, atol=1e-7)  # a quantised computation, not the float graph
    # batching and padding do not change a text's vector
    np.testing.assert_allclose(int8.encode(TEXTS[:1])[0], b[0], atol=2e-3)


def test_the_session_runs_small_batches_whatever_batch_size_asks(folder, cache):
    model = klein_model.load(folder, precision="int8")
    texts = [f"note {i}: " + "words of a chunk " * (1 + i % 7) for i in range(3 * onnx_int8.RUN_BATCH + 5)]
    whole = model.encode(texts, batch_size=1)
    rows = []
    session = model._session
    real_run = session.run
    session.run = lambda names, feeds: rows.append(len(feeds["input_ids"])) or real_run(names, feeds)
    batched = model.encode(texts, batch_size=256)
    assert max(rows) == onnx_int8.RUN_BATCH and sum(rows) == len(texts)
    np.testing.assert_allclose(batched, whole, atol=2e-3)


def test_the_export_is_cached_by_fingerprint_and_reused(folder, cache):
    model = klein_model.load(folder, precision="int8")
    files = list((cache / "onnx").iterdir())
    assert [f.name.split("-")[0] for f in files] == [model.fingerprint]
    stamp = files[0].stat().st_mtime_ns
    again = klein_model.load(folder, precision="int8")
    assert again.runtime == "onnxruntime"
    assert files[0].stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again.encode(TEXTS), model.encode(TEXTS))


def test_a_damaged_cached_graph_is_exported_again(folder, cache):
    reference = klein_model.load(folder, precision="int8").encode(TEXTS)
    (cached,) = (cache / "onnx").iterdir()
    cached.write_bytes(b"not an onnx graph")
    model = klein_model.load(folder, precision="int8")
    assert model.runtime == "onnxruntime"
    assert cached.stat().st_size > 1000
    np.testing.assert_allclose(model.encode(TEXTS), reference, atol=1e-6)


def test_without_a_usable_cache_int8_falls_back_to_torch(folder, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder cannot be created under a file")
    monkeypatch.setenv(onnx_int8.CACHE_ENV, str(blocker))
    monkeypatch.delenv(INT8_RUNTIME_ENV, raising=False)
    with pytest.warns(UserWarning, match="using torch's int8"):
        model = klein_model.load(folder, precision="int8")
    assert (model.precision, model.runtime) == ("int8", "torch")
    fp32 = klein_model.load(folder, precision="float32")
    assert (model.encode(TEXTS) * fp32.encode(TEXTS)).sum(axis=1).min() >= 0.99


def test_the_runtime_can_be_kept_in_torch(folder, cache, monkeypatch):
    monkeypatch.setenv(INT8_RUNTIME_ENV, "torch")
    model = klein_model.load(folder, precision="int8")
    assert model.runtime == "torch"
    assert not (cache / "onnx").exists()


def test_exporting_leaves_the_root_logger_as_it_was(folder, cache):
    # in a fresh interpreter: under pytest the root logger already has handlers, which hides the effect
    script = (
        "import logging, sys, klein_model\n"
        "m = klein_model.load(sys.argv[1], precision='int8')\n"
        "assert m.runtime == 'onnxruntime', m.runtime\n"
        "print(len(logging.getLogger().handlers), logging.getLogger().level)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", str(logging.WARNING)]
    assert "WARNING:root" not in done.stderr
