"""Bayesian optimisation for discrete search spaces: a Gaussian process over grid positions and choices, expected
improvement over the neighbourhood of the best trials.

Optuna's ``GPSampler`` treats a categorical parameter as a one-hot vector and optimises its acquisition function
over a continuous relaxation, refitting kernel hyperparameters by gradient descent at every trial: its sampler time
grows with every trial (the README's "Say what a trial costs" has the measurements).
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
   :func:`_feasibility`);
7. with ``feasible`` (a check of what the space allows, e.g. its declared constraints), points it refuses are
   never proposed.

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

With a few hundred trials the fit is a few hundred-by-hundred matrices, so the sampler runs with one BLAS thread
when ``threadpoolctl`` is installed: several threads only contend on matrices this small, e.g. between the
workers of a process pool. Its sampler time per trial is in the evidence's ``timing.csv``.
"""
from __future__ import annotations

import contextlib
import functools
import math
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from nas_complexity.integration._optuna_discrete_space import (
    _FINISHED,
    _INACTIVE,
    _choice_counts,
    _Conditions,
    _Coordinate,
    _count_distances,
    _decode,
    _distances,
    _encode,
    _interchangeable,
    _UnionSearchSpace,
    _unused_rows,
)
from nas_complexity.integration._optuna_evolution import _check_single_objective

if TYPE_CHECKING:
    from optuna.study import Study

__all__ = ["DiscreteGPSampler"]

_LOGGER = optuna.logging.get_logger(__name__)

_LENGTHSCALES = (0.05, 0.1, 0.2, 0.4, 0.8)
_NOISES = (1e-3, 1e-2, 1e-1, 0.3)
_STARTUP_DRAWS = 64
"""Random points drawn for a startup trial when a feasibility check is given (the first allowed unused one)."""

class DiscreteGPSampler(BaseSampler):
    """Gaussian-process Bayesian optimisation over a discrete search space (see the module's description).

    Args:
        n_startup_trials: completed trials drawn at random before the model is used (at least 1).
        n_parents: best trials whose one-parameter changes are candidates.
        n_random_candidates: random points added to the candidates.
        refit_every: completed trials between two fits of lengthscale and noise.
        seed: seed of the sampler's random number generator (``None``: fresh entropy).
        feasible: a check of a point known to be allowed before it is tried (e.g. a search space's declared
            constraints; :class:`~nas_complexity.integration.ComplexityAdvisor` passes its space's), called with
            every parameter the sampler models (those a point leaves unused included) and returning whether the
            point is allowed. Points it refuses are never proposed, the random startup trials included, as long as
            any allowed candidate is left; a check that raises is dropped for the rest of the study, with a warning.

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
        feasible: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        for name, value, low in (("n_startup_trials", n_startup_trials, 1), ("n_parents", n_parents, 1),
                                 ("n_random_candidates", n_random_candidates, 0), ("refit_every", refit_every, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name}={value!r} is not accepted; accepted: an integer >= {low}")
        self._n_startup_trials = int(n_startup_trials)
        self._n_parents = int(n_parents)
        self._n_random = int(n_random_candidates)
        self._refit_every = int(refit_every)
        if feasible is not None and not callable(feasible):
            raise ValueError(f"feasible={feasible!r} is not accepted; accepted: None or a function of the parameters")
        self._feasible = feasible
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
        if not names:
            return {}
        ordered = [coords[n] for n in names]
        used = {tuple(row) for row in _encode(every, names, ordered)}
        if len(done) < self._n_startup_trials:
            return self._allowed_random_point(used, names, ordered, conditions)
        x = _encode(done, names, ordered)
        maximize = study.direction == StudyDirection.MAXIMIZE
        z = _normal_scores(np.array([t.value for t in done]) * (1.0 if maximize else -1.0))
        # Infeasible: failed, or pruned before reporting anything (a combination the table lacks, a constraint the
        # objective enforces); a trial a pruner stopped after it reported was feasible, only poor.
        infeasible = _encode([t for t in every if t.state == TrialState.FAIL
                              or (t.state == TrialState.PRUNED and not t.intermediate_values)], names, ordered)
        with _one_blas_thread():
            masked, full = self._candidates(x, z, ordered, used, conditions)
            allowed = self._allowed(full, names, ordered)
            if allowed.any():
                masked, full = masked[allowed], full[allowed]
            if len(masked) == 0:
                return {}  # every candidate was tried: random draws go on
            try:
                score = self._expected_improvement(x, z, masked, ordered)
            except np.linalg.LinAlgError as err:  # a numerically singular kernel: this trial is drawn at random
                _LOGGER.warning(f"DiscreteGPSampler: the Gaussian process could not be fitted ({err}); trial "
                                f"{trial.number} is drawn at random")
                self._fitted = None
                return {}
            chance = _feasibility(masked, x, infeasible, ordered) if len(infeasible) else None
            if chance is not None:
                score = score * chance
        return _decode(full[int(np.argmax(score))], names, ordered)

    # ------------------------------------------------------------------------------- declared constraints
    def _allowed(self, points: np.ndarray, names: Sequence[str], coords: Sequence[_Coordinate]) -> np.ndarray:
        """Which of ``points`` (full assignments) the ``feasible`` check allows (all of them without a check)."""
        check = self._feasible
        if check is None:
            return np.ones(len(points), dtype=bool)
        try:
            return np.array([bool(check(_decode(row, names, coords))) for row in points],
                            dtype=bool).reshape(len(points))
        except Exception as err:  # the user's check must not stop the study: it is dropped, and the log says why
            _LOGGER.warning(f"DiscreteGPSampler: the feasibility check failed ({type(err).__name__}: {err}); points "
                            "are no longer checked in this study")
            self._feasible = None
            return np.ones(len(points), dtype=bool)

    def _allowed_random_point(self, used: set[tuple[float, ...]], names: Sequence[str],
                              coords: Sequence[_Coordinate], conditions: _Conditions) -> dict[str, Any]:
        """A startup trial: a random unused point the check allows (none given: the random sampler draws it)."""
        if self._feasible is None:
            return {}
        points = np.column_stack([c.draw(self._rng, _STARTUP_DRAWS) for c in coords])
        fresh = _unused_rows(conditions.mask(points), used)
        allowed = np.flatnonzero(self._allowed(points[fresh], names, coords)) if fresh else []
        if len(allowed) == 0:
            return {}
        return _decode(points[fresh[allowed[0]]], names, coords)

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
        keep = _unused_rows(masked, used)
        return masked[keep], full[keep]


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
