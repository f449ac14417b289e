"""Decide once more from the first observed trials: their spread is the true performance diversity, and a
warm-started search checks whether the zero-cost proxy ranked them (and tops the warm start up if it did)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from nas_complexity.metrics import PerformanceDiversity
from nas_complexity.report import ComplexityReport

__all__ = ["PROXY_LIFT_TO_KEEP", "observed_performance", "proxy_check", "redecide"]


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


PROXY_LIFT_TO_KEEP = 0.5
"""The warm start is topped up only when its architectures beat at least this share of the sampler's own trials."""


def proxy_check(report: ComplexityReport, warm_start: Sequence[dict[str, Any]], trials: Sequence[Any],
                maximize: bool) -> dict[str, Any]:
    """Does the zero-cost proxy rank the observed results? The online check of a warm-started search.

    ``lift`` is the mean, over the completed warm-start trials, of the share of the other completed trials (the
    sampler's own) each one beats. At :data:`PROXY_LIFT_TO_KEEP` or above the proxy's picks do at least as well as
    the sampler's, and the ``reserve`` (the profile's next best-scored architectures, as many as the warm start)
    is returned to be evaluated next; below it proxy guidance stops there.

    Example:
        >>> from types import SimpleNamespace as T
        >>> trials = [T(params={"op": "a"}, value=0.9), T(params={"op": "b"}, value=0.5), T(params={"op": "c"}, value=0.7)]
        >>> check = proxy_check(None, [{"op": "a"}], trials, maximize=True)
        >>> check["lift"], check["kept"], check["n_warm"], check["n_other"]
        (1.0, True, 1, 2)
    """
    warm_keys = {_key(a) for a in warm_start}
    warm = [float(t.value) for t in trials if _key(t.params) in warm_keys]
    other = [float(t.value) for t in trials if _key(t.params) not in warm_keys]
    out: dict[str, Any] = {"n_warm": len(warm), "n_other": len(other), "threshold": PROXY_LIFT_TO_KEEP}
    if not warm or not other:
        return {**out, "lift": None, "kept": False, "reserve": [],
                "note": "nothing to compare: needs completed warm-start trials and trials of the sampler's own"}
    sign = 1.0 if maximize else -1.0
    lift = float(np.mean([np.mean([sign * (w - o) > 0 for o in other]) for w in warm]))
    kept = lift >= PROXY_LIFT_TO_KEEP
    reserve: list[dict[str, Any]] = []
    if kept and report is not None:
        best = (report.performance_diversity or {}).get("best_scored") or []
        reserve = [dict(b["architecture"]) for b in best if _key(b["architecture"]) not in warm_keys][:len(warm_start)]
    return {**out, "lift": round(lift, 4), "kept": kept, "reserve": reserve}


def _key(params: Any) -> str:
    return repr(sorted(dict(params).items()))
