"""Fitness-landscape measures of a search space, computed before the search.

The landscape is the space's architectures, joined by **one-parameter moves** (:func:`neighbours`), with a fitness
on each: the true metric when a table exists (:func:`landscape_of_table`), a zero-cost proxy otherwise. The measures
say how hard the space is for local search (evolution) and for model-based search (TPE/GP):

* ``autocorrelation``: lag-1 autocorrelation rho(1) of the fitness along random walks (one move per step), and
  ``correlation_length`` tau = -1/ln|rho(1)| (Weinberger 1990): how many moves apart fitness stops being related.
* ``fdc``: fitness-distance correlation (Jones & Forrest 1995), Spearman's rank form as in Ochoa & Veerapen (2022),
  between the *quality* of an architecture and its distance to the nearest best one.
* ``local_optima_fraction``: share of architectures with no strictly better neighbour.
* ``neutrality``: mean share of an architecture's neighbours whose fitness equals its own (within ``tolerance``).
* ``neighbourhood_size``: mean number of neighbours (the cost of one full neighbourhood scan).
* ``skewness``: of the fitness distribution (NB benchmarks: negative, a long tail of bad architectures).
* ``additivity``: R^2 of a main-effects model, fitness ~ intercept + one effect per (parameter, value), fitted by
  least squares: 1 when parameters act independently, lower as interactions matter.

Conventions:

* **Quality** is the fitness for ``direction="maximize"`` and minus the fitness for ``"minimize"``: "better",
  "best", local optima and FDC are all read on quality, so a **negative FDC always means easy** (better
  architectures lie closer to the best one), whichever the direction. Skewness is of the fitness as given.
* **Distance** between two architectures is the Hamming distance over parameter names: the number of parameters
  whose value differs, a parameter active in one and inactive in the other counting as one difference
  (:func:`hamming_distance`). One move changes one parameter, so on an unconditional space whose parameters have
  at most :data:`MAX_LISTED_MOVES` values (NB201) the distance is the least number of moves between the two.
* **Exact autocorrelation** (exhaustive mode) is that of one move to a uniformly random neighbour from a uniformly
  random architecture, with mean and variance over all architectures: the stationary random-walk value when every
  architecture has as many neighbours and moves are symmetric (NB201 and any unconditional, unconstrained space of
  small grids); elsewhere the walks, which visit well-connected architectures more often, may differ slightly.
* Architectures whose fitness is ``None`` or NaN (missing from a table, failed proxy) are skipped and counted
  (``n_missing``); a random-walk step then goes to another neighbour.

Costs (fitness calls; every distinct architecture is evaluated once per call, results are memoised):

* **exhaustive** (all architectures; ``exhaustive=True``, or automatically when the space is discrete with at most
  ``max_evaluations`` parameter combinations): one call per architecture, and the exact values of every measure.
  NB201's 15,625 table lookups and their 375,000 neighbour pairs take about 4 s on one CPU core.
* **sampled**: ``n_samples`` uniform architectures (skewness, FDC, additivity, neighbourhood size) + ``n_walks`` x
  ``walk_length`` walk steps (autocorrelation) + the full neighbourhoods of up to ``n_neighbourhoods`` of the
  samples (local optima, neutrality). The scans come last and stop before ``max_evaluations`` calls in all; the
  samples and walks must fit in it (walk steps that meet architectures without a fitness cost one call more
  each). With the defaults (1,000 +
  10 x 100 + 100 neighbourhoods, at most 5,000 calls) NB201 takes 3,821 calls and 0.4 s; a proxy that takes a
  second per architecture should be given smaller numbers. Two estimates are rough by nature: FDC is measured to
  the best architecture *found*, not the global optimum (NB201 CIFAR-10, seed 0: -0.45 sampled against -0.37
  exact), and a rare local optimum (0.3% of NB201's cells) is seen 0 or 1 times in 100 neighbourhoods.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from nas_complexity._deadline import Deadline, checked
from nas_complexity._errors import SpaceError
from nas_complexity.spaces import (
    Architecture,
    Categorical,
    FloatRange,
    IntRange,
    Param,
    SearchSpace,
)

__all__ = [
    "CONTINUOUS_STEPS",
    "DEFAULT_MAX_EVALUATIONS",
    "MAX_LISTED_MOVES",
    "Landscape",
    "hamming_distance",
    "landscape",
    "landscape_of_scores",
    "landscape_of_table",
    "neighbourhood_size",
    "neighbours",
]

MAX_LISTED_MOVES = 64
"""A discrete parameter with at most this many values moves to each of its other values; one with more values moves
to the adjacent grid values only (index - 1 and index + 1), so that a neighbourhood stays small enough to scan and a
move on an ordinal grid (a width, a learning-rate grid) stays a small change."""

CONTINUOUS_STEPS = 64
"""A continuous range moves by 1/``CONTINUOUS_STEPS`` of its width (of its log-width for ``log=True``) up or down,
clipped at the bounds: the adjacent steps of a 64-step grid through the current value."""

DEFAULT_MAX_EVALUATIONS = 5_000
"""Default bound on fitness calls of one :func:`landscape` call (and the size up to which it is exhaustive)."""

_ADDITIVITY_BINS = 8  # levels of a wide or continuous parameter in the main-effects model (quantile bins)
_ADDITIVITY_MAX_ROWS = 50_000  # rows of the main-effects fit; more are subsampled (memory: rows x levels floats)
_MAX_START_TRIES = 100  # draws to find a walk start with a fitness before the walk is given up
_DECIMALS = 6


# ------------------------------------------------------------------------------------------------- moves
def _value_key(value: Any) -> tuple[str, Any]:
    # The type is part of the key: a categorical may hold both 1 and True (or 1 and 1.0), which compare equal.
    return (type(value).__name__, value)


def _arch_key(arch: Architecture) -> Hashable:
    return tuple((name, *_value_key(arch[name])) for name in sorted(arch))


def _index_of(p: Param, value: Any) -> int:
    """Position of ``value`` on the grid of the discrete parameter ``p``."""
    if isinstance(p, Categorical):
        for i, choice in enumerate(p.choices):
            if type(choice) is type(value) and choice == value:
                return i
        for i, choice in enumerate(p.choices):  # e.g. a NumPy string for a str choice
            if choice == value:
                return i
        raise SpaceError(p.name, f"value {value!r} is not legal", str(list(p.choices)))
    if isinstance(p, IntRange):
        return (int(value) - int(p.low)) // int(p.step)
    if isinstance(p, FloatRange) and p.step:
        return round((float(value) - float(p.low)) / float(p.step))
    for i, v in enumerate(p.values()):  # another discrete Param subclass
        if v == value:
            return i
    raise SpaceError(p.name, f"value {value!r} is not legal", str(p.to_dict()))


def _moves(p: Param, value: Any) -> list[Any]:
    """The values one move takes parameter ``p`` to from ``value`` (see :data:`MAX_LISTED_MOVES`)."""
    n = p.n_values()
    if n is None:
        lo, hi = float(p.low), float(p.high)  # type: ignore[attr-defined]
        if getattr(p, "log", False):
            step = (math.log(hi) - math.log(lo)) / CONTINUOUS_STEPS
            candidates = [math.exp(math.log(value) - step), math.exp(math.log(value) + step)]
        else:
            step = (hi - lo) / CONTINUOUS_STEPS
            candidates = [value - step, value + step]
        clipped = (min(hi, max(lo, c)) for c in candidates)
        return [c for c in dict.fromkeys(clipped) if c != value]
    if n <= 1:
        return []
    i = _index_of(p, value)
    if n <= MAX_LISTED_MOVES:
        return [p.value_at(j) for j in range(n) if j != i]
    return [p.value_at(j) for j in (i - 1, i + 1) if 0 <= j < n]


def _default(p: Param) -> Any:
    """The value a conditional parameter takes when a move makes it active: its first value (its low bound)."""
    return p.value_at(0) if p.n_values() is not None else float(p.low)  # type: ignore[attr-defined]


class _Moves:
    """One-parameter moves on one space (parameters ordered parents first, computed once)."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        params = space.all_params
        by_name = {p.name: p for p in params}
        position = {p.name: i for i, p in enumerate(params)}

        def depth(p: Param) -> int:
            d = 0
            while p.condition is not None:  # the space has rejected cycles already
                p, d = by_name[p.condition.parent], d + 1
            return d

        self.order = sorted(params, key=lambda p: (depth(p), position[p.name]))
        self.conditional = any(p.condition is not None for p in params)

    def complete(self, candidate: Architecture) -> Architecture:
        """``candidate`` with newly active parameters set to their default and inactive ones dropped."""
        out: Architecture = {}
        for p in self.order:  # parents first, so each condition is read on the already completed part
            if p.condition is None or p.condition.holds(out):
                out[p.name] = candidate[p.name] if p.name in candidate else _default(p)
        return out

    def neighbours(self, arch: Architecture) -> list[Architecture]:
        out = []
        for p in self.order:
            if p.name not in arch:
                continue
            for value in _moves(p, arch[p.name]):
                candidate = dict(arch)
                candidate[p.name] = value
                if self.conditional:
                    candidate = self.complete(candidate)
                if self.space.is_valid(candidate):
                    out.append(candidate)
        return out


