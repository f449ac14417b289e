"""How :class:`~nas_complexity.integration.DiscreteGPSampler` sees a study's search space: each parameter a coordinate
on its grid, conditional parameters with the condition learnt from the trials, distances between points, and the
counts of each choice over interchangeable parameters."""
from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from optuna.study import Study

_MAX_CHOICES = 32
"""Other choices of a categorical parameter tried per parent in one-parameter changes (all when there are fewer)."""
_NEIGHBOUR_STEPS = (-2, -1, 1, 2)
"""Grid positions a numeric parameter moves by in a one-parameter change (continuous ones: that many 1/20ths)."""
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
"""Trials whose parameters are all there: a failed trial may have stopped between two suggestions."""
_INACTIVE = -1.0
"""The coordinate of a parameter a trial did not use (a conditional one whose condition did not hold)."""


class _UnionSearchSpace:
    """Every parameter the finished trials used with one distribution throughout, conditional ones included (one
    whose range changes between trials is left to the random sampler); updated with each newly finished trial, as
    Optuna's ``IntersectionSearchSpace`` is, and safe to call from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start(None)

    def _start(self, study: tuple[int, int, str] | None) -> None:
        self._study = study
        self._seen: set[int] = set()
        self._space: dict[str, BaseDistribution] = {}
        self._dynamic: set[str] = set()

    def calculate(self, study: Study) -> dict[str, BaseDistribution]:
        # Two in-memory studies both have study id 0: the storage and the name tell them apart.
        key = (id(study._storage), study._study_id, study.study_name)
        with self._lock:
            if key != self._study:  # another study: start over
                self._start(key)
            for t in study.get_trials(deepcopy=False, states=_FINISHED):
                if t.number in self._seen:
                    continue
                self._seen.add(t.number)
                for name, dist in t.distributions.items():
                    known = self._space.get(name)
                    if name in self._dynamic or known is dist:
                        continue
                    if known is None:
                        self._space[name] = dist
                    elif known != dist:
                        self._dynamic.add(name)
                        del self._space[name]
            return dict(sorted(self._space.items()))

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _encode(trials: Sequence[FrozenTrial], names: Sequence[str], coords: Sequence[_Coordinate]) -> np.ndarray:
    rows = [[c.encode(t.params[n]) if n in t.params else _INACTIVE for n, c in zip(names, coords)] for t in trials]
    return np.array(rows, dtype=float).reshape(len(rows), len(names))


def _decode(row: Sequence[float], names: Sequence[str], coords: Sequence[_Coordinate]) -> dict[str, Any]:
    """A full assignment (one row of positions) as parameter values."""
    return {n: c.decode(v) for n, c, v in zip(names, coords, row)}


def _unused_rows(masked: np.ndarray, used: set[tuple[float, ...]]) -> list[int]:
    """The first row of each point in ``masked`` (as the model sees them) that no trial has used."""
    first: dict[tuple[float, ...], int] = {}
    for row, key in enumerate(map(tuple, masked.tolist())):
        if key not in used and key not in first:
            first[key] = row
    return list(first.values())


class _Conditions:
    """When each parameter is used, learnt from the finished trials.

    A parameter every trial used is always in use. Another is in use when its parent is and takes one of the
    values it was used with. Its parent is a parameter used in strictly more trials (so conditions never form a
    cycle), in every trial that used it, whose value has decided in every trial so far whether it was used. A
    parameter without such a parent is left out of the model (the random sampler draws it).
    """

    def __init__(self, names: list[str], parents: dict[int, tuple[int, frozenset[float]]]) -> None:
        self.names = names  # parents before their children
        self._parents = parents  # index -> (parent index, the parent's coordinates under which it is used)

    @classmethod
    def learn(cls, trials: Sequence[FrozenTrial], coords: dict[str, _Coordinate]) -> _Conditions:
        seen = {n: frozenset(t.number for t in trials if n in t.params) for n in coords}
        everywhere = frozenset(t.number for t in trials)
        order = sorted(coords, key=lambda n: (-len(seen[n]), n))
        parent_of: dict[str, tuple[str, frozenset[float]]] = {}
        for name in order:
            if seen[name] == everywhere:
                continue
            for parent in order:
                if not seen[name] < seen[parent] or (seen[parent] != everywhere and parent not in parent_of):
                    continue
                in_use: dict[float, set[bool]] = {}
                for t in trials:
                    if t.number in seen[parent]:
                        in_use.setdefault(coords[parent].encode(t.params[parent]), set()).add(name in t.params)
                if all(len(v) == 1 for v in in_use.values()):
                    parent_of[name] = (parent, frozenset(k for k, v in in_use.items() if True in v))
                    break
        kept = [n for n in order if seen[n] == everywhere or n in parent_of]
        index = {n: i for i, n in enumerate(kept)}
        return cls(kept, {index[n]: (index[p], values) for n, (p, values) in parent_of.items()})

    def mask(self, points: np.ndarray) -> np.ndarray:
        """``points`` (one per row) with the parameters their own values leave unused marked inactive."""
        out = points.copy()
        for i, (p, values) in self._parents.items():  # parents come first: one pass settles every chain
            out[(out[:, p] == _INACTIVE) | ~np.isin(out[:, p], list(values)), i] = _INACTIVE
        return out


def _interchangeable(coords: Sequence[_Coordinate]) -> list[list[int]]:
    groups: dict[tuple[Any, ...], list[int]] = {}
    for d, coord in enumerate(coords):
        if coord.categorical:
            groups.setdefault(tuple(coord.dist.choices), []).append(d)
    return [g for g in groups.values() if len(g) > 1]


def _choice_counts(a: np.ndarray, coords: Sequence[_Coordinate], groups: list[list[int]]) -> np.ndarray:
    """Per row, how many parameters of each group take each choice (unused ones count for none)."""
    columns = [(a[:, g] == k).sum(axis=1) for g in groups for k in range(coords[g[0]].steps + 1)]
    return np.array(columns, dtype=float).T.reshape(len(a), len(columns))


class _Coordinate:
    """One parameter as a model coordinate: a choice index (categorical) or a position in [0, 1] (numeric)."""

    def __init__(self, dist: BaseDistribution) -> None:
        self.dist = dist
        self.categorical = isinstance(dist, CategoricalDistribution)
        self.steps: int | None = None  # grid intervals of a stepped numeric range (None: continuous)
        if self.categorical:
            self.steps = len(dist.choices) - 1
        elif isinstance(dist, IntDistribution) and not dist.log:
            self.steps = (dist.high - dist.low) // dist.step
        elif isinstance(dist, FloatDistribution) and dist.step is not None:
            self.steps = int(round((dist.high - dist.low) / dist.step))
        elif not isinstance(dist, (IntDistribution, FloatDistribution)):
            raise ValueError(f"distribution {dist!r} is not accepted; accepted: Optuna's Categorical, Int and Float")

    def encode(self, value: Any) -> float:
        if self.categorical:
            return float(self.dist.to_internal_repr(value))
        low, high, value = float(self.dist.low), float(self.dist.high), float(value)
        if self.dist.log:
            low, high, value = math.log(low), math.log(high), math.log(value)
        return 0.0 if high == low else round((value - low) / (high - low), 12)

    def decode(self, position: float) -> Any:
        if self.categorical:
            return self.dist.to_external_repr(int(position))
        dist = self.dist
        if self.steps is not None:  # a stepped range: the grid point at this position
            value = dist.low + round(position * self.steps) * dist.step
            return int(value) if isinstance(dist, IntDistribution) else float(min(value, dist.high))
        low, high = (math.log(dist.low), math.log(dist.high)) if dist.log else (dist.low, dist.high)
        value = low + position * (high - low)
        value = math.exp(value) if dist.log else value
        if isinstance(dist, IntDistribution):
            return int(min(max(round(value), dist.low), dist.high))
        return float(min(max(value, dist.low), dist.high))

    def draw(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """A random position, or an array of ``size`` of them."""
        if self.steps is None:
            out = np.asarray(rng.random(size))
        else:
            out = np.asarray(rng.integers(self.steps + 1, size=size), dtype=float)
            if not self.categorical:
                out = np.round(out / max(self.steps, 1), 12)
        return float(out) if size is None else out

    def neighbours(self, value: float, rng: np.random.Generator) -> Iterator[float]:
        if self.categorical:
            others = [k for k in range(self.steps + 1) if k != value]
            if len(others) > _MAX_CHOICES:  # a long list of choices: a random subset of them per parent
                others = sorted(rng.choice(others, size=_MAX_CHOICES, replace=False).tolist())
            yield from (float(k) for k in others)
            return
        unit = 1.0 / self.steps if self.steps else 0.05
        for step in _NEIGHBOUR_STEPS:
            moved = round(value + step * unit, 12)
            if 0.0 <= moved <= 1.0 and self.steps != 0:
                yield moved


def _distances(a: np.ndarray, b: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Mean over coordinates of 0/1 (categorical) or the absolute difference (numeric positions); a parameter one
    point leaves unused is 1 away, one both leave unused 0.

    One coordinate at a time: memory stays at one ``len(a) x len(b)`` matrix however many parameters there are.
    """
    total = np.zeros((len(a), len(b)))
    for d in range(a.shape[1]):
        diff = np.abs(a[:, d, None] - b[None, :, d])
        unused_a, unused_b = a[:, d, None] == _INACTIVE, b[None, :, d] == _INACTIVE
        # Unused on one side: as far as two different choices (unused is one more choice, and for a numeric
        # parameter a point at distance 1 from its whole range, so the kernel stays a valid covariance).
        total += np.where(unused_a | unused_b, unused_a != unused_b, (diff > 0.5) if categorical[d] else diff)
    return total / max(a.shape[1], 1)


def _count_distances(a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    total = np.zeros((len(a), len(b)))
    for c in range(a.shape[1]):
        total += np.abs(a[:, c, None] - b[None, :, c])
    return total / scale
