"""Performance diversity: the spread of a zero-cost proxy over a space, compared with the spread of accuracy.

The paper (Eq. 1) compares the standard deviation of ``jacob_cov`` with that of the trained accuracy through
``PDS = |SD_jc - SD_acc| / SD_pooled`` with ``SD_pooled = (SD_jc + SD_acc) / 2``. The two SDs are only comparable
after both metrics are put on a common scale, which the paper does not specify; :func:`scale` offers four
documented scalings and explains the default. SDs are sample SDs (``ddof=1``).

Example:
    >>> import numpy as np
    >>> x = np.arange(100.0)
    >>> pds(x, x)
    0.0
    >>> round(kendall_tau(x, -x), 3)
    -1.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from nas_complexity.logging import get_logger

__all__ = [
    "SCALINGS",
    "DEFAULT_SCALING",
    "Scaled",
    "scale",
    "pds",
    "kendall_tau",
    "spearman_rho",
    "sd_with_ci",
    "PerformanceDiversity",
    "performance_diversity_from_table",
]

_LOG = get_logger(__name__)

SCALINGS = ("clip_minmax", "minmax", "robust_z", "rank")
DEFAULT_SCALING = "clip_minmax"
CLIP_LOWER, CLIP_UPPER = 0.05, 0.95
"""Default clip quantiles of ``clip_minmax`` (see :func:`scale` for why 5% per tail)."""


@dataclass(frozen=True)
class Scaled:
    """Scaled finite values, how many non-finite inputs were dropped, and the constants the scaling used."""

    values: np.ndarray
    n_dropped: int
    method: str
    params: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.values)

    def sd(self) -> float:
        """Sample standard deviation of the scaled values (0 for fewer than 2 values)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0


def _check_method(method: str) -> str:
    if method not in SCALINGS:
        raise ValueError(f"unknown scaling {method!r}; accepted: {', '.join(SCALINGS)}")
    return method


def _finite(values: Any, what: str) -> tuple[np.ndarray, int]:
    array = np.asarray(values, dtype=float).ravel()
    keep = np.isfinite(array)
    if not keep.any():
        raise ValueError(f"{what}: no finite values among {array.size}; at least one finite number is needed")
    return array[keep], int(array.size - keep.sum())


def _unit(x: np.ndarray, low: float, high: float) -> np.ndarray:
    # A zero range means no spread at all: every value maps to 0 (SD 0) instead of dividing by zero.
    return (x - low) / (high - low) if high > low else np.zeros_like(x)


