"""Main effects of parameter values on a score: what a proxy, over the architectures a profile scored, says about
each value of each parameter.

The effect of value ``v`` of parameter ``p`` is the mean, over the scored architectures with ``p = v``, of their
score's rank scaled to [-0.5, 0.5] (best +0.5), shrunk towards 0 by :data:`SHRINKAGE` pseudo-observations:
``sum(rank - 0.5) / (count + SHRINKAGE)``. Ranks make it robust to the heavy tails of zero-cost proxies (jacob_cov's
scores are strongly skewed), and the shrinkage keeps a value seen twice from outweighing one seen fifty times. On a
uniform sample these are the main effects of an additive model of the ranks, so they say which values the proxy
prefers whatever the other parameters are: what a mutation can use to choose between candidate children
(:class:`~nas_complexity.integration.RegularizedEvolutionSampler`'s ``mutation_effects``).

Values are keyed by :func:`value_key` (JSON text), so that the effects survive a JSON round trip and a sampler
can look up the value Optuna hands it.
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["SHRINKAGE", "value_effects", "value_key", "effect_of"]

SHRINKAGE = 5.0
"""Pseudo-observations at effect 0 added to every value's mean (a value seen n times keeps n / (n + 5) of it)."""


def value_key(value: Any) -> str:
    """The key of a parameter value in an effects table: its JSON text (``"conv3x3"`` -> ``'"conv3x3"'``).

    Example:
        >>> value_key("conv3x3"), value_key(3), value_key(0.5), value_key(True)
        ('"conv3x3"', '3', '0.5', 'true')
    """
    if isinstance(value, np.generic):
        value = value.item()
    return json.dumps(value, sort_keys=True)


def value_effects(
    archs: Sequence[Mapping[str, Any]],
    scores: Sequence[float],
    *,
    higher_is_better: bool = True,
    shrinkage: float = SHRINKAGE,
) -> dict[str, dict[str, float]]:
    """Per parameter, per value (:func:`value_key`), the shrunk mean scaled rank of the architectures with it.

    Architectures with a non-finite score are left out; a parameter an architecture lacks (inactive) counts for
    none of its values. Fewer than 3 finite scores give ``{}`` (nothing to rank).

    Example:
        >>> archs = [{"op": o, "w": w} for o in ("conv", "pool", "none") for w in (8, 16)]
        >>> scores = [{"conv": 3, "pool": 2, "none": 1}[a["op"]] + a["w"] / 100 for a in archs]
        >>> effects = value_effects(archs, scores)
        >>> sorted(effects["op"], key=effects["op"].get, reverse=True)
        ['"conv"', '"pool"', '"none"']
        >>> effects["w"]["16"] > effects["w"]["8"]
        True
    """
    if len(archs) != len(scores):
        raise ValueError(f"{len(archs)} architectures but {len(scores)} scores; accepted: one score per architecture")
    if shrinkage < 0:
        raise ValueError(f"shrinkage={shrinkage!r} is not accepted; accepted: a number >= 0")
    values = np.asarray(scores, dtype=np.float64)
    ok = np.isfinite(values)
    if ok.sum() < 3:
        return {}
    from scipy.stats import rankdata

    ranked = rankdata(values[ok] if higher_is_better else -values[ok])  # 1 = worst ... n = best; ties averaged
    centred = (ranked - 1) / (len(ranked) - 1) - 0.5
    sums: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[str, int]] = {}
    for arch, r in zip((a for a, keep in zip(archs, ok) if keep), centred):
        for name, value in arch.items():
            key = value_key(value)
            sums.setdefault(name, {}).setdefault(key, 0.0)
            counts.setdefault(name, {}).setdefault(key, 0)
            sums[name][key] += float(r)
            counts[name][key] += 1
    return {
        name: {key: round(total / (counts[name][key] + shrinkage), 6) for key, total in sorted(by_value.items())}
        for name, by_value in sorted(sums.items())
    }


def effect_of(effects: Mapping[str, Mapping[str, float]], params: Mapping[str, Any]) -> float:
    """The summed effect of ``params``' values (a value or parameter without an effect counts 0).

    Example:
        >>> effect_of({"op": {'"conv"': 0.3, '"none"': -0.2}}, {"op": "conv", "w": 8})
        0.3
    """
    total = 0.0
    for name, value in params.items():
        by_value = effects.get(name)
        if by_value:
            total += float(by_value.get(value_key(value), 0.0))
    return total
