"""Weight interpolation with the start model: the arithmetic, and the rule that picks the share."""

import pytest
import torch

from trainer.interpolate import choose_mix, mixed_state


def test_mixed_state_is_the_weighted_mean_of_float_tensors():
    start = {"w": torch.zeros(3), "ids": torch.arange(3)}
    tuned = {"w": torch.ones(3) * 4, "ids": torch.arange(3) + 10}
    mix = mixed_state(start, tuned, 0.25)
    assert torch.allclose(mix["w"], torch.ones(3))
    assert torch.equal(mix["ids"], tuned["ids"])  # integer buffers are not averaged


@pytest.mark.parametrize(("max_drop", "expected"), [(0.3, 0.5), (1.5, 0.75), (10.0, 1.0), (0.0, 0.0)])
def test_the_largest_share_within_the_allowed_drop_is_chosen_and_loaded(max_drop, expected):
    model = torch.nn.Linear(1, 1, bias=False)
    start_state = {"weight": torch.zeros(1, 1)}
    with torch.no_grad():
        model.weight.fill_(1.0)  # the tuned model; the mix's weight equals alpha

    def score(m):
        # STS falls as the weight moves off the start (0.2 per 0.25 up to 0.5, then faster); bitext rises
        a = float(m.weight.detach())
        return 80.0 - (0.4 * a if a <= 0.5 else 0.2 + 4.0 * (a - 0.5)), 10.0 * a

    alpha, scores = choose_mix(model, start_state, [0.25, 0.5, 0.75], score, max_drop=max_drop, log=lambda m: None)
    assert alpha == expected
    assert float(model.weight) == pytest.approx(expected)
    assert [s.alpha for s in scores] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert scores[-1].bitext_dev == pytest.approx(10.0)
