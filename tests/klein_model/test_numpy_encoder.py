"""The numpy query encoder computes what the torch encoder computes, without importing torch."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import klein_model
from klein_model.numpy_encoder import NumpyEncoder

TEXTS = [
    "a short query",
    "x",
    "Ein längerer Satz mit Umlauten — und Zeichen, " * 12,  # padding in a batch of unequal lengths
    "tabs\tand\nnew lines",
]


@pytest.fixture(scope="module")
def pair(tiny_folder):
    return NumpyEncoder(tiny_folder), klein_model.load(str(tiny_folder), precision="float32", threads=1)


def test_same_vectors_as_torch(pair):
    light, full = pair
    a, b = light.encode(TEXTS), full.encode(TEXTS)
    assert a.shape == b.shape and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=2e-5)
    np.testing.assert_allclose(light.encode(TEXTS, normalize=False), full.encode(TEXTS, normalize=False), atol=1e-4)


def test_same_api(pair):
    light, full = pair
    assert (light.fingerprint, light.dim, light.name, light.max_seq_length) == (
        full.fingerprint,
        full.dim,
        full.name,
        full.max_seq_length,
    )
    assert light.encode("one text").shape == (full.dim,)
    dim = full.matryoshka_dims[0] if full.matryoshka_dims else full.dim // 2
    np.testing.assert_allclose(light.encode(TEXTS, dim=dim), full.encode(TEXTS, dim=dim), atol=2e-5)
    assert light.count_tokens("some words here") == full.count_tokens("some words here")
    with pytest.raises(ValueError):
        light.encode("x", dim=full.dim + 1)


def test_load_query_encoder_never_imports_torch(tiny_folder):
    code = (
        "import sys, klein_model\n"
        f"m = klein_model.load_query_encoder({str(tiny_folder)!r})\n"
        "m.encode(['hello world'])\n"
        "print(type(m).__name__, 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["NumpyEncoder", "False", "False"]


def test_unsupported_folder_falls_back_to_torch(tiny_folder, tmp_path):
    folder = tmp_path / "relu"
    shutil.copytree(tiny_folder, folder)
    config = json.loads((folder / "config.json").read_text())
    config["hidden_act"] = "relu"
    (folder / "config.json").write_text(json.dumps(config))
    model = klein_model.load_query_encoder(folder)
    assert type(model).__name__ == "KleinModel"


def test_damaged_folder_is_a_load_error(tiny_folder, tmp_path):
    folder = tmp_path / "damaged"
    shutil.copytree(tiny_folder, folder)
    (folder / "tokenizer.json").write_text((folder / "tokenizer.json").read_text() + " ")
    with pytest.raises(klein_model.ModelLoadError, match="fingerprint"):
        klein_model.load_query_encoder(folder)
