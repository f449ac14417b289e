"""Bayesian optimisation for discrete search spaces: a Gaussian process over grid positions and choices, expected
improvement over the neighbourhood of the best trials.

Optuna's ``GPSampler`` treats a categorical parameter as a one-hot vector and optimises its acquisition function
over a continuous relaxation, refitting kernel hyperparameters by gradient descent at every trial: on architecture
spaces its sampler time grows to seconds per trial (the README's "Say what a trial costs" has the measurements).
This sampler models what such spaces are, a finite grid:

1. the first ``n_startup_trials`` completed trials are drawn at random (as Optuna's model-based samplers do);
2. every parameter the trials used becomes one coordinate: a categorical parameter its choice, a numeric one its
   position in [0, 1] (on the log scale for ``log=True``; a stepped range keeps its grid). A conditional
   parameter (a layer only deeper networks have) is modelled too: when it is used is learnt from the trials (the
   parameter whose value has always decided it, e.g. the depth), and a trial that did not use it holds "unused"
   there. A parameter whose use no other parameter decides, or whose range changes between trials, is left to
   ``RandomSampler``;
3. the distance of two points is the mean over coordinates of 0/1 for a categorical one (same choice or not), the
   absolute difference for a numeric one, and 1 where only one of them uses the parameter; the kernel is
   ``exp(-distance / lengthscale)``, a valid covariance;
4. the objective values are replaced by their normal scores (rank-based: accuracy tables are heavily skewed, and
   a few diverged runs must not flatten the model); lengthscale and noise maximise the marginal likelihood over a
   small grid, refitted every ``refit_every`` completed trials;
5. the next point maximises expected improvement over candidates: every one-parameter change of the
   ``n_parents`` best trials (numeric parameters: the neighbouring grid positions), two-parameter changes of the
   best, and ``n_random_candidates`` random points. Points any earlier trial used, whatever its state (a pruned
   one, e.g. a combination the table lacks; a running one, in a parallel study), are never proposed again;
6. where trials failed or were pruned before reporting (infeasible points: a combination a table lacks, a
   constraint the objective enforces), expected improvement is weighted by the chance a candidate is feasible,
   judged by trials with the same counts of each choice over interchangeable parameters (see
   :func:`_feasibility`).

Example:
    >>> import optuna
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> def objective(trial):
    ...     ops = [trial.suggest_categorical(f"op{i}", ["conv3x3", "conv1x1", "pool", "skip"]) for i in range(4)]
    ...     return sum({"conv3x3": 3, "conv1x1": 2, "pool": 1, "skip": 0}[o] for o in ops) + trial.suggest_int("w", 1, 8)
    >>> study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(seed=0))
    >>> study.optimize(objective, n_trials=40)
    >>> study.best_value
    20.0
"""
from __future__ import annotations

import contextlib
import functools
import math
import threading
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from nas_complexity.integration._optuna_evolution import _check_single_objective

if TYPE_CHECKING:
    from optuna.study import Study

__all__ = ["DiscreteGPSampler"]

_LOGGER = optuna.logging.get_logger(__name__)

_LENGTHSCALES = (0.05, 0.1, 0.2, 0.4, 0.8)
_NOISES = (1e-3, 1e-2, 1e-1, 0.3)
_MAX_CHOICES = 32
"""Other choices of a categorical parameter tried per parent in one-parameter changes (all when there are fewer)."""
_NEIGHBOUR_STEPS = (-2, -1, 1, 2)
"""Grid positions a numeric parameter moves by in a one-parameter change (continuous ones: that many 1/20ths)."""


