"""Profile-feature splits for the fitted policy: a candidate chosen by what the profile measured, not only by budget.

At one budget, :func:`best_split` tries every condition ``feature < t`` and ``feature >= t`` on the profile features
the decision reads (:data:`SPLIT_FEATURES`, thresholds halfway between the training settings' values) and every
candidate against the choice for all settings, on the training settings where the condition holds. A split is kept
only where its candidate beats that choice there by a one-sided Wilcoxon signed-rank test paired by setting,
Holm-adjusted over every (condition, candidate) pair tried: with a few dozen settings and a hundred pairs, the best
split by mean alone is noise (``python benchmarks/evidence.py`` prints what the splits would give held out without
the test).

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"candidate:a": [0.1, 0.1, 0.1, 0.1, 0.3, 0.3, 0.3, 0.3],
    ...                       "candidate:b": [0.3, 0.3, 0.3, 0.3, 0.1, 0.1, 0.1, 0.1]},
    ...                      index=[f"s{k}" for k in range(8)])
    >>> features = {f"s{k}": {"log10_size": float(k)} for k in range(8)}
    >>> split = best_split(table, "candidate:a", features, significance=1.0)
    >>> split.condition, split.best, split.settings
    (Condition(feature='log10_size', op='>=', threshold=3.5), 'candidate:b', ('s4', 's5', 's6', 's7'))
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd

from nas_complexity.benchmarking._significance import holm, wilcoxon_less
from nas_complexity.strategies import Condition

__all__ = ["MIN_SPLIT_SETTINGS", "SPLIT_FEATURES", "Split", "best_split"]

SPLIT_FEATURES: tuple[str, ...] = ("log10_size", "n_params", "architecture_diversity", "performance_sd")
"""Profile features a fitted split may read (names of :func:`~nas_complexity.strategies.features_of`): the ones that
do not depend on the budget and are measured before the search. ``performance_sd`` comes from the proxy's scores, so
a split on it makes the hook score the proxy."""

MIN_SPLIT_SETTINGS = 4
"""A split must hold for at least this many training settings (a one-sided Wilcoxon test on fewer cannot reach
p < 0.05 even before the correction)."""


@dataclass(frozen=True)
class Split:
    """A condition on a profile feature, the candidate chosen where it holds, and the test behind it."""

    condition: Condition
    best: str
    settings: tuple[str, ...]
    mean_best: float
    mean_base: float
    p_adjusted: float
    tests: int


def _thresholds(values: Sequence[float]) -> list[float]:
    """Halfway between neighbouring distinct values, rounded to 4 significant digits while staying between them."""
    known = sorted(set(values))
    out = []
    for lo, hi in zip(known, known[1:]):
        mid = (lo + hi) / 2
        digits = 4 - int(math.floor(math.log10(abs(mid)))) - 1 if mid != 0 else 4
        rounded = round(mid, digits)
        out.append(rounded if lo < rounded <= hi else mid)
    return out


def best_split(
    table: pd.DataFrame,
    base: str,
    features: Mapping[str, Mapping[str, Any]],
    *,
    significance: float,
    candidates: Sequence[str] | None = None,
    min_settings: int = MIN_SPLIT_SETTINGS,
) -> Split | None:
    """The split whose candidate gains most over ``base`` where it holds, among those passing the test.

    Args:
        table: mean regret, one row per training setting, one column per candidate (NaN: not run there).
        base: the column chosen for all settings at this budget.
        features: setting -> feature -> value (``None``: not measured; such a setting is on neither side).
        significance: level of the Holm-adjusted one-sided Wilcoxon test; 1 or more switches the test off.
        candidates: the columns a split may choose (default: every column fully measured).
        min_settings: see :data:`MIN_SPLIT_SETTINGS`.

    Returns ``None`` when no split passes.
    """
    names = [c for c in (candidates if candidates is not None else table.columns)
             if c != base and c in table.columns and table[c].notna().all()]
    names = sorted(names)
    tried: list[tuple[Condition, str, list[str], float, float]] = []
    for feature in sorted({f for values in features.values() for f in values}):
        values = {s: features.get(s, {}).get(feature) for s in table.index}
        numbers = [float(v) for v in values.values() if _number(v)]
        for threshold in _thresholds(numbers):
            for op in ("<", ">="):
                condition = Condition(feature, op, threshold)
                subset = [s for s in table.index if _number(values[s]) and condition.holds({feature: float(values[s])})]
                if len(subset) < min_settings:
                    continue
                for name in names:
                    gain = float((table.loc[subset, base] - table.loc[subset, name]).sum())
                    tried.append((condition, name, subset, gain,
                                  wilcoxon_less(table.loc[subset, name], table.loc[subset, base])))
    if not tried:
        return None
    adjusted = holm([t[4] for t in tried])
    passing = [(t, p) for t, p in zip(tried, adjusted) if t[3] > 0 and (p < significance or significance >= 1.0)]
    if not passing:
        return None
    (condition, name, subset, _, _), p = max(passing, key=lambda item: (item[0][3], -item[1]))
    return Split(condition, name, tuple(subset), float(table.loc[subset, name].mean()),
                 float(table.loc[subset, base].mean()), p, len(tried))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))
