import pytest

from klein_app.queries.fusion import RRF_K, reciprocal_rank_fusion
from klein_app.queries.search import fuse


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


def _hit(path, i):
    return {"path": path, "chunk_index": i}


def test_fuse_chunk_hits_scales_scores_to_one():
    vector = [(_hit("/a", 0), 0.9), (_hit("/b", 0), 0.8)]
    text = [(_hit("/a", 0), 12.0), (_hit("/c", 1), 3.0)]
    fused = fuse(vector, text)
    assert fused[0][0] == _hit("/a", 0)
    assert fused[0][1] == pytest.approx(1.0)
    assert all(0 < s <= 1 for _, s in fused)
    assert {(h["path"], h["chunk_index"]) for h, _ in fused} == {("/a", 0), ("/b", 0), ("/c", 1)}


def test_fuse_with_one_empty_side():
    vector = [(_hit("/a", 0), 0.9), (_hit("/b", 0), 0.8)]
    fused = fuse(vector, [])
    assert [h["path"] for h, _ in fused] == ["/a", "/b"]
    assert fused[0][1] == pytest.approx((1 / (RRF_K + 1)) / (2 / (RRF_K + 1)))


def test_fuse_text_weight_lets_an_exact_match_win():
    vector = [(_hit("/near", 0), 0.9)]
    text = [(_hit("/exact", 0), 9.0)]
    assert fuse(vector, text)[0][0] == _hit("/near", 0)  # a tie goes to the first list
    fused = fuse(vector, text, text_weight=2.0)
    assert fused[0][0] == _hit("/exact", 0)
    assert fused[0][1] == pytest.approx(2 / 3)
