import numpy as np
import pytest

import klein_model
from klein_model.folder import update_klein_extra
from klein_model.precision import PRECISION_ENV, choose_precision, resolve_precision
from klein_model.testing import make_tiny_model

TEXTS = [
    "semantic search finds documents by meaning",
    "The quick brown fox jumps over the lazy dog.",
    "def main():\n    print('hello world')\n",
    "Paragraphs are separated by blank lines.\n\nLines end with a newline. " * 6,
    "नमस्ते, आप कैसे हैं?",
]


@pytest.mark.parametrize(
    ("bf16", "engine", "allowed", "expected"),
    [
        (True, True, True, "bfloat16"),
        (True, False, False, "bfloat16"),
        (False, True, True, "int8"),
        (False, True, False, "float32"),
        (False, False, True, "float32"),
    ],
)
def test_auto_picks_bf16_then_int8_then_float32(bf16, engine, allowed, expected):
    assert choose_precision("auto", native_bf16=bf16, int8_engine=engine, int8_allowed=allowed) == expected


@pytest.mark.parametrize(
    ("bf16", "allowed", "expected"),
    [(True, True, "int8"), (False, True, "int8"), (True, False, "bfloat16"), (False, False, "float32")],
)
def test_auto_prefers_int8_where_onnxruntime_runs_it(bf16, allowed, expected):
    chosen = choose_precision("auto", native_bf16=bf16, int8_engine=True, int8_allowed=allowed, fast_int8=True)
    assert chosen == expected


def test_explicit_precision_is_kept_and_env_forces_auto_only():
    for p in ("float32", "bfloat16", "int8"):
        assert choose_precision(p, native_bf16=False, int8_engine=False, forced="float32") == p
    assert choose_precision("auto", native_bf16=True, int8_engine=True, forced="int8") == "int8"
    assert choose_precision("auto", native_bf16=False, int8_engine=True, forced="nonsense") == "int8"
    with pytest.raises(ValueError, match="precision must be one of"):
        choose_precision("fp16", native_bf16=False, int8_engine=True)


def test_env_override_reaches_resolve(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "float32")
    assert resolve_precision("auto") == "float32"
    monkeypatch.setenv(PRECISION_ENV, "int8")
    assert resolve_precision("auto") == "int8"


def test_int8_vectors_stay_close_to_float32(tmp_path):
    # wider than the default tiny model, so int8 rounding meets real-sized matmuls
    folder = make_tiny_model(tmp_path / "m", hidden=128, layers=2)
    fp32 = klein_model.load(folder, precision="float32")
    int8 = klein_model.load(folder, precision="int8")
    assert int8.precision == "int8"
    a, b = fp32.encode(TEXTS), int8.encode(TEXTS)
    assert b.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.99, cos
    assert not np.allclose(a, b, atol=1e-7)  # really a different computation, not the float32 module
    assert int8.n_parameters == fp32.n_parameters


def test_model_folder_can_opt_out_of_auto_int8(tmp_path, monkeypatch):
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    folder = make_tiny_model(tmp_path / "m")
    update_klein_extra(folder, int8=False)
    model = klein_model.load(folder)
    assert model.precision in ("float32", "bfloat16")
    assert klein_model.load(folder, precision="int8").precision == "int8"  # explicit still wins
