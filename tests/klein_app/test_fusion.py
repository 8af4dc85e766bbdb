import pytest

from klein_app.queries.fusion import reciprocal_rank_fusion, weighted_score_fusion
from klein_app.queries.search import VECTOR_SHARE, fuse


def test_item_in_both_lists_beats_items_in_one():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["d", "b", "e"]])
    assert fused[0][0] == "b"


def test_scores_are_sums_of_reciprocal_ranks():
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["b"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)


def test_one_list_keeps_its_order():
    assert [x for x, _ in reciprocal_rank_fusion([["x", "y", "z"]])] == ["x", "y", "z"]


def test_empty_inputs():
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []


def test_duplicates_within_a_list_count_once_at_best_rank():
    fused = dict(reciprocal_rank_fusion([["a", "a", "b"]], k=0))
    assert fused["a"] == pytest.approx(1.0)
    assert fused["b"] == pytest.approx(1 / 3)


def test_ties_are_broken_deterministically_by_best_rank_then_first_seen():
    # a and c both score 1/61 + 1/62 ... no: make exact ties
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "a"]])
    assert [x for x, _ in fused] == ["a", "b"]  # equal scores, both best rank 1, a seen first
    fused = reciprocal_rank_fusion([["p"], ["q"]])
    assert [x for x, _ in fused] == ["p", "q"]


def test_weights_shift_the_balance():
    fused = reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.0])
    assert fused[0][0] == "b"


def test_bad_arguments():
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], k=-1)
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0])


def test_a_deep_hit_in_both_lists_beats_a_top_hit_in_one():
    # The property hybrid search relies on: agreement outweighs one list's enthusiasm.
    vector = ["v1", "v2", "v3", "shared"]
    text = ["t1", "t2", "t3", "shared"]
    fused = reciprocal_rank_fusion([vector, text])
    assert fused[0][0] == "shared"


def test_weighted_score_fusion_keeps_margins():
    # "a" is far ahead in the second list and nearly level in the first: it stays first, where RRF would
    # give it one rank's worth.
    fused = weighted_score_fusion([{"b": 0.62, "a": 0.60}, {"a": 1.0, "b": 0.1}], weights=[1.0, 1.0])
    assert [x for x, _ in fused] == ["a", "b"]
    assert dict(fused)["a"] == pytest.approx(0.8)
    assert dict(fused)["b"] == pytest.approx(0.36)


def test_weighted_score_fusion_missing_items_score_zero_and_ties_keep_order():
    fused = weighted_score_fusion([{"x": 0.5}, {"y": 0.5}], weights=[1.0, 1.0])
    assert fused == [("x", 0.25), ("y", 0.25)]
    with pytest.raises(ValueError):
        weighted_score_fusion([{"x": 1.0}], weights=[1.0, 1.0])
    with pytest.raises(ValueError):
        weighted_score_fusion([{"x": 1.0}], weights=[0.0])


def _hit(path, i, cosine):
    return {"path": path, "chunk_index": i, "cosine": cosine}


def test_fuse_adds_the_cosine_to_the_scaled_bm25():
    a, b, c = _hit("/a", 0, 0.9), _hit("/b", 0, 0.8), _hit("/c", 1, 0.3)
    fused = fuse([(a, 0.9), (b, 0.8)], [(a, 12.0), (c, 3.0)])
    share = VECTOR_SHARE
    assert fused[0][0] is a
    scores = {h["path"]: s for h, s in fused}
    assert scores["/a"] == pytest.approx(share * 0.9 + (1 - share) * 1.0)
    assert scores["/b"] == pytest.approx(share * 0.8)
    # found by full text only, the chunk is still scored by its cosine
    assert scores["/c"] == pytest.approx(share * 0.3 + (1 - share) * 0.25)


def test_fuse_with_one_empty_side():
    a, b = _hit("/a", 0, 0.9), _hit("/b", 0, 0.8)
    fused = fuse([(a, 0.9), (b, 0.8)], [])
    assert [h["path"] for h, _ in fused] == ["/a", "/b"]
    assert fused[0][1] == pytest.approx(VECTOR_SHARE * 0.9)


def test_fuse_text_weight_lets_an_exact_match_win():
    near, exact = _hit("/near", 0, 0.9), _hit("/exact", 0, 0.5)
    vector, text = [(near, 0.9)], [(exact, 9.0)]
    share = VECTOR_SHARE
    plain = dict((h["path"], s) for h, s in fuse(vector, text))
    weighted = dict((h["path"], s) for h, s in fuse(vector, text, text_weight=2.0))
    assert weighted["/exact"] - weighted["/near"] > plain["/exact"] - plain["/near"]
    assert weighted["/exact"] == pytest.approx((share * 0.5 + 2 * (1 - share)) / (share + 2 * (1 - share)))