def scale(values: Any, method: str = DEFAULT_SCALING, lower: float = CLIP_LOWER, upper: float = CLIP_UPPER) -> Scaled:
    """Put ``values`` on a scale where their SD can be compared with another metric's; NaN/inf are dropped.

    Methods:

    * ``clip_minmax`` (default): clip at the ``lower``/``upper`` quantiles (5th/95th percentiles by default), then
      min-max to [0, 1]. Why, measured on the 30 jacov/accuracy sets of the shared tables
      (``benchmarks/validate_pds.py``): raw ``jacov`` has extreme outliers (NB201 CIFAR-10: SD 4,428 once the
      failure marker is removed, median -68, minimum -177,755), so with plain ``minmax`` one cell sets the range and
      the same space gives PDS 1.29 on the 9,445-cell NB201 CIFAR-10 table but 0.37 on its 725-cell sample;
      ``robust_z`` keeps the tails, which then dominate the SD, so PDS sits near its ceiling of 2 on every NB201
      CIFAR/ImageNet set (1.91-1.99); ``rank`` gives every tie-free sample the same SD (about 0.289), so PDS is 0
      whatever the data. Clipping keeps the shape of the bulk and ignores single outliers. 5% per tail rather than
      1%: with 1% the long lower tail of jacov still dominates (kurtosis 56 on NB201 CIFAR-10), so knowing the SD
      to +/-10% (95% CI) takes about 5,300 architectures on NB201 and a median of 910 over the 30 sets; with 5%
      it takes about 760 on NB201 (median 580), which is what lets a pre-search profile finish in minutes. The
      725-cell NB201 sample then agrees with the full table (SD 0.233, CI 0.201-0.261, vs 0.254), and PDS spans
      0.00-0.32 over the 30 sets (0.00-0.61 with 1%). The price: SDs sit closer together (0.23-0.30 vs
      0.12-0.25 with 1%), so pass ``lower=0.01, upper=0.99`` to separate spaces more finely given many samples.
    * ``minmax``: ``(x - min) / (max - min)``.
    * ``robust_z``: ``(x - median) / IQR`` (falls back to the range when the IQR is 0).
    * ``rank``: average ranks mapped uniformly onto [0, 1].

    A constant array has no spread (SD 0) under every method.

    Example:
        >>> s = scale([1.0, 2.0, 3.0, float("nan")], "minmax")
        >>> s.values.tolist(), s.n_dropped
        ([0.0, 0.5, 1.0], 1)
    """
    _check_method(method)
    if not 0.0 <= lower < upper <= 1.0:
        raise ValueError(f"quantiles lower={lower}, upper={upper}; accepted 0 <= lower < upper <= 1")
    x, dropped = _finite(values, f"scale({method})")
    if method == "clip_minmax":
        low, high = (float(q) for q in np.quantile(x, [lower, upper]))
        return Scaled(_unit(np.clip(x, low, high), low, high), dropped, method, {"low": low, "high": high})
    if method == "minmax":
        low, high = float(x.min()), float(x.max())
        return Scaled(_unit(x, low, high), dropped, method, {"low": low, "high": high})
    if method == "robust_z":
        center = float(np.median(x))
        q1, q3 = (float(q) for q in np.quantile(x, [0.25, 0.75]))
        spread = q3 - q1
        if spread <= 0 and x.max() > x.min():
            spread = float(x.max() - x.min())
            _LOG.warning("robust_z: interquartile range is 0 (over half the values tie); scaling by the range")
        out = (x - center) / spread if spread > 0 else np.zeros_like(x)
        return Scaled(out, dropped, method, {"center": center, "scale": spread})
    from scipy import (
        stats,  # imported when used: scipy.stats alone takes seconds to import
    )

    ranks = stats.rankdata(x, method="average")
    out = (ranks - 1.0) / (len(x) - 1.0) if len(x) > 1 else np.zeros_like(x)
    return Scaled(out, dropped, method, {"n": float(len(x))})


