import json

import numpy as np
import pytest

import klein_model
from klein_model.folder import KIND_STATIC, bundled_model_path, model_folder, save_static_folder
from klein_model.static import StaticModel

TEXTS = ["semantic search by meaning", "", "def f(x):\n    return x", "नमस्ते दुनिया", "word " * 1000]


@pytest.fixture(scope="module")
def lite_folder(tmp_path_factory, tiny):
    table = np.random.default_rng(0).normal(size=(tiny.tokenizer.get_vocab_size(), 24)).astype(np.float32)
    return save_static_folder(
        tmp_path_factory.mktemp("lite") / "lite",
        table,
        tiny.tokenizer,
        name="lite-test",
        version="0",
        max_seq_length=64,
        matryoshka_dims=[8],
    ), table


def test_static_folder_round_trip_through_load(lite_folder, tiny):
    folder, table = lite_folder
    info = json.loads((folder / "klein.json").read_text())
    assert info["kind"] == KIND_STATIC and info["matryoshka_dims"] == [8, 24]
    model = klein_model.load(folder)
    assert isinstance(model, StaticModel)
    assert (model.name, model.dim, model.max_seq_length, model.fingerprint) == (
        "lite-test",
        24,
        64,
        info["fingerprint"],
    )
    # float16 storage: what comes back is the table rounded to float16
    np.testing.assert_allclose(model.table, table.astype(np.float16).astype(np.float32))
    assert model.tokenizer.get_vocab_size() == tiny.tokenizer.get_vocab_size()


def test_encode_is_the_normalised_mean_of_content_token_rows(lite_folder, tiny):
    model = klein_model.load(lite_folder[0])
    out = model.encode(TEXTS)
    assert out.shape == (len(TEXTS), 24) and out.dtype == np.float32
    for i, text in enumerate(TEXTS):
        ids = tiny.tokenizer.encode(text, add_special_tokens=False).ids[:64]
        if not ids:
            assert not out[i].any()  # an empty text is a zero vector, not NaN
            continue
        expected = model.table[ids].mean(axis=0)
        np.testing.assert_allclose(out[i], expected / np.linalg.norm(expected), atol=1e-5)
        assert abs(np.linalg.norm(out[i]) - 1) < 1e-5
    np.testing.assert_allclose(model.encode(TEXTS[0]), out[0], atol=1e-6)
    np.testing.assert_allclose(model.encode(TEXTS, batch_size=2), out, atol=1e-6)
    cut = model.encode(TEXTS[:1], dim=8)
    assert cut.shape == (1, 8) and abs(np.linalg.norm(cut) - 1) < 1e-5
    with pytest.raises(ValueError):
        model.encode(["x"], dim=25)
    with pytest.raises(TypeError, match="item 1"):
        model.encode(["ok", 3])
    assert model.chunk("one two three. " * 50, max_tokens=32, overlap=4)


def test_damaged_static_folder_is_refused(lite_folder, tmp_path):
    import shutil

    folder = shutil.copytree(lite_folder[0], tmp_path / "copy")
    raw = json.loads((folder / "klein.json").read_text())
    raw["fingerprint"] = "0" * 64
    (folder / "klein.json").write_text(json.dumps(raw))
    with pytest.raises(klein_model.ModelLoadError, match="fingerprint"):
        klein_model.load(folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(klein_model.ModelLoadError, match="missing model.safetensors"):
        klein_model.load(folder)


def test_bundled_names_resolve_to_bundled_folders(tmp_path):
    assert model_folder(None) == bundled_model_path()
    assert model_folder("lite") == bundled_model_path("klein-lite")
    assert model_folder(tmp_path / "x") == tmp_path / "x"


def test_bundled_lite_loads_by_name():
    if bundled_model_path("klein-lite") is None:
        pytest.skip("klein-lite is not bundled in this checkout")
    model = klein_model.load("lite")
    assert isinstance(model, StaticModel) and model.name == "klein-lite"
    a, b, c = model.encode(["a cat sat on the mat", "a kitten sits on a rug", "quarterly tax filing deadline"])
    assert a @ b > a @ c  # a trained table ranks by meaning


def test_static_encode_takes_the_sentence_transformers_spellings(lite_folder):
    import torch

    model = klein_model.load(lite_folder[0])
    texts = ["a cat sat on the mat", "stock markets fell"]
    ours = model.encode(texts, dim=8, normalize=False)
    np.testing.assert_array_equal(ours, model.encode(texts, truncate_dim=8, normalize_embeddings=False))
    as_tensor = model.encode(texts, convert_to_tensor=True, show_progress_bar=False)
    assert isinstance(as_tensor, torch.Tensor) and tuple(as_tensor.shape) == (2, model.dim)
    as_list = model.encode(texts, convert_to_numpy=False)
    assert isinstance(as_list, list) and len(as_list) == 2
    with pytest.raises(TypeError, match="truncate_dim"):
        model.encode(texts, dim=8, truncate_dim=16)