class DiscreteGPSampler(BaseSampler):
    """Gaussian-process Bayesian optimisation over a discrete search space (see the module's description).

    Args:
        n_startup_trials: completed trials drawn at random before the model is used (at least 1).
        n_parents: best trials whose one-parameter changes are candidates.
        n_random_candidates: random points added to the candidates.
        refit_every: completed trials between two fits of lengthscale and noise.
        seed: seed of the sampler's random number generator (``None``: fresh entropy).

    Raises:
        ValueError: an argument out of range (the message names it and what is accepted).

    Example:
        >>> DiscreteGPSampler(n_startup_trials=5, seed=1).n_startup_trials
        5
    """

    def __init__(
        self,
        *,
        n_startup_trials: int = 10,
        n_parents: int = 10,
        n_random_candidates: int = 200,
        refit_every: int = 10,
        seed: int | None = None,
    ) -> None:
        for name, value, low in (("n_startup_trials", n_startup_trials, 1), ("n_parents", n_parents, 1),
                                 ("n_random_candidates", n_random_candidates, 0), ("refit_every", refit_every, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name}={value!r} is not accepted; accepted: an integer >= {low}")
        self._n_startup_trials = int(n_startup_trials)
        self._n_parents = int(n_parents)
        self._n_random = int(n_random_candidates)
        self._refit_every = int(refit_every)
        self._rng = np.random.default_rng(seed)
        self._random = RandomSampler(seed=seed)
        self._search_space = _UnionSearchSpace()
        self._fitted: tuple[int, float, float] | None = None  # (trials at the fit, lengthscale, noise)

    @property
    def n_startup_trials(self) -> int:
        return self._n_startup_trials

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._random.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        _check_single_objective(study, "DiscreteGPSampler")
        return self._search_space.calculate(study)

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        _check_single_objective(study, "DiscreteGPSampler")
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    def sample_relative(self, study: Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        _check_single_objective(study, "DiscreteGPSampler")
        every = [t for t in study.get_trials(deepcopy=False) if t.number != trial.number]
        finished = [t for t in every if t.state in _FINISHED]
        model_space = {n: d for n, d in search_space.items() if not d.single()}
        if not model_space:
            return {}
        coords = {n: _Coordinate(d) for n, d in model_space.items()}
        conditions = _Conditions.learn(finished, coords)
        names = conditions.names
        done = [t for t in finished if t.state == TrialState.COMPLETE and t.value is not None
                and math.isfinite(t.value)]
        if not names or len(done) < self._n_startup_trials:
            return {}
        ordered = [coords[n] for n in names]
        x = _encode(done, names, ordered)
        maximize = study.direction == StudyDirection.MAXIMIZE
        z = _normal_scores(np.array([t.value for t in done]) * (1.0 if maximize else -1.0))
        # Infeasible: failed, or pruned before reporting anything (a combination the table lacks, a constraint the
        # objective enforces); a trial a pruner stopped after it reported was feasible, only poor.
        infeasible = _encode([t for t in every if t.state == TrialState.FAIL
                              or (t.state == TrialState.PRUNED and not t.intermediate_values)], names, ordered)
        used = {tuple(row) for row in _encode(every, names, ordered)}
        with _one_blas_thread():
            masked, full = self._candidates(x, z, ordered, used, conditions)
            if len(masked) == 0:
                return {}  # every candidate was tried: random draws go on
            try:
                score = self._expected_improvement(x, z, masked, ordered)
            except np.linalg.LinAlgError as err:  # a numerically singular kernel: this trial is drawn at random
                _LOGGER.warning(f"DiscreteGPSampler: the Gaussian process could not be fitted ({err}); trial "
                                f"{trial.number} is drawn at random")
                self._fitted = None
                return {}
            feasible = _feasibility(masked, x, infeasible, ordered) if len(infeasible) else None
            if feasible is not None:
                score = score * feasible
        best = full[int(np.argmax(score))]
        return {n: c.decode(v) for n, c, v in zip(names, ordered, best)}

    # ----------------------------------------------------------------------------------------- the model
    def _expected_improvement(self, x: np.ndarray, z: np.ndarray, candidates: np.ndarray,
                              coords: Sequence[_Coordinate]) -> np.ndarray:
        from scipy.linalg import cho_solve, solve_triangular
        from scipy.special import ndtr

        categorical = np.array([c.categorical for c in coords])
        distance = _distances(x, x, categorical)
        if self._fitted is None or len(z) - self._fitted[0] >= self._refit_every:
            self._fitted = (len(z), *_fit(distance, z))
        _, lengthscale, noise = self._fitted
        chol = np.linalg.cholesky(np.exp(-distance / lengthscale) + noise * np.eye(len(z)))
        alpha = cho_solve((chol, True), z)
        cross = np.exp(-_distances(candidates, x, categorical) / lengthscale)
        mean = cross @ alpha
        v = solve_triangular(chol, cross.T, lower=True)
        sd = np.sqrt(np.maximum(1.0 - (v * v).sum(axis=0), 1e-12))
        gain = (mean - z.max()) / sd
        # A tiny random jitter breaks ties between equal candidates without favouring the pool's order.
        density = np.exp(-0.5 * gain * gain) / math.sqrt(2.0 * math.pi)
        return sd * (gain * ndtr(gain) + density) + 1e-12 * self._rng.random(len(mean))

    def _candidates(self, x: np.ndarray, z: np.ndarray, coords: Sequence[_Coordinate],
                    used: set[tuple[float, ...]], conditions: _Conditions) -> tuple[np.ndarray, np.ndarray]:
        """Unused candidates as the model sees them (parameters they leave unused marked inactive) and as full
        assignments. A parent's unused parameters are filled at random first, so a change that brings one into
        use (a deeper network) has a value for it."""
        def filled(row: np.ndarray) -> np.ndarray:
            return np.array([c.draw(self._rng) if v == _INACTIVE else v for c, v in zip(coords, row)])

        blocks: list[np.ndarray] = []
        for i in np.argsort(-z, kind="stable")[: self._n_parents]:
            parent = filled(x[i])
            for d, coord in enumerate(coords):
                values = list(coord.neighbours(parent[d], self._rng)) if x[i, d] != _INACTIVE else []
                if values:
                    block = np.repeat(parent[None, :], len(values), axis=0)
                    block[:, d] = values
                    blocks.append(block)
        if len(coords) > 1:
            block = np.repeat(filled(x[int(np.argmax(z))])[None, :], 50, axis=0)
            for row in block:
                for d in self._rng.choice(len(coords), size=2, replace=False):
                    row[d] = coords[d].draw(self._rng)
            blocks.append(block)
        blocks.append(np.column_stack([c.draw(self._rng, self._n_random) for c in coords]))
        full = np.vstack(blocks)
        masked = conditions.mask(full)
        fresh: dict[tuple[float, ...], int] = {}
        for row, key in enumerate(map(tuple, masked.tolist())):
            if key not in used and key not in fresh:
                fresh[key] = row
        keep = list(fresh.values())
        return masked[keep], full[keep]


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

    def _start(self, study_id: int | None) -> None:
        self._study_id = study_id
        self._seen: set[int] = set()
        self._space: dict[str, BaseDistribution] = {}
        self._dynamic: set[str] = set()

    def calculate(self, study: Study) -> dict[str, BaseDistribution]:
        with self._lock:
            if study._study_id != self._study_id:  # another study: start over
                self._start(study._study_id)
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


def _feasibility(candidates: np.ndarray, feasible: np.ndarray, infeasible: np.ndarray,
                 coords: Sequence[_Coordinate]) -> np.ndarray | None:
    """Each candidate's chance of being feasible, from trials with the same choice counts, or ``None`` where the
    space has no interchangeable parameters.

    Interchangeable parameters (two or more categorical ones with the same choices: a cell's edges, a network's
    layers) are where tables and objectives draw their limits, e.g. on how many layers downsample; the counts of
    each choice over them place a candidate. The chance is the kernel-weighted share of feasible trials around it
    (``exp(-distance / 0.05)``: trials with the same counts dominate), shrunk towards the study's share by one
    trial's weight. Measured on TransNAS-Bench-101 macro (3 tasks, 3 seeds, 150 trials): 63 of 150 trials
    infeasible, against 92 without it (the plain kernel instead of counts: 92; lengthscale 0.02 / 0.1: 71 / 78).
    """
    groups = _interchangeable(coords)
    if not groups:
        return None
    counts = [_choice_counts(a, coords, groups) for a in (candidates, feasible, infeasible)]
    scale = 2.0 * sum(len(g) for g in groups)  # one parameter changed: distance 1 / (parameters in groups)
    weight_ok, weight_bad = (np.exp(-_count_distances(counts[0], c, scale) / _FEASIBILITY_LENGTHSCALE).sum(axis=1)
                             for c in counts[1:])
    share = len(feasible) / (len(feasible) + len(infeasible))
    return (share + weight_ok) / (1.0 + weight_ok + weight_bad)


_FEASIBILITY_LENGTHSCALE = 0.05


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


def _normal_scores(values: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    # Average ranks (ties share theirs), as scipy.stats.rankdata gives, at a fraction of its call overhead.
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    _, tie, size = np.unique(values, return_inverse=True, return_counts=True)
    ranks = (np.bincount(tie, weights=ranks) / size)[tie]
    return ndtri((ranks - 0.5) / len(values))


def _fit(distance: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    """Lengthscale and noise of the highest marginal likelihood over the grid."""
    best: tuple[float, float, float] | None = None
    for lengthscale in _LENGTHSCALES:
        kernel = np.exp(-distance / lengthscale)
        for noise in _NOISES:
            try:
                chol = np.linalg.cholesky(kernel + noise * np.eye(len(z)))
            except np.linalg.LinAlgError:
                continue
            alpha = np.linalg.solve(chol, z)
            likelihood = -0.5 * float(alpha @ alpha) - float(np.log(np.diag(chol)).sum())
            if best is None or likelihood > best[0]:
                best = (likelihood, lengthscale, noise)
    return (best[1], best[2]) if best is not None else (_LENGTHSCALES[-1], _NOISES[-1])


def _count_distances(a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    total = np.zeros((len(a), len(b)))
    for c in range(a.shape[1]):
        total += np.abs(a[:, c, None] - b[None, :, c])
    return total / scale


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    controller = _thread_pools()
    if controller is None:  # optional: without threadpoolctl the fit runs with the BLAS library's own threads
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield


@functools.lru_cache(maxsize=1)
def _thread_pools() -> Any:
    """threadpoolctl's view of the process's thread pools, found once (finding them reads every loaded library)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()