def _pair(proxy: Any, accuracy: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(proxy, dtype=float).ravel()
    a = np.asarray(accuracy, dtype=float).ravel()
    if p.shape != a.shape:
        raise ValueError(f"paired metrics need equal lengths; got proxy {p.size} and accuracy {a.size} values")
    keep = np.isfinite(p) & np.isfinite(a)
    return p[keep], a[keep]


def _pds_from_sds(sd_proxy: float, sd_accuracy: float) -> float:
    pooled = (sd_proxy + sd_accuracy) / 2.0
    return 0.0 if pooled == 0 else abs(sd_proxy - sd_accuracy) / pooled


def pds(
    proxy: Any,
    accuracy: Any,
    scaling: str = DEFAULT_SCALING,
    paired: bool = True,
    lower: float = CLIP_LOWER,
    upper: float = CLIP_UPPER,
) -> float:
    """Performance diversity score (paper Eq. 1) of the two metrics after each is scaled with ``scaling``.

    With ``paired=True`` (default) the inputs describe the same architectures: rows where either value is missing
    (e.g. a failed proxy) are dropped from both, so both SDs are over the same architectures. With
    ``paired=False`` the two samples may differ (a proxy sample against a full accuracy table) and each loses only
    its own missing values. Both SDs zero gives 0.

    Example:
        >>> pds([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], scaling="minmax")
        0.0
    """
    if paired:
        proxy, accuracy = _pair(proxy, accuracy)
    sd_p = scale(proxy, scaling, lower, upper).sd()
    sd_a = scale(accuracy, scaling, lower, upper).sd()
    return _pds_from_sds(sd_p, sd_a)


def _rank_corr(proxy: Any, accuracy: Any, fn: Any, name: str) -> float:
    p, a = _pair(proxy, accuracy)
    if p.size < 2:
        raise ValueError(f"{name} needs at least 2 architectures with both values finite; got {p.size}")
    return float(fn(p, a)[0])


def kendall_tau(proxy: Any, accuracy: Any) -> float:
    """Kendall's tau-b between proxy and accuracy over architectures with both values finite (scipy).

    Example:
        >>> round(kendall_tau([1, 2, 3, 4], [10, 30, 20, 40]), 3)
        0.667
    """
    from scipy import stats

    return _rank_corr(proxy, accuracy, stats.kendalltau, "Kendall tau")


def spearman_rho(proxy: Any, accuracy: Any) -> float:
    """Spearman's rank correlation between proxy and accuracy over architectures with both values finite.

    Example:
        >>> round(spearman_rho([1, 2, 3, 4], [10, 30, 20, 40]), 3)
        0.8
    """
    from scipy import stats

    return _rank_corr(proxy, accuracy, stats.spearmanr, "Spearman rho")


def _bootstrap_sds(values: np.ndarray, n_boot: int, rng: np.random.Generator, chunk: int = 256) -> np.ndarray:
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        picks = rng.integers(0, values.size, size=(stop - start, values.size))
        out[start:stop] = values[picks].std(axis=1, ddof=1)
    return out


def sd_with_ci(
    values: Any,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int | np.random.Generator | None = None,
    scaling: str = DEFAULT_SCALING,
    lower: float = CLIP_LOWER,
    upper: float = CLIP_UPPER,
) -> tuple[float, tuple[float, float]]:
    """SD of the scaled values with a bootstrap percentile confidence interval.

    The scaling is fitted once on the full sample (its quantiles or extremes come from all the data) and the
    bootstrap resamples the scaled values. Refitting per resample would move the clip points with every resample
    and measure the scaling's own noise; fitting once makes the interval answer "how well is the SD on this
    fixed scale known", which is what comparing spreads needs. ``n_boot=0`` skips the bootstrap (interval NaN).

    Example:
        >>> sd, (lo, hi) = sd_with_ci(range(100), n_boot=200, seed=0, scaling="minmax")
        >>> round(sd, 3), lo < sd < hi
        (0.293, True)
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level {level}; accepted 0 < level < 1")
    if n_boot < 0:
        raise ValueError(f"n_boot={n_boot}; accepted 0 (no interval) or a positive number of resamples")
    scaled = scale(values, scaling, lower, upper)
    sd = scaled.sd()
    if n_boot == 0 or len(scaled) < 2:
        return sd, (math.nan, math.nan)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sds = _bootstrap_sds(scaled.values, n_boot, rng)
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(sds, [tail, 1.0 - tail])
    return sd, (float(lo), float(hi))


def _none_if_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class PerformanceDiversity:
    """Performance diversity of a space: the proxy's spread, and its agreement with accuracy when one is known.

    ``sd`` is the SD of the scaled proxy over ``n_samples`` architectures with a finite proxy (``n_failed`` more
    failed and are left out), ``ci`` its bootstrap interval. ``pds``, ``kendall_tau``, ``spearman`` and
    ``sd_accuracy`` are ``None`` when no accuracy is available; ``note`` says why. A measurement that could not be
    made is :meth:`unavailable` (``sd`` and ``ci`` ``None``, the reason in ``note``), never an invented number.

    For code written when reports held this as a dict, ``pd_["sd"]`` and ``pd_.get("sd")`` still read the fields.

    Example:
        >>> pd_ = PerformanceDiversity("jacov", 0.12, [0.11, 0.13], 100, 0, "clip_minmax", 0.3, 0.6, 0.16)
        >>> PerformanceDiversity.from_dict(pd_.to_dict()) == pd_
        True
        >>> PerformanceDiversity.unavailable("naswot", "no network builder").available
        False
    """

    proxy: str
    sd: float | None
    ci: list[float] | None
    n_samples: int
    n_failed: int
    scaling: str | None
    pds: float | None = None
    kendall_tau: float | None = None
    sd_accuracy: float | None = None
    n_accuracy: int | None = None
    spearman: float | None = None
    protocol: str = ""
    note: str = ""
    inputs: str = ""
    accuracy_table: str | None = None
    best_scored: list[dict[str, Any]] = field(default_factory=list)
    """The best-scoring architectures, best first (``{"architecture": {...}, "score": raw proxy score}``): what a
    zero-cost warm start evaluates first. Empty when the scores were not kept (tables, older reports)."""
    value_effects: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per parameter, per value (JSON text), the proxy's main effect over the scored architectures
    (:func:`~nas_complexity.metrics.value_effects`): what a proxy-guided mutation reads. Empty when the scores were
    not kept."""
    scored: tuple[tuple[dict[str, Any], ...], tuple[float, ...]] = field(default=((), ()), repr=False, compare=False)
    """Every architecture scored and its raw score, in memory only (not in :meth:`to_dict`: a profile turns them
    into its proxy landscape, and a report stays small)."""

    @classmethod
    def unavailable(cls, proxy: str, reason: str) -> "PerformanceDiversity":
        """The result when ``proxy`` could not be measured, saying why (``note``)."""
        return cls(proxy=proxy, sd=None, ci=None, n_samples=0, n_failed=0, scaling=None, note=reason)

    @property
    def available(self) -> bool:
        """Whether a spread was measured."""
        return self.sd is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes ``None``)."""
        # Field by field, not asdict(): that would deep-copy every scored architecture only to drop them.
        out = {f.name: _none_if_nan(getattr(self, f.name)) for f in fields(self) if f.name != "scored"}
        if self.ci is not None:
            out["ci"] = [None if v is None else _none_if_nan(float(v)) for v in self.ci]
        if out["accuracy_table"] is None:
            del out["accuracy_table"]  # the key a report shows only when a table was used
        out["best_scored"] = [{"architecture": dict(b["architecture"]), "score": _none_if_nan(float(b["score"]))}
                              for b in self.best_scored]
        out["value_effects"] = {name: dict(by_value) for name, by_value in self.value_effects.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PerformanceDiversity":
        """Rebuild from :meth:`to_dict` output."""
        values = dict(data)
        if values.get("ci") is not None:
            values["ci"] = [math.nan if v is None else float(v) for v in values["ci"]]
        return cls(**values)

    # Read access by key, for code written when reports held a dict.
    def __getitem__(self, key: str) -> Any:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.__dataclass_fields__ else default


def performance_diversity_from_table(
    df: Any,
    proxy: str = "jacov",
    accuracy: str | None = "accuracy",
    scaling: str = DEFAULT_SCALING,
    seed: int | np.random.Generator | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    lower: float = CLIP_LOWER,
    upper: float = CLIP_UPPER,
    protocol: str = "all rows of the table",
) -> PerformanceDiversity:
    """Performance diversity of a table with a proxy column and (optionally) an accuracy column.

    Rows without a finite accuracy are set aside first (they are not proxy failures); of the rest, rows whose
    proxy is missing count as ``n_failed``. SDs, PDS and rank correlations then use the same architectures.
    With ``accuracy=None`` or no such column, only the proxy spread is reported.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"jacov": [-70.0, -65.0, float("nan"), -60.0], "accuracy": [80.0, 85.0, 10.0, 90.0]})
        >>> r = performance_diversity_from_table(df, scaling="minmax", n_boot=0)
        >>> r.n_samples, r.n_failed, r.pds, round(r.kendall_tau, 2)
        (3, 1, 0.0, 1.0)
    """
    _check_method(scaling)
    columns = list(getattr(df, "columns", []))
    if proxy not in columns:
        raise ValueError(f"proxy column {proxy!r} not in the table; accepted: {', '.join(map(str, columns))}")
    p = np.asarray(df[proxy], dtype=float)
    note = ""
    has_accuracy = accuracy is not None and accuracy in columns
    if has_accuracy:
        a = np.asarray(df[accuracy], dtype=float)
        known = np.isfinite(a)
        p, a = p[known], a[known]
        if not known.all():
            note = f"{int((~known).sum())} rows without accuracy left out"
    else:
        a = None
        note = "not available: no accuracy table" if accuracy is None else f"not available: no {accuracy!r} column"
    ok = np.isfinite(p)
    if not ok.any():
        raise ValueError(f"proxy column {proxy!r}: no finite value among {p.size} rows (all failed)")
    sd, (lo, hi) = sd_with_ci(p[ok], n_boot=n_boot, level=level, seed=seed, scaling=scaling, lower=lower, upper=upper)
    agreement: dict[str, Any] = {}
    if a is not None:
        sd_acc = scale(a[ok], scaling, lower, upper).sd()
        agreement = {"sd_accuracy": sd_acc, "n_accuracy": int(ok.sum()), "pds": _pds_from_sds(sd, sd_acc)}
        if ok.sum() >= 2:
            agreement.update(kendall_tau=kendall_tau(p[ok], a[ok]), spearman=spearman_rho(p[ok], a[ok]))
    return PerformanceDiversity(
        proxy=proxy, sd=sd, ci=[lo, hi], n_samples=int(ok.sum()), n_failed=int((~ok).sum()), scaling=scaling,
        protocol=protocol, note=note, **agreement,
    )
