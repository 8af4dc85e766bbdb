"""The contrastive stage (trainer/contrastive.py): mining, batching, and a real tiny run to a loadable model."""

from __future__ import annotations

import numpy as np

import klein_model
from trainer.contrastive import NEGATIVE_CEILING, ContrastConfig, Pair, batches, mine_negatives, train


def unit(rows):
    a = np.asarray(rows, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_mining_takes_the_closest_passage_of_the_same_source_below_the_ceiling():
    pairs = [Pair("a", "q0", "p0"), Pair("a", "q1", "p1"), Pair("a", "q2", "p2"), Pair("b", "q3", "p3")]
    q = unit([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]])
    # p1 is as close to q0 as q0's own passage (a second right answer, not a negative); p2 is clearly worse
    p = unit([[1, 0.2, 0], [1, 0.2, 0.01], [0.6, 0, 1], [1, 0, 0]])
    mined = mine_negatives(pairs, q, p)
    assert mined[0].negative == "p2"  # p1 skipped: within the ceiling of the true passage's score
    own = float(q[0] @ p[0])
    assert float(q[0] @ p[1]) >= NEGATIVE_CEILING * own > float(q[0] @ p[2])
    assert mined[3].negative is None  # alone in its source: nothing to mine
    given = mine_negatives([Pair("a", "q", "p", "given"), Pair("a", "r", "s")], q[:2], p[:2])
    assert given[0].negative == "given"


def test_batches_hold_one_source_each_and_cover_every_pair():
    pairs = [Pair("a" if i % 3 else "b", f"q{i}", f"p{i}") for i in range(100)]
    out = batches(pairs, 16, seed=1, epoch=0)
    assert all(len({pairs[i].source for i in b}) == 1 for b in out)
    flat = [i for b in out for i in b]
    assert len(flat) == len(set(flat)) and len(flat) >= 100 - 2 * 8
    assert batches(pairs, 16, seed=1, epoch=0) == out and batches(pairs, 16, seed=1, epoch=1) != out


def test_a_short_run_trains_and_exports_a_model_that_loads(tiny_data, tmp_path):
    from klein_model.testing import make_tiny_model

    start = make_tiny_model(tmp_path / "start", hidden=32, layers=1, vocab_size=300)
    cfg = ContrastConfig(
        minutes=0.05, batch_size=8, per_source={"wiki_title_lead": 48, "qa": 4}, matryoshka_dims=[16, 32], bf16=False
    )
    log = []
    folder = train(start, tiny_data, tmp_path / "run", cfg, log.append)
    assert any("pairs" in line and "with a negative" in line for line in log)
    texts = ["a dog plays in the park", "the stock market fell sharply"]
    before = klein_model.load(str(start), precision="float32").encode(texts)
    after = klein_model.load(str(folder), precision="float32").encode(texts)
    assert after.shape == before.shape and np.allclose(np.linalg.norm(after, axis=1), 1, atol=1e-4)
    assert not np.allclose(after, before, atol=1e-4)  # the weights moved
    # a second call finds the model and does nothing more
    assert train(start, tiny_data, tmp_path / "run", cfg, log.append) == folder
    assert "already trained" in log[-1]
