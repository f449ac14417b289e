"""Regularized (aging) evolution of Real et al. (2019) as a single-objective Optuna sampler.

It is the Optuna form of the neutral ``regularized_evolution`` algorithm (mapped in
:mod:`nas_complexity.integration._optuna_samplers`). Optuna ships no single-objective evolutionary sampler for
architecture search; this one follows the paper:

1. the first ``n_startup_trials`` completed trials (default: ``population_size``) are drawn at random, or by a
   ``startup_sampler`` (e.g. TPE: a model-based start whose best finds become the first population);
2. afterwards the population is the ``population_size`` most recently *completed* trials (the oldest dies, whatever
   its quality: that is the "aging" which regularizes the search);
3. ``sample_size`` members are drawn uniformly with replacement (as in the paper's Algorithm 1), the best of them
   (study direction; feasible before infeasible when constraints are set) is the parent;
4. the child copies the parent and mutates it: by default exactly one parameter changes, or, with
   ``mutation_prob``, each parameter changes independently with that probability (at least one does);
5. optionally the mutation is guided (``mutation_effects`` and ``mutation_candidates``): each changed parameter
   draws several candidate values and keeps the one a zero-cost proxy's main effects rate best (the effects a
   profile measured over the architectures it scored, :func:`nas_complexity.metrics.value_effects`).

All parameters are sampled through :meth:`sample_independent`, so conditional and dynamic search spaces work: a
parameter that the parent did not have (it became active because a parameter above it changed) is drawn at
random; one the parent had keeps or mutates its value. The per-trial plan (parent and mutated names) is written to
the trial's system attributes before the first value is drawn, so every value of one trial follows one plan and the
lineage can be read back from any storage. Population and parent come from the storage, never from memory, which
makes ``study.optimize(n_jobs > 1)`` and several processes on one RDB or journal storage work.

Only single-objective studies are supported: a multi-objective study raises ``ValueError`` (use Optuna's
``NSGAIISampler``). Pruned, failed and running trials are never parents and take no place in the population.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from nas_complexity.metrics import effect_of
from nas_complexity.spaces import uniform_index

if TYPE_CHECKING:
    from optuna.study import Study

__all__ = ["RegularizedEvolutionSampler", "EVOLUTION_PARENT_KEY", "EVOLUTION_MUTATED_KEY"]

EVOLUTION_PARENT_KEY = "RegularizedEvolutionSampler:parent"
"""Trial system attribute: the parent's trial number, or ``None`` for a randomly drawn trial."""

EVOLUTION_MUTATED_KEY = "RegularizedEvolutionSampler:mutated"
"""Trial system attribute: names of the parent's parameters chosen to change (the others are copied)."""


@dataclass(frozen=True)
class _Plan:
    parent: int | None
    mutated: frozenset[str]


