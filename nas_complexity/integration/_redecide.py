"""Decide once more from the first observed objective values: their spread is the true performance diversity."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from nas_complexity.metrics import PerformanceDiversity
from nas_complexity.report import ComplexityReport

__all__ = ["observed_performance", "redecide"]


def observed_performance(values: Sequence[float], scaling: str | None = None) -> PerformanceDiversity:
    """The spread of observed objective values, scaled like the profile's proxy so that the rules read one scale.

    Example:
        >>> observed_performance([0.1, 0.5, 0.9, 0.7]).n_samples
        4
    """
    # The same scaling as the pre-search performance diversity of the proxy.
    from nas_complexity.metrics import DEFAULT_SCALING, scale

    scaling = scaling or DEFAULT_SCALING
    arr = np.asarray(values, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    if finite.size < 2:
        raise ValueError(f"need at least 2 finite objective values to measure their spread, got {finite.size}")
    return PerformanceDiversity(
        proxy="observed objective",
        sd=round(scale(finite, scaling).sd(), 6),
        ci=None,
        n_samples=int(finite.size),
        n_failed=int(arr.size - finite.size),
        scaling=scaling,
        note=f"spread of the objective over the first {finite.size} completed trials (true metric, not a proxy)",
    )


def redecide(report: ComplexityReport, values: Sequence[float], budget: Any, rules: Any):
    """The decision for ``report`` with its performance diversity replaced by the observed spread of ``values``."""
    from dataclasses import replace

    from nas_complexity.strategies import DEFAULT_RULES, decide

    observed = replace(report, performance_diversity=observed_performance(values))
    return decide(observed, budget, DEFAULT_RULES if rules is None else rules), observed.performance_diversity
