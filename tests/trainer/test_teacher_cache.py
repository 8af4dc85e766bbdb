import numpy as np
from trainer_fixtures import make_sentences

from trainer.teacher import embed_cached, load_teacher


class Counting:
    def __init__(self, teacher):
        self.t, self.calls = teacher, 0
        self.name, self.dim, self.tokenizer = teacher.name, teacher.dim, teacher.tokenizer

    def encode(self, texts, batch_size=64, normalize=True, progress=None):
        self.calls += len(texts)
        return self.t.encode(texts, batch_size=batch_size, normalize=normalize)


def test_cache_is_reused_and_resumes_missing_shards(tmp_path, tiny_teacher):
    teacher = Counting(load_teacher(tiny_teacher, bf16=False))
    texts = make_sentences(100)
    a = embed_cached(teacher, texts, tmp_path, shard_size=32, show_progress=False, log=lambda m: None)
    assert a.shape == (100, teacher.dim) and teacher.calls == 100
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    (shard,) = list(tmp_path.glob("*/shard_00002.npy"))
    shard.unlink()  # as if interrupted before the third shard
    b = embed_cached(teacher, texts, tmp_path, shard_size=32, show_progress=False, log=lambda m: None)
    assert teacher.calls == 132
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_encode_order_does_not_depend_on_batching(tiny_teacher):
    t = load_teacher(tiny_teacher, bf16=False)
    texts = make_sentences(40)
    np.testing.assert_allclose(t.encode(texts, batch_size=7), t.encode(texts, batch_size=64), atol=1e-5)