class RegularizedEvolutionSampler(BaseSampler):
    """Regularized evolution (aging evolution, Real et al. 2019) for single-objective Optuna studies.

    Args:
        population_size: number of most recently completed trials that form the population (paper: P).
        sample_size: tournament size, members drawn per parent selection (paper: S); at most ``population_size``.
        mutation_prob: ``None`` to change exactly one parameter per child (the paper's mutation); otherwise the
            probability in (0, 1] that each of the parent's parameters changes (at least one always does).
        seed: seed of the sampler's own random number generator. Give each process of a distributed study a
            different seed (or ``None``): equal seeds in two processes propose equal children.
        n_startup_trials: completed trials drawn at random before evolution starts; default ``population_size``.
        sigma: scale of numeric mutations as a fraction of the parameter's range (in log space for log
            ranges): floats get Gaussian steps, integers and stepped floats move by at least one grid point.
        startup_sampler: the sampler of the first ``n_startup_trials`` trials (default ``None``: uniform random).
            A model-based one (TPE) makes a budget-aware schedule: the model searches first, and evolution goes on
            from the population it found.
        mutation_effects: per parameter name, per value (:func:`nas_complexity.metrics.value_key`, its JSON
            text), how much a proxy prefers it (``PerformanceDiversity.value_effects``); ``None``: none.
        mutation_candidates: with ``mutation_effects``, candidate values drawn for each mutated parameter; the
            one with the largest effect is kept (the first drawn on a tie; a value without an effect counts 0).
            1 (the default) is the unguided mutation.

    Mutation of one parameter: a categorical takes another choice uniformly; an integer or stepped float moves
    ``max(1, round(|N(0, sigma * (n - 1))|))`` grid points up or down (``n`` grid points; log integers step in
    log space), always to a different legal value; a continuous float gets ``N(0, sigma * width)`` added in
    (log-)space, reflected at the bounds so that bound values are not over-represented.

    Each trial records its parent's number under :data:`EVOLUTION_PARENT_KEY` and the mutated names under
    :data:`EVOLUTION_MUTATED_KEY` in ``trial.system_attrs``. Constraints set with ``trial.set_constraint`` are
    respected in the tournament: a feasible member beats an infeasible one, two infeasible ones compare by total
    violation.

    Raises:
        ValueError: a setting is out of range; or, when sampling, the study has several objectives.

    Example:
        >>> import optuna
        >>> from nas_complexity.integration import EVOLUTION_PARENT_KEY, RegularizedEvolutionSampler
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> ops = ("none", "skip", "conv1x1", "conv3x3")
        >>> def objective(trial):
        ...     return sum(ops.index(trial.suggest_categorical(f"edge{i}", ops)) for i in range(6))
        >>> study = optuna.create_study(direction="maximize", sampler=RegularizedEvolutionSampler(10, 3, seed=0))
        >>> study.optimize(objective, n_trials=60)
        >>> study.trials[59].system_attrs[EVOLUTION_PARENT_KEY] < 59
        True
    """

    def __init__(
        self,
        population_size: int = 20,
        sample_size: int = 5,
        mutation_prob: float | None = None,
        seed: int | None = None,
        n_startup_trials: int | None = None,
        sigma: float = 0.1,
        startup_sampler: BaseSampler | None = None,
        mutation_effects: Mapping[str, Mapping[str, float]] | None = None,
        mutation_candidates: int = 1,
    ) -> None:
        _check_int("population_size", population_size, 1, "the number of trials kept in the population, e.g. 20")
        _check_int("sample_size", sample_size, 1, "the tournament size, e.g. 5")
        if sample_size > population_size:
            raise ValueError(
                f"sample_size={sample_size} is larger than population_size={population_size}; accepted: "
                "1 <= sample_size <= population_size"
            )
        if mutation_prob is not None and (
            isinstance(mutation_prob, bool) or not isinstance(mutation_prob, (int, float)) or not 0 < mutation_prob <= 1
        ):
            raise ValueError(f"mutation_prob={mutation_prob!r} is not accepted; accepted: None or a number in (0, 1]")
        if n_startup_trials is not None:
            _check_int("n_startup_trials", n_startup_trials, 1, "the number of random trials before evolution")
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not sigma > 0 or not math.isfinite(sigma):
            raise ValueError(f"sigma={sigma!r} is not accepted; accepted: a positive fraction of the range, e.g. 0.1")
        self._population_size = int(population_size)
        self._sample_size = int(sample_size)
        self._mutation_prob = None if mutation_prob is None else float(mutation_prob)
        self._n_startup_trials = int(population_size if n_startup_trials is None else n_startup_trials)
        if startup_sampler is not None and not isinstance(startup_sampler, BaseSampler):
            raise TypeError(
                f"startup_sampler must be an optuna.samplers.BaseSampler or None, got {type(startup_sampler).__name__}"
            )
        _check_int("mutation_candidates", mutation_candidates, 1, "candidate values per mutated parameter, e.g. 2")
        self._mutation_effects = _checked_effects(mutation_effects)
        self._mutation_candidates = int(mutation_candidates)
        self._sigma = float(sigma)
        self._startup_sampler = startup_sampler
        self._rng = np.random.default_rng(seed)

    @property
    def population_size(self) -> int:
        return self._population_size

    @property
    def sample_size(self) -> int:
        return self._sample_size

    @property
    def mutation_prob(self) -> float | None:
        return self._mutation_prob

    @property
    def n_startup_trials(self) -> int:
        return self._n_startup_trials

    @property
    def startup_sampler(self) -> BaseSampler | None:
        return self._startup_sampler

    @property
    def mutation_candidates(self) -> int:
        return self._mutation_candidates

    @property
    def mutation_effects(self) -> dict[str, dict[str, float]]:
        return {name: dict(by_value) for name, by_value in self._mutation_effects.items()}

    def reseed_rng(self) -> None:
        # Called by Optuna in each worker thread of ``optimize(n_jobs > 1)``: fresh entropy so threads differ.
        self._rng = np.random.default_rng()
        if self._startup_sampler is not None:
            self._startup_sampler.reseed_rng()

    # -------------------------------------------------------------------------------------- Optuna interface
    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        _check_single_objective(study)
        # The plan is made before anything is sampled, so that a startup trial goes to the startup sampler whole.
        if self._startup(study, trial):
            self._startup_sampler.before_trial(study, trial)  # type: ignore[union-attr]

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        if self._startup(study, trial):
            return self._startup_sampler.infer_relative_search_space(study, trial)  # type: ignore[union-attr]
        # Everything goes through sample_independent, which handles conditional and dynamic spaces uniformly.
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        _check_single_objective(study)
        if self._startup(study, trial):
            return self._startup_sampler.sample_relative(study, trial, search_space)  # type: ignore[union-attr]
        return {}

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        if self._startup(study, trial):
            self._startup_sampler.after_trial(study, trial, state, values)  # type: ignore[union-attr]

    def _startup(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` is a startup trial handed to the startup sampler."""
        return self._startup_sampler is not None and self._plan(study, trial).parent is None

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        _check_single_objective(study)
        plan = self._plan(study, trial)
        if plan.parent is None:
            if self._startup_sampler is not None:
                return self._startup_sampler.sample_independent(study, trial, param_name, param_distribution)
            return _sample(param_distribution, self._rng)
        parent = _trial_by_number(study, plan.parent)
        if param_name not in parent.params:
            return _sample(param_distribution, self._rng)  # newly active: its condition changed in this child
        value = parent.params[param_name]
        if not _compatible(value, parent.distributions[param_name], param_distribution):
            return _sample(param_distribution, self._rng)  # the objective changed this parameter's range
        if param_name in plan.mutated:
            return self._mutated(param_name, value, param_distribution)
        return value

    def _mutated(self, name: str, value: Any, dist: BaseDistribution) -> Any:
        """The child's value of a mutated parameter: one mutation, or the proxy's favourite of several."""
        if self._mutation_candidates == 1 or not self._mutation_effects.get(name):
            return _mutate(value, dist, self._rng, self._sigma)
        drawn = [_mutate(value, dist, self._rng, self._sigma) for _ in range(self._mutation_candidates)]
        return max(drawn, key=lambda v: effect_of(self._mutation_effects, {name: v}))

    # ------------------------------------------------------------------------------------------ evolution
    def _plan(self, study: Study, trial: FrozenTrial) -> _Plan:
        """This trial's parent and mutated names: read from the storage, or chosen now and stored."""
        attrs = trial.system_attrs
        if EVOLUTION_PARENT_KEY not in attrs:
            # ``trial`` may be a snapshot taken before an earlier call of this trial stored the plan.
            attrs = study._storage.get_trial_system_attrs(trial._trial_id)
        if EVOLUTION_PARENT_KEY in attrs:
            return _Plan(attrs[EVOLUTION_PARENT_KEY], frozenset(attrs.get(EVOLUTION_MUTATED_KEY) or ()))
        plan = self._new_plan(study)
        study._storage.set_trial_system_attr(trial._trial_id, EVOLUTION_PARENT_KEY, plan.parent)
        study._storage.set_trial_system_attr(trial._trial_id, EVOLUTION_MUTATED_KEY, sorted(plan.mutated))
        return plan

    def _new_plan(self, study: Study) -> _Plan:
        completed = self.population(study, all_completed=True)
        if len(completed) < self._n_startup_trials:
            return _Plan(None, frozenset())
        parent = self.select_parent(study, completed[-self._population_size:])
        mutable = [name for name, dist in parent.distributions.items() if not dist.single()]
        return _Plan(parent.number, frozenset(self._choose_mutated(mutable)))

    def population(self, study: Study, all_completed: bool = False) -> list[FrozenTrial]:
        """The current population: the ``population_size`` most recently completed trials, oldest first.

        With ``all_completed=True`` every completed trial with a finite value is returned (in the same order).
        Completion time orders the trials (trial number breaks ties), so aging follows what workers finished.

        Example:
            >>> import optuna
            >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
            >>> sampler = RegularizedEvolutionSampler(population_size=4, sample_size=2, seed=0)
            >>> study = optuna.create_study(sampler=sampler)
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=6)
            >>> [t.number for t in sampler.population(study)]
            [2, 3, 4, 5]
        """
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        done = [t for t in trials if t.value is not None and not math.isnan(t.value)]
        done.sort(key=lambda t: (t.datetime_complete or datetime.min, t.number))
        return done if all_completed else done[-self._population_size:]

    def select_parent(self, study: Study, population: Sequence[FrozenTrial]) -> FrozenTrial:
        """The tournament: ``sample_size`` members drawn with replacement, the best one wins.

        Example:
            >>> import optuna
            >>> sampler = RegularizedEvolutionSampler(population_size=3, sample_size=3, seed=0)
            >>> study = optuna.create_study(direction="maximize", sampler=sampler)
            >>> for v in (1.0, 5.0, 3.0):
            ...     study.add_trial(optuna.create_trial(value=v))
            >>> sampler.select_parent(study, study.trials).value in (1.0, 3.0, 5.0)
            True
        """
        if not population:
            raise ValueError("the population is empty: no completed trial to select a parent from")
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        drawn = self._rng.integers(len(population), size=self._sample_size)
        return min((population[int(i)] for i in drawn), key=lambda t: (_violation(t), sign * float(t.value)))

    def _choose_mutated(self, names: list[str]) -> list[str]:
        if not names:
            return []
        if self._mutation_prob is not None:
            chosen = [n for n in names if self._rng.random() < self._mutation_prob]
            if chosen:
                return chosen
        return [names[int(self._rng.integers(len(names)))]]


# ---------------------------------------------------------------------------------------------- internals
def _check_int(name: str, value: Any, low: int, meaning: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}={value!r} is not accepted; accepted: an integer >= {low} ({meaning})")


def _checked_effects(effects: Mapping[str, Mapping[str, float]] | None) -> dict[str, dict[str, float]]:
    if effects is None:
        return {}
    accepted = "accepted: None or {parameter name: {value key (JSON text): finite number}}"
    if not isinstance(effects, Mapping):
        raise ValueError(f"mutation_effects of type {type(effects).__name__} is not accepted; {accepted}")
    out: dict[str, dict[str, float]] = {}
    for name, by_value in effects.items():
        if not isinstance(name, str) or not isinstance(by_value, Mapping):
            raise ValueError(f"mutation_effects[{name!r}] is not accepted; {accepted}")
        for key, effect in by_value.items():
            if (not isinstance(key, str) or isinstance(effect, bool) or not isinstance(effect, (int, float))
                    or not math.isfinite(effect)):
                raise ValueError(f"mutation_effects[{name!r}][{key!r}]={effect!r} is not accepted; {accepted}")
        out[name] = {key: float(effect) for key, effect in by_value.items()}
    return out


def _check_single_objective(study: Study, sampler: str = "RegularizedEvolutionSampler") -> None:
    if len(study.directions) > 1:
        raise ValueError(
            f"{sampler} supports single-objective studies only; this study has "
            f"{len(study.directions)} objectives. Accepted: a study with one direction (for several objectives "
            "use optuna.samplers.NSGAIISampler)"
        )


def _trial_by_number(study: Study, number: int) -> FrozenTrial:
    storage = study._storage
    return storage.get_trial(storage.get_trial_id_from_study_id_trial_number(study._study_id, number))


def _violation(trial: FrozenTrial) -> float:
    """Total constraint violation (0 when feasible or unconstrained); Optuna 4 stored a list, Optuna 5 a dict."""
    values = getattr(trial, "constraints", None)
    if values is None:
        values = trial.system_attrs.get("constraints") or ()
    values = values.values() if isinstance(values, dict) else values
    return float(sum(max(0.0, float(c)) for c in values))


def _compatible(value: Any, old: BaseDistribution, new: BaseDistribution) -> bool:
    """Whether the parent's value is a legal value of the distribution the child asks for."""
    if type(old) is not type(new):
        return False
    try:
        return bool(new._contains(new.to_internal_repr(value)))
    except (ValueError, TypeError):
        return False


def _grid_size(dist: IntDistribution | FloatDistribution) -> int:
    if isinstance(dist, IntDistribution):  # exact for any width (a float quotient loses digits past 2**53)
        return (dist.high - dist.low) // dist.step + 1
    return int(math.floor((dist.high - dist.low) / dist.step + 1e-8)) + 1  # type: ignore[operator]


def _grid_value(dist: IntDistribution | FloatDistribution, index: int) -> int | float:
    if isinstance(dist, IntDistribution):
        return int(dist.low + index * dist.step)
    # Clipping removes float drift past ``high`` (low + k * step may overshoot by one ulp).
    return float(min(dist.high, max(dist.low, dist.low + index * dist.step)))  # type: ignore[operator]


def _on_grid(dist: BaseDistribution) -> bool:
    """Integers on a linear scale and stepped floats: values are ``low + k * step``."""
    if isinstance(dist, IntDistribution):
        return not dist.log
    return isinstance(dist, FloatDistribution) and dist.step is not None


def _sample(dist: BaseDistribution, rng: np.random.Generator) -> Any:
    """One value drawn uniformly (log-uniformly for log ranges), as a plain Python value."""
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(rng.integers(len(dist.choices)))]
    if _on_grid(dist):
        return _grid_value(dist, uniform_index(rng, _grid_size(dist)))  # type: ignore[arg-type]
    if isinstance(dist, IntDistribution):  # log integers: log-uniform over [low - 0.5, high + 0.5), rounded
        value = math.exp(rng.uniform(math.log(dist.low - 0.5), math.log(dist.high + 0.5)))
        return int(min(dist.high, max(dist.low, round(value))))
    if isinstance(dist, FloatDistribution):
        if dist.log:
            value = math.exp(rng.uniform(math.log(dist.low), math.log(dist.high)))
            return float(min(dist.high, max(dist.low, value)))
        return float(rng.uniform(dist.low, dist.high))
    raise ValueError(f"unsupported distribution {type(dist).__name__}; accepted: Float, Int or Categorical")


def _mutate(value: Any, dist: BaseDistribution, rng: np.random.Generator, sigma: float) -> Any:
    """A legal value different from ``value`` (see the class docstring for the moves)."""
    if isinstance(dist, CategoricalDistribution):
        current = dist.to_internal_repr(value)
        others = [i for i in range(len(dist.choices)) if i != current]
        return dist.choices[others[int(rng.integers(len(others)))]] if others else value
    if _on_grid(dist):
        size = _grid_size(dist)  # type: ignore[arg-type]
        index = (value - dist.low) // dist.step if isinstance(dist, IntDistribution) else int(round((value - dist.low) / dist.step))  # type: ignore[attr-defined]
        return _grid_value(dist, _grid_step(index, size, sigma * (size - 1), rng))  # type: ignore[arg-type]
    if isinstance(dist, IntDistribution):  # log integers: Gaussian step in log space, then a different integer
        low, high = math.log(dist.low), math.log(dist.high)
        step = _reflect(math.log(value) + rng.normal(0, sigma * (high - low)), low, high)
        moved = int(min(dist.high, max(dist.low, round(math.exp(step)))))
        if moved == value:
            moved = _grid_step(value - dist.low, dist.high - dist.low + 1, 0.0, rng) + dist.low
        return int(moved)
    if isinstance(dist, FloatDistribution):
        if dist.log:
            low, high = math.log(dist.low), math.log(dist.high)
            moved = math.exp(_reflect(math.log(value) + rng.normal(0, sigma * (high - low)), low, high))
        else:
            moved = _reflect(value + rng.normal(0, sigma * (dist.high - dist.low)), dist.low, dist.high)
        return float(min(dist.high, max(dist.low, moved)))
    raise ValueError(f"unsupported distribution {type(dist).__name__}; accepted: Float, Int or Categorical")


def _grid_step(index: int, size: int, scale: float, rng: np.random.Generator) -> int:
    """Another index in ``0..size-1``: at least one step up or down, further with a Gaussian of ``scale``."""
    if size <= 1:
        return index
    steps = max(1, int(round(abs(rng.normal(0, scale))))) if scale > 0 else 1
    direction = 1 if rng.random() < 0.5 else -1
    candidates = (index + direction * steps, index - direction * steps)
    for moved in candidates:
        if 0 <= moved < size:
            return moved
    # Both overshoot: go to the edge that is not where the value already is.
    clipped = [min(size - 1, max(0, moved)) for moved in candidates]
    return clipped[0] if clipped[0] != index else clipped[1]


def _reflect(x: float, low: float, high: float) -> float:
    """``x`` folded back into ``[low, high]`` once (larger overshoots are clipped by the caller)."""
    if x > high:
        return high - (x - high)
    if x < low:
        return low + (low - x)
    return x
