from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nas_complexity.metrics._performance import (
    SCALINGS,
    PerformanceDiversity,
    kendall_tau,
    pds,
    performance_diversity_from_table,
    scale,
    sd_with_ci,
    spearman_rho,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


# ------------------------------------------------------------------------------------------------ scale
def test_scalings_by_hand():
    assert scale([1.0, 2.0, 3.0], "minmax").values.tolist() == [0.0, 0.5, 1.0]
    assert scale([1.0, 2.0, 3.0, 4.0, 5.0], "robust_z").values.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert scale([10.0, 30.0, 20.0], "rank").values.tolist() == [0.0, 1.0, 0.5]
    assert scale([10.0, 10.0, 20.0], "rank").values.tolist() == [0.25, 0.25, 1.0]


def test_clip_minmax_clips_the_tails():
    x = np.arange(101.0)
    x[0] = -1e6  # one extreme outlier
    s = scale(x, "clip_minmax", 0.01, 0.99)
    assert s.values.min() == 0.0 and s.values.max() == 1.0
    assert s.params["low"] == pytest.approx(1.0) and s.params["high"] == pytest.approx(99.0)
    assert s.values[50] == pytest.approx((50 - 1) / 98)
    # the outlier owns the whole range under plain min-max: everything else is squeezed near 1
    assert scale(x, "minmax").values[1:].min() > 0.99


@pytest.mark.parametrize("method", SCALINGS)
def test_constant_array_has_no_spread(method):
    s = scale([3.0] * 10, method)
    assert np.ptp(s.values) == 0.0 and s.sd() == 0.0
    assert pds([3.0] * 10, [5.0] * 10, scaling=method) == 0.0


@pytest.mark.parametrize("method", SCALINGS)
def test_non_finite_values_are_dropped_and_counted(method):
    s = scale([1.0, np.nan, 2.0, np.inf, 3.0, -np.inf], method)
    assert len(s) == 3 and s.n_dropped == 3 and np.isfinite(s.values).all()


def test_scale_errors_name_the_problem():
    with pytest.raises(ValueError, match="accepted: clip_minmax, minmax, robust_z, rank"):
        scale([1.0, 2.0], "zscore")
    with pytest.raises(ValueError, match="no finite values"):
        scale([np.nan, np.inf])
    with pytest.raises(ValueError, match="lower"):
        scale([1.0, 2.0], lower=0.9, upper=0.1)


def test_robust_z_with_zero_iqr_falls_back_to_the_range():
    s = scale([0.0] * 8 + [1.0, 3.0], "robust_z")
    assert s.params["scale"] == 3.0 and s.values.max() == 1.0


# --------------------------------------------------------------------------------------------------- pds
def test_pds_of_identical_arrays_is_zero():
    x = np.random.default_rng(0).normal(size=500)
    for method in SCALINGS:
        assert pds(x, x, scaling=method) == 0.0


def test_pds_by_hand():
    # minmax: [0, .5, 1] has SD .5; [0, 0, 1] has SD sqrt(1/3); PDS = |a - b| / ((a + b) / 2)
    a, b = 0.5, math.sqrt(1 / 3)
    assert pds([0.0, 1.0, 2.0], [0.0, 0.0, 1.0], scaling="minmax") == pytest.approx(abs(a - b) / ((a + b) / 2))
    # scale invariance: multiplying accuracy by 100 changes nothing after scaling
    assert pds([0.0, 1.0, 2.0], [0.0, 0.0, 100.0], scaling="minmax") == pytest.approx(abs(a - b) / ((a + b) / 2))


def test_pds_is_bounded_by_two():
    spread = np.r_[np.zeros(500), np.ones(500)]  # SD ~0.5
    narrow = np.r_[np.zeros(999), 1.0]  # SD ~0.032
    assert 1.5 < pds(spread, narrow, scaling="minmax") < 2.0


def test_paired_pds_drops_a_failed_proxy_from_both_sides():
    proxy = [1.0, 2.0, np.nan, 4.0]
    acc = [10.0, 20.0, -500.0, 40.0]  # the failed architecture's accuracy must not count
    assert pds(proxy, acc, scaling="minmax") == pytest.approx(0.0)  # [1, 2, 4] and [10, 20, 40] scale alike
    assert pds(proxy, acc, scaling="minmax", paired=False) > 0.04
    with pytest.raises(ValueError, match="equal lengths"):
        pds([1.0, 2.0], [1.0, 2.0, 3.0])


def test_rank_correlations():
    x = np.arange(20.0)
    assert kendall_tau(x, 2 * x + 1) == pytest.approx(1.0)
    assert kendall_tau(x, -x) == pytest.approx(-1.0)
    assert kendall_tau([1, 2, 3, 4], [10, 30, 20, 40]) == pytest.approx(2 / 3)
    assert spearman_rho([1, 2, 3, 4], [10, 30, 20, 40]) == pytest.approx(0.8)
    assert kendall_tau([1.0, np.nan, 3.0, 2.0], [1.0, 5.0, 3.0, 2.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 2"):
        kendall_tau([1.0, np.nan], [1.0, 2.0])


# ------------------------------------------------------------------------------------------ sd with CI
def test_sd_with_ci_known_sd_and_interval():
    x = np.arange(100.0)
    sd, (lo, hi) = sd_with_ci(x, n_boot=500, seed=1, scaling="minmax")
    assert sd == pytest.approx(np.std(x, ddof=1) / 99)
    assert lo < sd < hi and hi - lo < 0.05
    assert sd_with_ci(x, n_boot=500, seed=1, scaling="minmax") == (sd, (lo, hi))  # seeded: reproducible
    assert sd_with_ci(x, n_boot=500, seed=2, scaling="minmax")[1] != (lo, hi)
    wide = sd_with_ci(x, n_boot=500, seed=1, scaling="minmax", level=0.99)[1]
    assert wide[0] <= lo and wide[1] >= hi


def test_sd_with_ci_interval_narrows_with_more_data():
    rng = np.random.default_rng(0)
    small = sd_with_ci(rng.normal(size=100), n_boot=300, seed=0)[1]
    large = sd_with_ci(rng.normal(size=5000), n_boot=300, seed=0)[1]
    assert large[1] - large[0] < (small[1] - small[0]) / 3


def test_sd_with_ci_without_bootstrap_and_bad_arguments():
    sd, (lo, hi) = sd_with_ci([1.0, 2.0, 3.0], n_boot=0)
    assert sd > 0 and math.isnan(lo) and math.isnan(hi)
    with pytest.raises(ValueError, match="level"):
        sd_with_ci([1.0, 2.0], level=1.5)
    with pytest.raises(ValueError, match="n_boot"):
        sd_with_ci([1.0, 2.0], n_boot=-1)


# ------------------------------------------------------------------------------------ result and tables
def test_performance_diversity_fields_and_round_trip():
    names = [f for f in PerformanceDiversity.__dataclass_fields__]
    assert names[:9] == ["proxy", "sd", "ci", "n_samples", "n_failed", "scaling", "pds", "kendall_tau",
                         "sd_accuracy"]
    r = PerformanceDiversity("jacov", 0.12, [math.nan, math.nan], 10, 1, "clip_minmax", None, None, None,
                             note="not available: no accuracy table")
    data = json.loads(json.dumps(r.to_dict()))
    assert data["ci"] == [None, None] and data["pds"] is None
    back = PerformanceDiversity.from_dict(data)
    assert back.proxy == "jacov" and math.isnan(back.ci[0]) and back.note == r.note


def test_from_table_counts_failures_and_pairs_rows():
    df = pd.DataFrame({
        "jacov": [-70.0, -65.0, np.nan, -60.0, -62.0, -1.0],
        "accuracy": [80.0, 85.0, 10.0, 90.0, 88.0, np.nan],
    })
    r = performance_diversity_from_table(df, scaling="minmax", seed=0, n_boot=200)
    assert (r.n_samples, r.n_failed, r.n_accuracy) == (4, 1, 4)
    assert "1 rows without accuracy" in r.note
    assert r.kendall_tau == pytest.approx(1.0) and r.spearman == pytest.approx(1.0)
    assert r.sd == pytest.approx(scale([-70.0, -65.0, -60.0, -62.0], "minmax").sd())
    assert r.sd_accuracy == pytest.approx(scale([80.0, 85.0, 90.0, 88.0], "minmax").sd())
    assert r.ci[0] <= r.sd <= r.ci[1]


def test_from_table_without_accuracy_says_so():
    df = pd.DataFrame({"jacov": [1.0, 2.0, 3.0]})
    r = performance_diversity_from_table(df, n_boot=0)
    assert r.pds is None and r.kendall_tau is None and r.sd_accuracy is None
    assert r.note.startswith("not available")
    with pytest.raises(ValueError, match="proxy column 'synflow'.*accepted: jacov"):
        performance_diversity_from_table(df, proxy="synflow")
    with pytest.raises(ValueError, match="all failed"):
        performance_diversity_from_table(pd.DataFrame({"jacov": [np.nan]}), accuracy=None)


# ------------------------------------------------------------------------------------------- real tables
@pytest.fixture(scope="module")
def validation():
    if not DATA.is_dir():
        pytest.skip(f"benchmark tables not found at {DATA} (they live outside the repository)")
    from nas_complexity.data import validation_table

    return validation_table(DATA, n_boot=0)


def _value(table, benchmark, task, column, scaling="clip_minmax"):
    row = table[(table.benchmark == benchmark) & (table.task == task) & (table.scaling == scaling)]
    assert len(row) == 1, (benchmark, task)
    return float(row[column].iloc[0])


@pytest.mark.parametrize("bench, task, expected", [
    ("nb201", "cifar10", 0.632),
    ("nb201", "imagenet16-120", 0.600),
    ("nb101", "cifar10", -0.339),
    ("darts", "cifar10", -0.026),
])
def test_kendall_tau_on_the_benchmarks(validation, bench, task, expected):
    assert _value(validation, bench, task, "kendall_tau") == pytest.approx(expected, abs=0.01)


def test_spearman_and_sample_sizes(validation):
    assert _value(validation, "nb201", "cifar10", "spearman") == pytest.approx(0.82, abs=0.01)
    assert _value(validation, "nb201", "cifar10", "n_samples") == 9_444  # one cell failed
    assert _value(validation, "nb101", "cifar10", "n") == 500


def test_five_percent_clipping_needs_far_fewer_architectures_than_one_percent(data_root):
    """Architectures needed for a +/-10% 95% CI on the SD, from the kurtosis of the scaled NB201 jacov."""
    from scipy import stats

    from nas_complexity.data import load_proxy_accuracy
    from nas_complexity.metrics._performance import scale

    jacov = load_proxy_accuracy(data_root, "nb201", "cifar10")["jacov"]

    def needed(q):
        kurtosis = stats.kurtosis(scale(jacov, "clip_minmax", q, 1 - q).values, fisher=False)
        return (1.96 / 0.10) ** 2 * (kurtosis - 1) / 4

    assert needed(0.01) > 5_000 and needed(0.05) < 800


def test_default_scaling_claims_hold_on_the_data(validation):
    clip = validation[validation.scaling == "clip_minmax"]["pds"]
    assert len(clip) == 30 and clip.min() >= 0.0 and 0.30 < clip.max() < 0.33
    # the 725-cell NB201 sample and the full 9,445-cell table agree on the spread of the proxy
    big = _value(validation, "nb201", "cifar10", "sd_jc")
    small = _value(validation, "nb201-725", "cifar10", "sd_jc")
    assert abs(big - small) < 0.03
    # min-max is dominated by outliers: the same space gives very different PDS on two samples
    assert _value(validation, "nb201", "cifar10", "pds", "minmax") > 1.2
    assert _value(validation, "nb201-725", "cifar10", "pds", "minmax") < 0.5
    # robust z saturates near the ceiling of 2 on the heavy-tailed NB201 sets
    for benchmark, task in [("nb201", "cifar10"), ("nb201", "imagenet16-120"), ("nb201-725", "cifar100")]:
        assert _value(validation, benchmark, task, "pds", "robust_z") > 1.9
    # ranks carry no spread information: PDS is ~0 everywhere
    assert validation[validation.scaling == "rank"]["pds"].max() < 0.02
