"""The proxy's main effects of parameter values (what guides an evolution's mutations)."""
from __future__ import annotations

import math

import pytest

from nas_complexity.metrics import SHRINKAGE, effect_of, value_effects, value_key


def test_effects_are_shrunk_mean_scaled_ranks_computed_by_hand():
    archs = [{"op": "a"}, {"op": "a"}, {"op": "b"}, {"op": "b", "w": 2}]
    scores = [1.0, 2.0, 3.0, 4.0]  # ranks 1..4 -> scaled -0.5, -1/6, 1/6, 0.5
    effects = value_effects(archs, scores)
    assert effects["op"]['"a"'] == pytest.approx((-0.5 - 1 / 6) / (2 + SHRINKAGE), abs=1e-6)
    assert effects["op"]['"b"'] == pytest.approx((1 / 6 + 0.5) / (2 + SHRINKAGE), abs=1e-6)
    assert effects["w"] == {"2": pytest.approx(0.5 / (1 + SHRINKAGE), abs=1e-6)}  # inactive elsewhere: not counted
    unshrunk = value_effects(archs, scores, shrinkage=0)
    assert unshrunk["op"]['"a"'] == pytest.approx(-1 / 3, abs=1e-6)


def test_lower_is_better_reverses_the_effects_and_bad_scores_are_left_out():
    archs = [{"op": o} for o in "abcab"]
    scores = [1.0, 2.0, 3.0, math.nan, math.inf]
    up, down = value_effects(archs, scores), value_effects(archs, scores, higher_is_better=False)
    assert up["op"]['"c"'] > 0 > up["op"]['"a"'] and down["op"]['"c"'] < 0 < down["op"]['"a"']
    assert value_effects(archs[:2], scores[:2]) == {}  # fewer than 3 finite scores: nothing to rank
    with pytest.raises(ValueError, match="2 architectures but 1 scores"):
        value_effects(archs[:2], [1.0])


def test_value_keys_match_what_optuna_hands_back_and_unknown_values_count_zero():
    import numpy as np

    assert value_key(np.int64(3)) == value_key(3) == "3" and value_key(None) == "null"
    effects = {"op": {value_key("conv"): 0.25}, "w": {value_key(8): -0.1}}
    assert effect_of(effects, {"op": "conv", "w": 8}) == pytest.approx(0.15)
    assert effect_of(effects, {"op": "pool", "depth": 3}) == 0.0
