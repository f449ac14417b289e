"""The comparison statistics against hand-computed values on tiny arrays and tables."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nas_complexity.benchmarking import _stats as st


def test_regret_at_reads_the_best_so_far_curve_at_the_budget():
    curve = [3.0, 2.0, 2.0, 0.5]
    assert [st.regret_at(curve, b) for b in (1, 2, 4)] == [3.0, 2.0, 0.5]
    with pytest.raises(ValueError, match="budget 5"):
        st.regret_at(curve, 5)
    with pytest.raises(ValueError):
        st.regret_at(curve, 0)


def test_mean_ci_is_a_student_t_interval():
    # mean 2, sd 1, n 3: half-width t(0.975, 2) / sqrt(3) = 4.302653 / 1.732051 = 2.484138
    mean, low, high = st.mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert low == pytest.approx(2.0 - 2.484138, abs=1e-6) and high == pytest.approx(2.0 + 2.484138, abs=1e-6)
    # n 4, values 0, 0, 1, 1: sd 0.57735, t(0.975, 3) = 3.182446 -> half 0.918693
    mean, low, high = st.mean_ci([0.0, 1.0, 0.0, 1.0])
    assert (mean, round(high - mean, 6)) == (0.5, 0.918693)
    mean, low, high = st.mean_ci([0.7, float("nan")])  # NaN left out: one value, no interval
    assert mean == 0.7 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in st.mean_ci([]))
    assert st.mean_ci([0.25, 0.25, 0.25]) == (0.25, 0.25, 0.25)  # no spread: a zero-width interval


def test_area_under_regret_is_the_mean_over_the_first_trials():
    curve = [4.0, 2.0, 2.0, 0.0, 0.0]
    assert st.area_under_regret(curve, 1) == 4.0
    assert st.area_under_regret(curve, 4) == 2.0  # (4 + 2 + 2 + 0) / 4
    assert st.area_under_regret(curve, 5) == 1.6
    nan = float("nan")
    assert st.area_under_regret([nan, nan, 1.0, 1.0], 4, fill=5.0) == 3.0  # (5 + 5 + 1 + 1) / 4
    assert math.isnan(st.area_under_regret([nan, 1.0], 2))
    with pytest.raises(ValueError):
        st.area_under_regret(curve, 6)


def test_top_fraction_threshold_counts_the_best_ceil_fraction():
    assert st.top_fraction_threshold(range(1, 201), 0.01) == 199.0  # top 2 of 200
    assert st.top_fraction_threshold(range(1, 51), 0.01) == 50.0  # ceil(0.5) = 1: only the best
    assert st.top_fraction_threshold(range(1, 202), 0.01) == 199.0  # ceil(2.01) = 3 of 201
    assert st.top_fraction_threshold([5.0, 1.0, 3.0, 2.0], 0.5, "minimize") == 2.0
    assert st.top_fraction_threshold([1.0, float("nan"), 3.0], 0.01) == 3.0
    with pytest.raises(ValueError):
        st.top_fraction_threshold([1.0], 0.0)


def test_evaluations_to_reach_counts_failed_trials_and_says_none_when_never_reached():
    assert st.evaluations_to_reach([1.0, None, float("nan"), 7.0, 9.0], 7.0) == 4
    assert st.evaluations_to_reach([1.0, 2.0], 7.0) is None
    assert st.evaluations_to_reach([0.9, 0.3, 0.1], 0.3, "minimize") == 2
    assert st.evaluations_to_reach([], 1.0) is None


def test_rank_table_averages_ties_and_keeps_nan():
    table = pd.DataFrame({"a": [0.1, 0.3, 0.0], "b": [0.2, 0.3, 0.0], "c": [0.1, 0.1, np.nan]},
                         index=["s1", "s2", "s3"])
    ranks = st.rank_table(table)
    assert ranks.loc["s1"].tolist() == [1.5, 3.0, 1.5]
    assert ranks.loc["s2"].tolist() == [2.5, 2.5, 1.0]
    assert ranks.loc["s3", ["a", "b"]].tolist() == [1.5, 1.5] and math.isnan(ranks.loc["s3", "c"])


@pytest.fixture
def hand_table() -> pd.DataFrame:
    """Regret of three fixed strategies and two selectors on four settings (space groups x and y)."""
    return pd.DataFrame(
        {
            "random": [0.40, 0.60, 0.20, 0.50],   # mean 0.425
            "tpe":    [0.10, 0.50, 0.30, 0.30],   # mean 0.30  <- SBS
            "evo":    [0.30, 0.20, 0.10, 0.70],   # mean 0.325
            "cma":    [np.nan, 0.05, np.nan, np.nan],  # only one setting: no SBS candidate, but counts for VBS
            "advisor": [0.10, 0.20, 0.30, 0.30],  # mean 0.225
        },
        index=["x1", "x2", "y1", "y2"],
    )


def test_sbs_vbs_gap_and_ratio_by_hand(hand_table):
    fixed = ["random", "tpe", "evo", "cma"]
    assert st.single_best(hand_table, fixed) == ("tpe", pytest.approx(0.30))
    # VBS: per setting min over fixed ones: 0.10, 0.05, 0.10, 0.30 -> mean 0.1375
    assert st.virtual_best(hand_table, fixed) == pytest.approx(0.1375)
    # gap closed = (0.30 - 0.225) / (0.30 - 0.1375) = 0.075 / 0.1625; ratio = 0.225 / 0.1375
    summary = st.across_settings(hand_table, selectors=["advisor"])
    assert summary["sbs"] == "tpe" and summary["n_settings"] == 4
    assert summary["vbs_choice"] == {"x1": "tpe", "x2": "cma", "y1": "evo", "y2": "tpe"}
    advisor = summary["selectors"]["advisor"]
    assert advisor["regret"] == pytest.approx(0.225)
    assert advisor["gap_closed"] == pytest.approx(0.075 / 0.1625)
    assert advisor["ratio_to_vbs"] == pytest.approx(0.225 / 0.1375)


def test_gap_and_ratio_edge_cases():
    assert st.gap_closed(0.3, 0.3, 0.1) == 0.0
    assert st.gap_closed(0.3, 0.1, 0.1) == 1.0
    assert st.gap_closed(0.3, 0.5, 0.1) == pytest.approx(-1.0)
    assert st.gap_closed(0.1, 0.2, 0.1) is None  # no gap to close
    assert st.ratio_to_vbs(0.2, 0.0) is None
    assert st.ratio_to_vbs(0.0, 0.0) is None


def test_single_best_needs_a_strategy_on_every_setting():
    table = pd.DataFrame({"a": [0.1, np.nan], "b": [np.nan, 0.2]}, index=["s1", "s2"])
    with pytest.raises(ValueError, match="every setting"):
        st.single_best(table)


def test_across_settings_skips_a_selector_missing_on_some_setting(hand_table):
    table = hand_table.assign(auto=[0.1, np.nan, 0.1, 0.1])
    summary = st.across_settings(table, selectors=["advisor", "auto"])
    assert set(summary["selectors"]) == {"advisor"}
    assert summary["sbs"] == "tpe"  # the selectors are not SBS candidates


def test_leave_one_group_out_trains_without_the_held_out_group(hand_table):
    fixed = hand_table[["random", "tpe", "evo"]]
    groups = {"x1": "x", "x2": "x", "y1": "y", "y2": "y"}
    seen: list[list[str]] = []

    def select(train: pd.DataFrame):
        seen.append(sorted(train.index))
        return st.select_single_best(train)

    out = st.leave_one_group_out(fixed, groups, select)
    assert seen == [["y1", "y2"], ["x1", "x2"]]
    # held out x: on y the means are random 0.35, tpe 0.30, evo 0.40 -> tpe
    # held out y: on x the means are random 0.50, tpe 0.30, evo 0.25 -> evo
    assert out["chosen"].tolist() == ["tpe", "tpe", "evo", "evo"]
    assert out["regret"].tolist() == [0.10, 0.50, 0.10, 0.70]
    assert out["best"].tolist() == [0.10, 0.20, 0.10, 0.30]
    assert out["best_strategy"].tolist() == ["tpe", "evo", "evo", "tpe"]
    assert out["group"].tolist() == ["x", "x", "y", "y"]


def test_leave_one_group_out_takes_any_selector(hand_table):
    # A selector on a feature: the strategy that did best on the training setting nearest in "size".
    size = {"x1": 1.0, "x2": 2.0, "y1": 5.0, "y2": 6.0}
    fixed = hand_table[["random", "tpe", "evo"]]

    def nearest(train: pd.DataFrame):
        def policy(setting: str) -> str:
            closest = min(train.index, key=lambda s: abs(size[s] - size[setting]))
            return str(train.loc[closest].idxmin())
        return policy

    out = st.leave_one_setting_out(fixed, nearest)
    # x1 -> nearest x2 (evo); x2 -> x1 (tpe); y1 -> y2 (tpe); y2 -> y1 (evo)
    assert out["chosen"].tolist() == ["evo", "tpe", "tpe", "evo"]
    assert out["regret"].tolist() == [0.30, 0.50, 0.30, 0.70]


def test_leave_one_group_out_errors():
    table = pd.DataFrame({"a": [0.1, 0.2]}, index=["s1", "s2"])
    with pytest.raises(ValueError, match="without a group"):
        st.leave_one_group_out(table, {"s1": "g"}, st.select_single_best)
    with pytest.raises(ValueError, match="every setting"):
        st.leave_one_group_out(table, {"s1": "g", "s2": "g"}, st.select_single_best)