def neighbours(space: SearchSpace, arch: Architecture) -> list[Architecture]:
    """The architectures one move away from ``arch``: one active parameter changed, nothing else.

    * A parameter with at most :data:`MAX_LISTED_MOVES` values is changed to each of its other values; one with more
      values to the adjacent grid values; a continuous one by 1/:data:`CONTINUOUS_STEPS` of its (log-)range up and
      down, clipped at the bounds.
    * A conditional parameter that a move switches on takes its **first value** (``value_at(0)``; the low bound of a
      continuous range), its own children likewise; parameters a move switches off are dropped.
    * Architectures the space rejects (``space.is_valid`` false, e.g. an NB101 cell over the edge limit) are left out.

    Every neighbour differs from ``arch`` in the moved parameter and in nothing else active in both, so the
    neighbours are distinct. The order is fixed: parameters parents first, values in grid order.

    Example:
        >>> from nas_complexity.spaces import Categorical, Condition, IntRange, SearchSpace
        >>> space = SearchSpace("toy", [Categorical("op", ("conv", "skip")),
        ...                             IntRange("kernel", 1, 5, step=2, condition=Condition("op", ("conv",)))])
        >>> neighbours(space, {"op": "conv", "kernel": 3})
        [{'op': 'skip'}, {'op': 'conv', 'kernel': 1}, {'op': 'conv', 'kernel': 5}]
        >>> neighbours(space, {"op": "skip"})
        [{'op': 'conv', 'kernel': 1}]
    """
    return _Moves(space).neighbours(arch)


