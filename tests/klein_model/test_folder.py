import json
import shutil

import numpy as np
import pytest

import klein_model
from klein_model.folder import compute_fingerprint
from klein_model.testing import make_tiny_model


def copy_folder(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_automodel_autotokenizer_round_trip(tiny_folder, tiny):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_folder))
    model = AutoModel.from_pretrained(str(tiny_folder)).eval()
    texts = ["hello world", "नमस्ते", "a longer piece of text to pad against"]
    batch = tok(texts, padding=True, return_tensors="pt")
    assert batch["input_ids"][0].tolist()[: len(tiny.tokenize(texts[:1])[0])] == tiny.tokenize(texts[:1])[0]
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    np.testing.assert_allclose(pooled, tiny.encode(texts), atol=1e-5)


def test_sentence_transformers_loads_the_folder(tiny_folder, tiny):
    st = pytest.importorskip("sentence_transformers")
    model = st.SentenceTransformer(str(tiny_folder), device="cpu")
    texts = ["hello world", "a longer piece of text"]
    np.testing.assert_allclose(model.encode(texts), tiny.encode(texts), atol=1e-5)


def test_klein_json_records_what_the_runtime_needs(tiny_folder):
    info = json.loads((tiny_folder / "klein.json").read_text())
    for key in ("name", "version", "pooling", "normalize", "max_seq_length", "matryoshka_dims", "fingerprint"):
        assert key in info
    assert info["pooling"] == "mean" and info["normalize"] is True


def test_fingerprint_is_stable_and_tracks_weights(tmp_path):
    a = make_tiny_model(tmp_path / "a", seed=1)
    b = make_tiny_model(tmp_path / "b", seed=1)
    c = make_tiny_model(tmp_path / "c", seed=2)
    assert compute_fingerprint(a) == compute_fingerprint(b) == klein_model.load(a).fingerprint
    assert compute_fingerprint(a) != compute_fingerprint(c)


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(klein_model.ModelLoadError, match="not found"):
        klein_model.load(tmp_path / "nope")


@pytest.mark.parametrize("name", ["config.json", "model.safetensors", "tokenizer.json", "klein.json"])
def test_missing_file_is_named(tiny_folder, tmp_path, name):
    folder = copy_folder(tiny_folder, tmp_path / "m")
    (folder / name).unlink()
    with pytest.raises(klein_model.ModelLoadError, match=name.replace(".", r"\.")):
        klein_model.load(folder)


@pytest.mark.parametrize("name", ["config.json", "model.safetensors", "tokenizer.json", "klein.json"])
def test_corrupt_file_is_named(tiny_folder, tmp_path, name):
    folder = copy_folder(tiny_folder, tmp_path / "m")
    (folder / name).write_bytes(b"\x00garbage{")
    with pytest.raises(klein_model.ModelLoadError, match=name.replace(".", r"\.")):
        klein_model.load(folder)


def test_no_bundled_model_gives_a_clear_message(monkeypatch):
    monkeypatch.setattr(klein_model, "bundled_model_path", lambda: None)
    with pytest.raises(klein_model.ModelLoadError, match="no trained model is bundled"):
        klein_model.load()
