"""Statistics of the strategy comparison: pure functions of small arrays and tables, each checkable by hand.

Conventions: a *regret curve* is the normalised regret ``(best - best_so_far) / (best - median)`` after each
trial (0 at the table's optimum, 1 at a median architecture), NaN before the first finite value. A *per-setting
table* is a ``pandas.DataFrame`` indexed by setting with one column per strategy holding its mean regret there (NaN
where the strategy does not apply). Lower is better everywhere.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "across_settings",
    "area_under_regret",
    "evaluations_to_reach",
    "gap_closed",
    "leave_one_group_out",
    "leave_one_setting_out",
    "mean_ci",
    "rank_table",
    "ratio_to_vbs",
    "regret_at",
    "select_single_best",
    "single_best",
    "top_fraction_threshold",
    "virtual_best",
]

Policy = Callable[[str], str]
"""A selector's policy: setting name -> the strategy it picks there."""


def regret_at(curve: Sequence[float] | np.ndarray, budget: int) -> float:
    """The regret after ``budget`` trials: the best-so-far curve's value at trial ``budget`` (1-based).

    Example:
        >>> regret_at([2.0, 1.0, 1.0, 0.0], 3)
        1.0

    Raises:
        ValueError: the curve has fewer than ``budget`` trials, or ``budget`` is not positive.
    """
    curve = np.asarray(curve, dtype=float)
    if budget < 1 or budget > curve.size:
        raise ValueError(f"budget {budget} outside the curve's 1..{curve.size} trials")
    return float(curve[budget - 1])


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval ``mean -/+ t(level, n-1) * sd / sqrt(n)`` (sd with ddof 1).

    NaN values are left out (a run that found nothing has no regret); with one value the interval is
    ``(nan, nan)``, with none everything is NaN. The t-interval assumes roughly normal per-seed regrets; with 10
    seeds it is the usual choice and is what a reader can recompute from the CSV.

    Example:
        >>> m, lo, hi = mean_ci([1.0, 2.0, 3.0])   # sd 1, t(0.975, 2) = 4.303
        >>> m, round(lo, 3), round(hi, 3)
        (2.0, -0.484, 4.484)
    """
    from scipy import stats  # scipy.stats alone takes seconds to import: only when used

    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size == 1:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def area_under_regret(curve: Sequence[float] | np.ndarray, budget: int, fill: float | None = None) -> float:
    """Normalised area under the regret curve up to ``budget``: the mean regret over trials ``1..budget``.

    It is 0 only when the first trial already found the optimum and equals the final regret for a search that
    found nothing better after its first trial, so it rewards finding good architectures early. Trials before
    the first finite value (NaN) count as ``fill`` (the harness passes the regret of the table's worst entry);
    with ``fill=None`` they make the result NaN.

    Example:
        >>> area_under_regret([2.0, 1.0, 1.0, 0.0], 4)
        1.0
        >>> area_under_regret([float("nan"), 1.0], 2, fill=3.0)
        2.0
    """
    head = np.asarray(curve, dtype=float)[:budget]
    if head.size < budget or budget < 1:
        raise ValueError(f"budget {budget} outside the curve's 1..{len(curve)} trials")
    if fill is not None:
        head = np.where(np.isnan(head), fill, head)
    return float(head.mean())


def top_fraction_threshold(table_values: Iterable[float], fraction: float = 0.01, direction: str = "maximize") -> float:
    """The metric an architecture must reach to be in the table's top ``fraction``: the value of the
    ``max(1, ceil(fraction * n))``-th best of the ``n`` finite entries.

    Example:
        >>> top_fraction_threshold(range(1, 201), 0.01)          # top 2 of 200: 200 and 199
        199.0
        >>> top_fraction_threshold([5.0, 1.0, 3.0], 0.01, "minimize")
        1.0
    """
    x = np.asarray(list(table_values), dtype=float)
    x = np.sort(x[np.isfinite(x)])
    if x.size == 0:
        raise ValueError("the table has no finite value")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction!r}; accepted: 0 < fraction <= 1")
    k = max(1, math.ceil(fraction * x.size))
    return float(x[-k] if direction == "maximize" else x[k - 1])


def evaluations_to_reach(values: Iterable[float | None], threshold: float, direction: str = "maximize") -> int | None:
    """The number of evaluations until the first value at least as good as ``threshold`` (1-based), or ``None``
    when none reaches it. ``None``/NaN values (pruned or failed trials) count as evaluations that did not reach it.

    Example:
        >>> evaluations_to_reach([1.0, None, 5.0, 9.0], 5.0)
        3
        >>> evaluations_to_reach([1.0, 2.0], 5.0) is None
        True
    """
    better = (lambda v: v >= threshold) if direction == "maximize" else (lambda v: v <= threshold)
    for i, v in enumerate(values, start=1):
        if v is not None and not math.isnan(v) and better(v):
            return i
    return None


def rank_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per-setting ranks of the strategies (1 = lowest regret; ties get their average rank; NaN stays NaN).

    Example:
        >>> t = pd.DataFrame({"a": [0.1, 0.5], "b": [0.2, 0.5], "c": [0.1, float("nan")]}, index=["s1", "s2"])
        >>> rank_table(t).values.tolist()
        [[1.5, 3.0, 1.5], [1.5, 1.5, nan]]
    """
    return table.rank(axis=1, method="average", ascending=True, na_option="keep")


def single_best(table: pd.DataFrame, candidates: Sequence[str] | None = None) -> tuple[str, float]:
    """The single best strategy (SBS): among ``candidates`` (default: every column) that have a value on every
    setting, the one with the lowest mean regret across settings; returns ``(name, mean)``. Ties go to the
    earlier column.

    Example:
        >>> t = pd.DataFrame({"a": [0.0, 1.0], "b": [0.4, 0.4], "c": [0.0, float("nan")]}, index=["s1", "s2"])
        >>> single_best(t)
        ('b', 0.4)

    Raises:
        ValueError: no candidate has a value on every setting.
    """
    columns = list(table.columns if candidates is None else candidates)
    complete = [c for c in columns if table[c].notna().all()]
    if not complete:
        raise ValueError(f"no strategy among {columns} has a result on every setting; the SBS is undefined")
    means = table[complete].mean(axis=0)
    name = str(means.idxmin())
    return name, float(means[name])


def virtual_best(table: pd.DataFrame, candidates: Sequence[str] | None = None) -> float:
    """The virtual best (VBS, an oracle choosing per setting): the mean over settings of each setting's lowest
    regret among ``candidates`` (default: every column; NaN entries are skipped).

    Example:
        >>> t = pd.DataFrame({"a": [0.0, 1.0], "b": [0.4, 0.4]}, index=["s1", "s2"])
        >>> virtual_best(t)
        0.2
    """
    columns = list(table.columns if candidates is None else candidates)
    return float(table[columns].min(axis=1, skipna=True).mean())


def gap_closed(sbs: float, selector: float, vbs: float) -> float | None:
    """The share of the SBS-to-VBS gap a selector closes: ``(sbs - selector) / (sbs - vbs)``.

    1 means as good as the oracle, 0 as good as the single best strategy, negative worse than it; ``None`` when
    there is no gap (the SBS is best on every setting).

    Example:
        >>> gap_closed(4.0, 3.0, 2.0), gap_closed(4.0, 5.0, 2.0), gap_closed(2.0, 3.0, 2.0)
        (0.5, -0.5, None)
    """
    gap = sbs - vbs
    return None if gap == 0 or not math.isfinite(gap) else float((sbs - selector) / gap)


def ratio_to_vbs(selector: float, vbs: float) -> float | None:
    """The selector's regret relative to the virtual best, ``selector / vbs``; ``None`` when the VBS is 0.

    Example:
        >>> ratio_to_vbs(0.75, 0.5)
        1.5
    """
    return None if vbs == 0 or not math.isfinite(vbs) else float(selector / vbs)


def across_settings(table: pd.DataFrame, selectors: Sequence[str] = ()) -> dict[str, Any]:
    """The across-settings summary of one budget: SBS and VBS over the fixed strategies (every column not in
    ``selectors``), and for each selector present its mean regret, the gap closed and the ratio to the VBS.

    Example:
        >>> t = pd.DataFrame({"a": [0.0, 1.0], "b": [0.4, 0.4], "adv": [0.0, 0.4]}, index=["s1", "s2"])
        >>> s = across_settings(t, selectors=["adv"])
        >>> s["sbs"], s["sbs_regret"], s["vbs_regret"], s["selectors"]["adv"]
        ('b', 0.4, 0.2, {'regret': 0.2, 'gap_closed': 1.0, 'ratio_to_vbs': 1.0})
    """
    fixed = [c for c in table.columns if c not in set(selectors)]
    sbs_name, sbs = single_best(table, fixed)
    vbs = virtual_best(table, fixed)
    out: dict[str, Any] = {"n_settings": len(table), "sbs": sbs_name, "sbs_regret": sbs, "vbs_regret": vbs,
                           "vbs_choice": {str(k): str(v) for k, v in table[fixed].idxmin(axis=1).items()},
                           "selectors": {}}
    for name in selectors:
        if name not in table.columns or table[name].isna().any():
            continue  # a selector missing on some setting cannot be compared on the same settings
        regret = float(table[name].mean())
        out["selectors"][name] = {"regret": regret, "gap_closed": gap_closed(sbs, regret, vbs),
                                  "ratio_to_vbs": ratio_to_vbs(regret, vbs)}
    return out


def select_single_best(train: pd.DataFrame) -> Policy:
    """A selector for :func:`leave_one_group_out`: the SBS of the training settings, everywhere.

    Example:
        >>> t = pd.DataFrame({"a": [0.0, 1.0], "b": [0.4, 0.4]}, index=["s1", "s2"])
        >>> select_single_best(t)("any setting")
        'b'
    """
    name, _ = single_best(train)
    return lambda setting: name


def leave_one_group_out(results: pd.DataFrame, groups: Mapping[str, str],
                        select: Callable[[pd.DataFrame], Policy]) -> pd.DataFrame:
    """Evaluate a selector on settings it was not built from: for each group, ``select`` sees the rows of every
    other group and returns a policy (setting -> strategy), which is scored on the held-out group's settings.

    Args:
        results: per-setting table (index setting, one column per strategy, mean regret).
        groups: setting -> group (e.g. its search space, so that no space is both trained on and tested on).
        select: ``train_rows -> policy``; anything from a fixed rule to a model on profile features (close over a
            feature table to use one).

    Returns one row per setting: ``setting``, ``group``, ``chosen``, ``regret`` (of the chosen strategy there),
    ``best`` (the setting's lowest regret) and ``best_strategy``.

    Example:
        >>> t = pd.DataFrame({"a": [0.0, 0.1, 1.0], "b": [0.5, 0.5, 0.2]}, index=["x1", "x2", "y1"])
        >>> out = leave_one_group_out(t, {"x1": "x", "x2": "x", "y1": "y"}, select_single_best)
        >>> out[["setting", "chosen", "regret"]].values.tolist()
        [['x1', 'b', 0.5], ['x2', 'b', 0.5], ['y1', 'a', 1.0]]
    """
    missing = [s for s in results.index if s not in groups]
    if missing:
        raise ValueError(f"settings without a group: {missing}")
    rows = []
    group_of = pd.Series({s: groups[s] for s in results.index})
    for group in dict.fromkeys(group_of):  # first-seen order, stable output
        test = group_of.index[group_of == group]
        train = results.loc[group_of.index[group_of != group]]
        if train.empty:
            raise ValueError(f"group {group!r} holds every setting; nothing is left to build the selector from")
        policy = select(train)
        for setting in test:
            chosen = policy(setting)
            row = results.loc[setting]
            rows.append({"setting": setting, "group": group, "chosen": chosen, "regret": float(row[chosen]),
                         "best": float(row.min(skipna=True)), "best_strategy": str(row.idxmin(skipna=True))})
    return pd.DataFrame(rows, columns=["setting", "group", "chosen", "regret", "best", "best_strategy"])


def leave_one_setting_out(results: pd.DataFrame, select: Callable[[pd.DataFrame], Policy]) -> pd.DataFrame:
    """:func:`leave_one_group_out` with every setting its own group.

    Example:
        >>> t = pd.DataFrame({"a": [0.0, 1.0, 0.1], "b": [0.5, 0.2, 0.3]}, index=["s1", "s2", "s3"])
        >>> leave_one_setting_out(t, select_single_best)["chosen"].tolist()   # s3 held out: b (0.35) beats a (0.5)
        ['b', 'a', 'b']
    """
    return leave_one_group_out(results, {s: s for s in results.index}, select)
