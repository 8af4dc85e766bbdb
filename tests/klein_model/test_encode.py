import numpy as np
import pytest
import torch

import klein_model
from klein_model.encoder import mean_pool

TEXTS = [
    "short",
    "a somewhat longer sentence about semantic search",
    "",
    "def f(x):\n    return x * 2\n",
    "नमस्ते दुनिया",
    "the quick brown fox jumps over the lazy dog " * 5,
]


def test_mean_pool_matches_hand_computation_with_padding(tiny):
    ids = tiny.tokenize(TEXTS[:2])
    assert len(ids[0]) < len(ids[1])  # the first row is padded
    got = tiny.encode(TEXTS[:2], normalize=False, batch_size=2)
    for row, seq in enumerate(ids):
        with torch.inference_mode():
            hidden = tiny.model(input_ids=torch.tensor([seq])).last_hidden_state[0]
        expected = hidden.mean(dim=0).numpy()
        np.testing.assert_allclose(got[row], expected, atol=1e-5)


def test_mean_pool_ignores_masked_positions():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    np.testing.assert_allclose(mean_pool(hidden, mask).numpy(), [[2.0, 3.0]])


def test_batch_size_and_order_do_not_change_results(tiny):
    base = tiny.encode(TEXTS, batch_size=64)
    for bs in (1, 2, 5):
        np.testing.assert_allclose(tiny.encode(TEXTS, batch_size=bs), base, atol=1e-5)
    perm = np.random.default_rng(0).permutation(len(TEXTS))
    shuffled = tiny.encode([TEXTS[i] for i in perm])
    np.testing.assert_allclose(shuffled, base[perm], atol=1e-5)


def test_output_shape_dtype_and_norm(tiny):
    out = tiny.encode(TEXTS)
    assert out.shape == (len(TEXTS), tiny.dim) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    single = tiny.encode("one string")
    assert single.shape == (tiny.dim,)
    np.testing.assert_allclose(single, tiny.encode(["one string"])[0], atol=1e-6)


def test_empty_list_gives_zero_rows(tiny):
    out = tiny.encode([])
    assert out.shape == (0, tiny.dim) and out.dtype == np.float32
    assert tiny.encode([], dim=8).shape == (0, 8)


def test_matryoshka_dim_truncates_and_renormalises(tiny):
    full = tiny.encode(TEXTS, normalize=False)
    cut = tiny.encode(TEXTS, dim=8)
    expected = full[:, :8] / np.linalg.norm(full[:, :8], axis=1, keepdims=True)
    np.testing.assert_allclose(cut, expected, atol=1e-5)
    with pytest.raises(ValueError):
        tiny.encode(["x"], dim=tiny.dim + 1)
    with pytest.raises(ValueError):
        tiny.encode(["x"], dim=0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "emoji 😀🎉👩‍👩‍👧",
        "中文字符和日本語のテキスト",
        "देवनागरी लिपि में लिखा गया वाक्य",
        "control \x00\x01\x07\x1b[31m chars \x7f",
        "lone surrogate \ud800 and \udfff here",
        "\ufeff BOM and zero\u200bwidth",
    ],
)
def test_encode_never_raises_on_any_str(tiny, text):
    out = tiny.encode([text])
    assert out.shape == (1, tiny.dim)
    assert np.isfinite(out).all()


def test_huge_string_is_truncated_not_rejected(tiny):
    huge = "word " * 200_000  # 1 MB
    ids = tiny.tokenize([huge])[0]
    assert len(ids) == tiny.max_seq_length
    assert ids[0] == 0 and ids[-1] == 2
    assert np.isfinite(tiny.encode([huge])).all()


def test_non_str_items_are_rejected_clearly(tiny):
    with pytest.raises(TypeError, match="item 1"):
        tiny.encode(["ok", None])


def test_bfloat16_agrees_with_float32(tiny_folder):
    fp32 = klein_model.load(tiny_folder, precision="float32")
    bf16 = klein_model.load(tiny_folder, precision="bfloat16")
    assert bf16.precision == "bfloat16"
    cos = (fp32.encode(TEXTS) * bf16.encode(TEXTS)).sum(axis=1)
    assert cos.min() >= 0.999


def test_auto_precision_resolves_to_a_real_precision(tiny_folder):
    model = klein_model.load(tiny_folder)
    assert model.precision in ("float32", "bfloat16", "int8")


def test_properties(tiny):
    assert tiny.dim == 32
    assert tiny.max_seq_length == 256
    assert tiny.name == "tiny-random"
    assert len(tiny.fingerprint) == 64
    assert tiny.matryoshka_dims[-1] == 32


def test_sentence_transformers_spellings_give_the_same_vectors(tiny):
    texts = ["a cat sat on the mat", "stock markets fell", "a kitten on a rug"]
    ours = tiny.encode(texts, dim=16, normalize=False, batch_size=2)
    theirs = tiny.encode(
        texts, truncate_dim=16, normalize_embeddings=False, batch_size=2, show_progress_bar=False, convert_to_numpy=True
    )
    np.testing.assert_array_equal(ours, theirs)
    normed = tiny.encode(texts, truncate_dim=16, normalize_embeddings=True)
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(normed, tiny.encode(texts, dim=16), atol=1e-6)


def test_sentence_transformers_tensor_outputs(tiny):
    texts = ["one", "two"]
    as_tensor = tiny.encode(texts, convert_to_tensor=True)
    assert isinstance(as_tensor, torch.Tensor) and tuple(as_tensor.shape) == (2, tiny.dim)
    as_list = tiny.encode(texts, convert_to_numpy=False)
    assert isinstance(as_list, list) and len(as_list) == 2 and isinstance(as_list[0], torch.Tensor)
    np.testing.assert_allclose(torch.stack(as_list).numpy(), tiny.encode(texts), atol=1e-6)


def test_conflicting_spellings_are_rejected(tiny):
    with pytest.raises(TypeError, match="truncate_dim"):
        tiny.encode(["x"], dim=8, truncate_dim=16)
