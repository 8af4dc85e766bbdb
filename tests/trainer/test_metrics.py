import numpy as np
import pytest

from trainer.metrics import mrr_at_k, ndcg_at_k, paired_cosine, recall_at_k, retrieval_scores, spearman, top_k_ids


def test_perfect_ranking_has_ndcg_one():
    assert ndcg_at_k(["a", "b", "c"], {"a": 1, "b": 1}) == pytest.approx(1.0)


def test_ndcg_hand_case():
    # one relevant doc at rank 2: 1/log2(3)
    assert ndcg_at_k(["x", "a", "y"], {"a": 1}) == pytest.approx(1 / np.log2(3))
    assert ndcg_at_k(["x", "y"], {"a": 1}) == 0.0


def test_ndcg_cuts_at_k():
    ranked = [f"d{i}" for i in range(20)]
    assert ndcg_at_k(ranked, {"d15": 1}, k=10) == 0.0


def test_recall_and_mrr():
    assert recall_at_k(["a", "x", "b"], {"a": 1, "b": 1, "c": 1}, k=2) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "a"], {"a": 1}) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], {"a": 1}, k=10) == 0.0


def test_reversed_order_has_spearman_minus_one():
    assert spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([0.1, 0.5, 0.9], [1, 2, 3]) == pytest.approx(1.0)


def test_retrieval_scores_average_over_judged_queries():
    res = retrieval_scores({"q1": ["a", "b"], "q2": ["c", "d"]}, {"q1": {"a": 1}, "q2": {"d": 1}})
    assert res["ndcg@10"] == pytest.approx(100 * (1 + 1 / np.log2(3)) / 2)
    assert res["mrr@10"] == pytest.approx(75.0)
    assert res["queries"] == 2


def test_top_k_ids_and_cosine():
    docs = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    q = np.array([[1.0, 0.1]])
    assert top_k_ids(q, docs, ["a", "b", "c"], k=2) == [["a", "c"]]
    assert paired_cosine(np.array([[2.0, 0.0]]), np.array([[0.0, 3.0]]))[0] == pytest.approx(0.0)