def neighbourhood_size(space: SearchSpace, arch: Architecture) -> int:
    """Number of :func:`neighbours` of ``arch``.

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> space = get_space("nb201")
        >>> neighbourhood_size(space, space.sample(seed=0))  # 6 edges x 4 other operations
        24
    """
    return len(neighbours(space, arch))


def hamming_distance(a: Architecture, b: Architecture) -> int:
    """Number of parameters whose value differs between ``a`` and ``b`` (active in one only: counts as differing).

    Example:
        >>> hamming_distance({"op": "conv", "kernel": 3, "width": 8}, {"op": "skip", "width": 8})
        2
    """
    return sum(
        name not in a or name not in b or _value_key(a[name]) != _value_key(b[name]) for name in {*a, *b}
    )


# ------------------------------------------------------------------------------------------------ result
@dataclass(frozen=True)
class Landscape:
    """Landscape measures of a space under one fitness (see the module docstring for definitions and costs).

    Attributes:
        autocorrelation: lag-1 autocorrelation rho(1) of random walks (exhaustive: of one uniformly random move
            from a uniformly random architecture, the stationary value when all neighbourhoods have the same size
            and moves are symmetric, as on NB201); ``None`` when the fitness is constant.
        correlation_length: tau = -1/ln|rho(1)| (``None`` with rho(1) or when |rho(1)| is 1).
        fdc: Spearman correlation between quality and Hamming distance to the nearest best architecture;
            negative = easy, whatever the direction.
        local_optima_fraction: share of architectures with no strictly better neighbour (better by more than
            ``tolerance``; an architecture whose neighbours all lack a fitness counts as a local optimum).
        neutrality: mean share of neighbours with equal fitness (within ``tolerance``).
        neighbourhood_size: mean number of neighbours.
        skewness: skewness (population formula) of the fitness distribution.
        additivity: R^2 of the main-effects model (one-hot per parameter value; inactive is a level of its own;
            wide and continuous parameters in 8 quantile bins); sampled: the adjusted R^2 on the uniform sample
            (plain in-sample R^2 overstates it by about levels / samples).
        n_global_optima: exhaustive only: architectures whose quality is within ``tolerance`` of the best.
        best_value: the best fitness seen (the global optimum when exhaustive).
        n_architectures: architectures with a fitness the measures are computed over (exhaustive: all of them;
            sampled: the uniform sample).
        n_evaluations: fitness calls made (distinct architectures).
        n_missing: evaluated architectures without a fitness (None/NaN), left out.
        method: ``exhaustive``, ``sampled``, ``scored sample`` (:func:`landscape_of_scores`) or ``not available``.
        source: what the fitness is: ``true metric`` or ``proxy`` (or a name the caller gives).
        direction: ``maximize`` or ``minimize``.
        tolerance: absolute tolerance under which two fitness values count as equal.
        note: how the numbers were obtained, or why they are missing.

    Example:
        >>> result = Landscape.unavailable("no table for this space")
        >>> Landscape.from_dict(result.to_dict()) == result, result.available
        (True, False)
    """

    autocorrelation: float | None
    correlation_length: float | None
    fdc: float | None
    local_optima_fraction: float | None
    neutrality: float | None
    neighbourhood_size: float | None
    skewness: float | None
    additivity: float | None
    n_global_optima: int | None
    best_value: float | None
    n_architectures: int
    n_evaluations: int
    n_missing: int
    method: str
    source: str
    direction: str
    tolerance: float = 1e-9
    note: str = ""

    @classmethod
    def unavailable(
        cls, reason: str, *, source: str = "true metric", direction: str = "maximize", n_evaluations: int = 0,
        n_missing: int = 0,
    ) -> Landscape:
        """The result when the landscape could not be measured, saying why (``note``)."""
        return cls(None, None, None, None, None, None, None, None, None, None, 0, n_evaluations, n_missing,
                   "not available", source, direction, note=reason)

    @property
    def available(self) -> bool:
        """Whether any measure was computed."""
        return self.method != "not available"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (no NaN: missing values are ``None``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Landscape:
        """Rebuild from :meth:`to_dict` output (keys a later version added are ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# ------------------------------------------------------------------------------------------- evaluation
class _Evaluator:
    """Memoised fitness, returning quality (sign-adjusted fitness; NaN when missing)."""

    def __init__(self, fitness: Callable[[Architecture], float | None], sign: float) -> None:
        self.fitness = fitness
        self.sign = sign
        self.cache: dict[Hashable, float] = {}
        self.archs: dict[Hashable, Architecture] = {}
        self.n_missing = 0

    @property
    def n_calls(self) -> int:
        return len(self.cache)

    def is_cached(self, arch: Architecture) -> bool:
        return _arch_key(arch) in self.cache

    def __call__(self, arch: Architecture) -> float:
        key = _arch_key(arch)
        if key in self.cache:
            return self.cache[key]
        value = self.fitness(arch)
        quality = math.nan
        if value is not None:
            value = float(value)
            if math.isfinite(value):
                quality = self.sign * value
        if math.isnan(quality):
            self.n_missing += 1
        self.cache[key] = quality
        self.archs[key] = arch
        return quality


def _r(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), _DECIMALS)


class _Codes:
    """Architectures as integer codes per parameter (-1: inactive), for distances and the main-effects model."""

    def __init__(self, space: SearchSpace) -> None:
        self.params = space.all_params
        self.maps: list[dict[tuple[str, Any], int]] = [{} for _ in self.params]

    def encode(self, archs: Sequence[Architecture]) -> np.ndarray:
        out = np.full((len(archs), len(self.params)), -1, dtype=np.int64)
        for j, p in enumerate(self.params):
            codes = self.maps[j]
            for i, arch in enumerate(archs):
                if p.name in arch:
                    out[i, j] = codes.setdefault(_value_key(arch[p.name]), len(codes))
        return out


def _min_hamming(codes: np.ndarray, targets: np.ndarray, deadline: Deadline | None) -> np.ndarray:
    """For each row of ``codes``, the least Hamming distance to a row of ``targets`` (in chunks: bounded memory)."""
    best = np.full(len(codes), codes.shape[1], dtype=np.int64)
    chunk = max(1, 2_000_000 // max(1, len(codes) * codes.shape[1]))
    for start in range(0, len(targets), chunk):
        if deadline is not None:
            deadline.check("landscape: distances to the best architectures")
        block = targets[start:start + chunk]
        d = (codes[:, None, :] != block[None, :, :]).sum(axis=2).min(axis=1)
        np.minimum(best, d, out=best)
    return best


def _spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    from scipy.stats import spearmanr

    return float(spearmanr(x, y)[0])


def _skewness(f: np.ndarray) -> float | None:
    if len(f) < 3:
        return None
    centred = f - f.mean()
    m2 = float(np.mean(centred**2))
    if m2 <= 0:
        return None
    return float(np.mean(centred**3)) / m2**1.5


def _levels(space: SearchSpace, archs: Sequence[Architecture], codes: np.ndarray) -> np.ndarray:
    """Per-parameter levels of the main-effects model: the value code, or a quantile bin for wide grids."""
    levels = codes.copy()
    for j, p in enumerate(space.all_params):
        n = p.n_values()
        if n is not None and n <= MAX_LISTED_MOVES:
            continue
        active = codes[:, j] >= 0
        if not active.any():
            continue
        values = np.array([float(a[p.name]) for a, on in zip(archs, active) if on])
        if getattr(p, "log", False):
            values = np.log(values)
        edges = np.unique(np.quantile(values, np.linspace(0, 1, _ADDITIVITY_BINS + 1)[1:-1]))
        levels[active, j] = np.searchsorted(edges, values, side="right")
    return levels


def _additivity(levels: np.ndarray, f: np.ndarray) -> tuple[float | None, int]:
    """R^2 of least squares on one-hot levels (with intercept) and the rank of the design."""
    columns = [np.ones(len(f))]
    for j in range(levels.shape[1]):
        for level in np.unique(levels[:, j]):
            columns.append((levels[:, j] == level).astype(np.float64))
    design = np.column_stack(columns)
    total = float(np.sum((f - f.mean()) ** 2))
    if total <= 0:
        return None, 0
    coef, _, rank, _ = np.linalg.lstsq(design, f, rcond=None)
    residual = float(np.sum((f - design @ coef) ** 2))
    return min(1.0, max(0.0, 1.0 - residual / total)), int(rank)


def _correlation_length(rho: float | None) -> float | None:
    if rho is None or abs(rho) >= 1:
        return None
    if rho == 0:
        return 0.0
    return -1.0 / math.log(abs(rho))


# ------------------------------------------------------------------------------------------- landscape
def landscape(
    space: SearchSpace,
    fitness: Callable[[Architecture], float | None],
    *,
    seed: int,
    direction: str = "maximize",
    n_walks: int = 10,
    walk_length: int = 100,
    n_samples: int = 1_000,
    n_neighbourhoods: int = 100,
    max_evaluations: int = DEFAULT_MAX_EVALUATIONS,
    tolerance: float = 1e-9,
    source: str = "true metric",
    deadline: Deadline | None = None,
    exhaustive: bool | None = None,
) -> Landscape:
    """Landscape measures of ``space`` under ``fitness`` (see the module docstring for definitions and costs).

    Args:
        space: the search space; moves are :func:`neighbours`.
        fitness: ``arch -> value``; ``None`` or NaN for an architecture without one (skipped and counted).
        seed: seeds the walks and samples (a NumPy Generator; the same seed gives the same result).
        direction: ``"maximize"`` (accuracy) or ``"minimize"`` (a loss): which fitness is better.
        n_walks, walk_length: random walks for the autocorrelation (sampled mode); each step goes to a uniformly
            random neighbour with a fitness.
        n_samples: uniform architectures for skewness, FDC, additivity and neighbourhood size (sampled mode).
        n_neighbourhoods: samples whose full neighbourhood is evaluated (local optima, neutrality; sampled mode).
        max_evaluations: bound on fitness calls (sampled mode): ``n_samples + n_walks * walk_length`` must fit in
            it, and the neighbourhood scans stop before it. A discrete space with at most this many parameter
            combinations is done exhaustively when ``exhaustive`` is None.
        tolerance: two fitness values closer than this are equal (neutral moves, ties for the best).
        source: what the fitness is, recorded in the result (``"true metric"`` or ``"proxy"``).
        deadline: checked in every loop; raises :class:`~nas_complexity._errors.ProfilingCancelled` when passed.
        exhaustive: True: every architecture (exact values; discrete spaces only); False: sampled estimates;
            None: exhaustive when the space is discrete and has at most ``max_evaluations`` combinations.

    Example:
        >>> from nas_complexity.spaces import Categorical, SearchSpace
        >>> space = SearchSpace("toy", [Categorical("a", (0, 1, 2)), Categorical("b", (0, 1, 2))])
        >>> result = landscape(space, lambda arch: arch["a"] + arch["b"], seed=0)
        >>> result.method, result.local_optima_fraction, result.additivity, result.n_global_optima
        ('exhaustive', 0.111111, 1.0, 1)
        >>> result.fdc < 0  # better architectures are nearer the best one: easy
        True
    """
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"direction={direction!r} is not accepted; accepted: maximize, minimize")
    for name, value in (("n_walks", n_walks), ("walk_length", walk_length), ("n_samples", n_samples),
                        ("n_neighbourhoods", n_neighbourhoods), ("max_evaluations", max_evaluations)):
        if value < 0:
            raise ValueError(f"{name}={value} is not accepted; accepted: a number >= 0")
    if tolerance < 0:
        raise ValueError(f"tolerance={tolerance} is not accepted; accepted: a number >= 0")
    if exhaustive is None:
        count = space.raw_count()
        exhaustive = count is not None and count <= max_evaluations
    planned = n_samples + n_walks * walk_length
    if not exhaustive and planned > max_evaluations:
        raise ValueError(f"n_samples + n_walks * walk_length = {planned:,} fitness calls exceed "
                         f"max_evaluations={max_evaluations:,}; accepted: a larger max_evaluations or fewer calls")
    evaluate = _Evaluator(fitness, 1.0 if direction == "maximize" else -1.0)
    common: dict[str, Any] = {"space": space, "evaluate": evaluate, "tolerance": tolerance, "deadline": deadline}
    if exhaustive:
        measures, note = _exhaustive(seed=seed, **common)
        method = "exhaustive"
    else:
        measures, note = _sampled(
            seed=seed, n_walks=n_walks, walk_length=walk_length, n_samples=n_samples,
            n_neighbourhoods=n_neighbourhoods, max_evaluations=max_evaluations, **common,
        )
        method = "sampled"
    if measures is None:
        return Landscape.unavailable(note, source=source, direction=direction, n_evaluations=evaluate.n_calls,
                                     n_missing=evaluate.n_missing)
    if evaluate.n_missing:
        note += f"; {evaluate.n_missing:,} architectures without a fitness left out"
    best = measures.pop("best_quality")
    return Landscape(
        **measures,
        best_value=_r(evaluate.sign * best),
        n_evaluations=evaluate.n_calls,
        n_missing=evaluate.n_missing,
        method=method,
        source=source,
        direction=direction,
        tolerance=tolerance,
        note=note,
    )


def _exhaustive(
    space: SearchSpace, evaluate: _Evaluator, tolerance: float, deadline: Deadline | None, seed: int
) -> tuple[dict[str, Any] | None, str]:
    moves = _Moves(space)
    archs = list(checked(space.enumerate(), deadline, "landscape: listing the architectures"))
    index = {_arch_key(a): i for i, a in enumerate(archs)}
    q = np.array([evaluate(a) for a in checked(archs, deadline, "landscape: evaluating the architectures")])
    ok = ~np.isnan(q)
    if not ok.any():
        return None, f"no architecture of the {len(archs):,} has a fitness"
    src: list[int] = []
    dst: list[int] = []
    sizes = np.zeros(len(archs))
    for i, arch in enumerate(checked(archs, deadline, "landscape: listing neighbours")):
        near = moves.neighbours(arch)
        sizes[i] = len(near)
        if ok[i]:
            for b in near:
                j = index.get(_arch_key(b))  # a valid neighbour is an enumerated architecture
                if j is not None and ok[j]:
                    src.append(i)
                    dst.append(j)
    s, d = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    n = len(archs)
    degree = np.bincount(s, minlength=n).astype(np.float64)
    has_better = np.bincount(s, weights=(q[d] > q[s] + tolerance).astype(np.float64), minlength=n) > 0
    neutral = np.bincount(s, weights=(np.abs(q[d] - q[s]) <= tolerance).astype(np.float64), minlength=n)
    with_moves = ok & (degree > 0)
    qs = q[ok]
    mean, var = float(qs.mean()), float(qs.var())
    rho = None
    if var > 0 and with_moves.any():
        products = (q[s] - mean) * (q[d] - mean) / degree[s]
        rho = float(np.bincount(s, weights=products, minlength=n)[with_moves].sum() / with_moves.sum() / var)
    best_quality = float(qs.max())
    ok_idx = np.flatnonzero(ok)
    ok_archs = [archs[i] for i in ok_idx]
    codes = _Codes(space).encode(ok_archs)
    optima = qs >= best_quality - tolerance
    distance = _min_hamming(codes, codes[optima], deadline)
    levels = _levels(space, ok_archs, codes)
    f = evaluate.sign * qs
    note = f"exhaustive over all {n:,} architectures"
    if len(f) > _ADDITIVITY_MAX_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(len(f), _ADDITIVITY_MAX_ROWS, replace=False))
        additivity, _ = _additivity(levels[rows], f[rows])
        note += f"; additivity fitted on {_ADDITIVITY_MAX_ROWS:,} of them drawn at random"
    else:
        additivity, _ = _additivity(levels, f)
    measures = {
        "autocorrelation": _r(rho),
        "correlation_length": _r(_correlation_length(rho)),
        "fdc": _r(_spearman(qs, distance.astype(np.float64))),
        "local_optima_fraction": _r(float(np.mean(~has_better[ok]))),
        "neutrality": _r(float(np.mean(neutral[with_moves] / degree[with_moves]))) if with_moves.any() else None,
        "neighbourhood_size": _r(float(sizes.mean())),
        "skewness": _r(_skewness(f)),
        "additivity": _r(additivity),
        "n_global_optima": int(optima.sum()),
        "n_architectures": int(ok.sum()),
        "best_quality": best_quality,
    }
    return measures, note


def _sampled(
    space: SearchSpace, evaluate: _Evaluator, tolerance: float, deadline: Deadline | None, seed: int,
    n_walks: int, walk_length: int, n_samples: int, n_neighbourhoods: int, max_evaluations: int,
) -> tuple[dict[str, Any] | None, str]:
    rng = np.random.default_rng(seed)
    moves = _Moves(space)
    # 1. Uniform sample: the distribution (skewness), FDC, additivity, neighbourhood size.
    samples = [space.sample(rng) for _ in checked(range(n_samples), deadline, "landscape: sampling")]
    q_samples = np.array([evaluate(a) for a in checked(samples, deadline, "landscape: evaluating the sample")])
    sizes = [len(moves.neighbours(a)) for a in checked(samples, deadline, "landscape: counting neighbours")]

    # 2. Random walks: each step to a uniformly random neighbour that has a fitness.
    walks: list[list[float]] = []
    for _ in checked(range(n_walks if walk_length > 0 else 0), deadline, "landscape: random walks"):
        current = None
        for _try in range(_MAX_START_TRIES):
            start = space.sample(rng)
            if not math.isnan(evaluate(start)):
                current = start
                break
        if current is None:
            continue
        path = [evaluate(current)]
        for _step in range(walk_length - 1):
            if deadline is not None:
                deadline.check("landscape: random walks")
            near = moves.neighbours(current)
            nxt = None
            for k in rng.permutation(len(near)):
                if not math.isnan(evaluate(near[k])):
                    nxt = near[k]
                    break
            if nxt is None:
                break  # a dead end: no neighbour has a fitness
            current = nxt
            path.append(evaluate(current))
        walks.append(path)

    # 3. Full neighbourhoods of the first samples with a fitness, within the budget of fitness calls.
    local_optima: list[bool] = []
    neutral_shares: list[float] = []
    centres = [a for a, qa in zip(samples, q_samples) if not math.isnan(qa)][:n_neighbourhoods]
    stopped = False
    for centre in checked(centres, deadline, "landscape: scanning neighbourhoods"):
        near = moves.neighbours(centre)
        new = sum(not evaluate.is_cached(b) for b in near)
        if evaluate.n_calls + new > max_evaluations:
            stopped = True
            break
        qc = evaluate(centre)
        qn = np.array([evaluate(b) for b in near])
        qn = qn[~np.isnan(qn)]
        local_optima.append(not bool(np.any(qn > qc + tolerance)))
        if len(qn):
            neutral_shares.append(float(np.mean(np.abs(qn - qc) <= tolerance)))

    ok = ~np.isnan(q_samples)
    if not ok.any():
        return None, f"none of the {n_samples:,} sampled architectures has a fitness"
    ok_archs = [a for a, keep in zip(samples, ok) if keep]
    known = [(key, value) for key, value in evaluate.cache.items() if not math.isnan(value)]
    best_quality = max(value for _, value in known)
    best_archs = [evaluate.archs[key] for key, value in known if value >= best_quality - tolerance]

    points = np.array([x for path in walks for x in path])
    pairs = np.array([(a, b) for path in walks for a, b in itertools.pairwise(path)]).reshape(-1, 2)
    rho = None
    if len(pairs) and len(points) > 1 and points.var() > 0:
        centred = pairs - points.mean()
        rho = float(np.mean(centred[:, 0] * centred[:, 1]) / points.var())

    sample, sample_note = _sample_measures(space, ok_archs, q_samples[ok], evaluate.sign, best_archs, deadline)
    note = (f"sampled: {len(ok_archs):,} uniform architectures, {len(walks)} random walks of up to {walk_length} "
            f"steps ({len(pairs):,} steps), {len(local_optima)} full neighbourhoods")
    if stopped:
        note += f" (stopped at the budget of {max_evaluations:,} fitness calls)"
    measures = {
        "autocorrelation": _r(rho),
        "correlation_length": _r(_correlation_length(rho)),
        "local_optima_fraction": _r(float(np.mean(local_optima))) if local_optima else None,
        "neutrality": _r(float(np.mean(neutral_shares))) if neutral_shares else None,
        "neighbourhood_size": _r(float(np.mean(sizes))) if sizes else None,
        **sample,
        "n_global_optima": None,
        "best_quality": best_quality,
    }
    return measures, note + sample_note


def _sample_measures(
    space: SearchSpace, archs: Sequence[Architecture], qualities: np.ndarray, sign: float,
    best_archs: Sequence[Architecture], deadline: Deadline | None,
) -> tuple[dict[str, Any], str]:
    """The measures a sample of architectures with a fitness gives without their neighbours: FDC (to the nearest
    of ``best_archs``), skewness and additivity (adjusted R^2), and what the note should add about them."""
    coder = _Codes(space)
    codes = coder.encode(archs)
    distance = _min_hamming(codes, coder.encode(best_archs), deadline)
    f = sign * qualities
    additivity, rank = _additivity(_levels(space, archs, codes), f)
    note = ""
    if additivity is not None and len(f) <= 2 * rank:
        # In-sample R^2 of a model with nearly as many levels as samples says nothing about additivity.
        note += f"; additivity not estimated: {len(f)} samples for {rank} model levels"
        additivity = None
    elif additivity is not None:
        # In-sample R^2 overstates the space's R^2 by about (rank - 1) / n (NB201, 300 samples: 0.35 against an
        # exact 0.29); the adjusted R^2 corrects for the levels fitted.
        additivity = max(0.0, 1.0 - (1.0 - additivity) * (len(f) - 1) / (len(f) - rank))
    note += "; FDC measured to the best architecture found"
    return {
        "fdc": _r(_spearman(qualities, distance.astype(np.float64))),
        "skewness": _r(_skewness(f)),
        "additivity": _r(additivity),
        "n_architectures": len(archs),
    }, note


def landscape_of_scores(
    space: SearchSpace,
    archs: Sequence[Architecture],
    values: Sequence[float | None],
    *,
    direction: str = "maximize",
    source: str = "proxy",
    tolerance: float = 1e-9,
    deadline: Deadline | None = None,
) -> Landscape:
    """The landscape measures that architectures already scored give, without evaluating any other one.

    This is the landscape of a profile's proxy: the architectures it scored are a uniform sample, so skewness,
    FDC (to the best one scored), additivity and the mean neighbourhood size are estimated on them as in the
    sampled mode of :func:`landscape`. The measures that need the fitness of neighbours (autocorrelation,
    correlation length, local optima, neutrality) are ``None``, and the note says so: a uniform sample of a
    large space holds almost no neighbouring pairs.

    Args:
        space: the space the architectures belong to (moves and parameters).
        archs, values: the scored architectures and their fitness (``None`` or NaN: left out and counted).
        direction: which fitness is better, ``"maximize"`` or ``"minimize"``.
        source: what the fitness is, recorded in the result (e.g. ``"proxy (jacob_cov)"``).
        tolerance: two fitness values closer than this tie for the best.
        deadline: checked while computing distances.

    Example:
        >>> from nas_complexity.spaces import Categorical, SearchSpace
        >>> space = SearchSpace("toy", [Categorical("a", (0, 1, 2)), Categorical("b", (0, 1, 2))])
        >>> archs = [{"a": a, "b": b} for a in range(3) for b in range(3)]
        >>> result = landscape_of_scores(space, archs, [a["a"] + a["b"] for a in archs])
        >>> result.method, result.fdc < 0, result.autocorrelation, result.neighbourhood_size
        ('scored sample', True, None, 4.0)
    """
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"direction={direction!r} is not accepted; accepted: maximize, minimize")
    if len(archs) != len(values):
        raise ValueError(f"{len(archs)} architectures but {len(values)} values; accepted: one value per architecture")
    # Memoised like a fitness function: an architecture scored twice counts once, as in landscape().
    by_key = {_arch_key(a): v for a, v in zip(archs, values)}
    evaluate = _Evaluator(lambda arch: by_key[_arch_key(arch)], 1.0 if direction == "maximize" else -1.0)
    qualities = np.array([evaluate(a) for a in checked(archs, deadline, "landscape: reading the scores")])
    ok = ~np.isnan(qualities)
    distinct = {_arch_key(a): a for a, keep in zip(archs, ok) if keep}
    if not distinct:
        return Landscape.unavailable(f"none of the {len(archs):,} scored architectures has a finite score",
                                     source=source, direction=direction, n_evaluations=evaluate.n_calls,
                                     n_missing=evaluate.n_missing)
    ok_archs = list(distinct.values())
    q = np.array([evaluate(a) for a in ok_archs])
    best = float(q.max())
    best_archs = [a for a, qa in zip(ok_archs, q) if qa >= best - tolerance]
    moves = _Moves(space)
    sizes = [len(moves.neighbours(a)) for a in checked(ok_archs, deadline, "landscape: counting neighbours")]
    sample, sample_note = _sample_measures(space, ok_archs, q, evaluate.sign, best_archs, deadline)
    note = (f"over the {len(ok_archs):,} distinct architectures scored (a uniform sample); autocorrelation, "
            "local optima and neutrality need the fitness of neighbours and were not measured" + sample_note)
    if evaluate.n_missing:
        note += f"; {evaluate.n_missing:,} architectures without a finite score left out"
    return Landscape(
        autocorrelation=None, correlation_length=None, local_optima_fraction=None, neutrality=None,
        neighbourhood_size=_r(float(np.mean(sizes))), n_global_optima=None, **sample,
        best_value=_r(evaluate.sign * best), n_evaluations=evaluate.n_calls, n_missing=evaluate.n_missing,
        method="scored sample", source=source, direction=direction, tolerance=tolerance, note=note,
    )


def landscape_of_table(objective: Any, *, seed: int = 0, **kwargs: Any) -> Landscape:
    """The landscape of a :class:`~nas_complexity.benchmarking.TabularObjective`'s true metric.

    Architectures the table lacks (or the space rejects) count as missing, whatever the objective's ``missing``
    policy. ``kwargs`` go to :func:`landscape` (``exhaustive=True`` for the exact values over a whole table).

    Example:
        >>> from nas_complexity.benchmarking import TabularObjective
        >>> from nas_complexity.data import arch_key
        >>> from nas_complexity.spaces import Categorical, SearchSpace
        >>> space = SearchSpace("toy", [Categorical("op", ("a", "b", "c"))])
        >>> table = {arch_key({"op": "a"}): 1.0, arch_key({"op": "b"}): 3.0}
        >>> result = landscape_of_table(TabularObjective(table, space))
        >>> result.n_missing, result.local_optima_fraction, result.best_value
        (1, 0.5, 3.0)
    """
    from nas_complexity.benchmarking import (
        MissingArchitectureError,  # the benchmarking layer sits above metrics
    )

    def fitness(arch: Architecture) -> float | None:
        try:
            return objective.value_of(arch)
        except MissingArchitectureError:
            return None

    kwargs.setdefault("direction", objective.direction)
    kwargs.setdefault("source", "true metric")
    return landscape(objective.space, fitness, seed=seed, **kwargs)
