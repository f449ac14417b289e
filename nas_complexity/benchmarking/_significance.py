"""The paired tests the policy fit keeps a choice by: a one-sided Wilcoxon signed-rank test, Holm-corrected.

Example:
    >>> import pandas as pd
    >>> p = wilcoxon_less(pd.Series([0.1, 0.2, 0.1, 0.3, 0.2]), pd.Series([0.2, 0.3, 0.2, 0.4, 0.3]))
    >>> round(p, 4), holm([p, 0.5])
    (0.0312, [0.0625, 0.5])
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

__all__ = ["holm", "wilcoxon_less"]


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given (family-wise error rate over all of them).

    Example:
        >>> holm([0.01, 0.04, 0.03])
        [0.03, 0.06, 0.06]
    """
    m = len(pvalues)
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda k: pvalues[k])):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = round(running, 12)
    return adjusted


def wilcoxon_less(x: pd.Series, y: pd.Series) -> float:
    """One-sided p-value that ``x`` is lower than ``y``, paired (1.0 when they never differ).

    Example:
        >>> wilcoxon_less(pd.Series([0.1, 0.2]), pd.Series([0.1, 0.2]))
        1.0
    """
    import numpy as np
    from scipy.stats import rankdata, wilcoxon

    d = (x - y).to_numpy(dtype=float)
    nonzero = d[d != 0]
    if len(nonzero) == 0:
        return 1.0
    if len(nonzero) == len(d) and len(np.unique(np.abs(d))) == len(d):
        return float(wilcoxon(d, alternative="less", method="exact").pvalue)
    # With ties or zeros SciPy resamples sign flips at random beyond 13 differences: slow, and a p-value that
    # changes between runs would change the fitted policy. Up to 13 (zeros dropped, as SciPy's default does),
    # every sign flip is enumerated; beyond, the normal approximation with tie correction.
    if len(nonzero) > 13:
        return float(wilcoxon(d, alternative="less", method="approx").pvalue)
    ranks = rankdata(np.abs(nonzero))
    observed = ranks[nonzero > 0].sum()
    flips = (np.arange(2 ** len(nonzero))[:, None] >> np.arange(len(nonzero))) & 1
    return float(np.mean(flips @ ranks <= observed + 1e-9))
