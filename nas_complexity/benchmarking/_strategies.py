"""The search strategies the comparison harness runs: one class per strategy, each building its Optuna sampler.

A :class:`SearchStrategy` says which settings it applies to (:meth:`~SearchStrategy.applies_to`), builds its
sampler for a setting, budget and seed (:meth:`~SearchStrategy.make_sampler`) and, when it wraps the study rather
than only providing a sampler (the advisor, through the real Optuna hook), attaches itself to the study
(:meth:`~SearchStrategy.attach`). ``budget_aware`` says whether the strategy's behaviour depends on the total
budget: then the harness runs every budget on its own; otherwise one run to the largest budget gives each smaller
budget as its prefix (a sampler that does not know the budget behaves identically on the first ``b`` trials).

Strategies that *choose* among the others per setting (``selector = True``: the AutoSampler-like rule and the
advisor) are compared against the portfolio of fixed strategies: the single best fixed strategy (SBS) and the
per-setting best (VBS) are taken over the fixed strategies only.

Example:
    >>> from nas_complexity.benchmarking import STRATEGIES
    >>> sorted(STRATEGIES)
    ['advisor', 'auto', 'cma_es', 'discrete_gp', 'gp', 'nsga2', 'random', 'regularized_evolution', 'tpe']
    >>> STRATEGIES["advisor"].budget_aware, STRATEGIES["tpe"].budget_aware
    (True, False)
"""
from __future__ import annotations

import abc
import atexit
import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

from nas_complexity.spaces import Categorical, FloatRange, IntRange, SearchSpace

if TYPE_CHECKING:  # pragma: no cover
    import optuna

__all__ = [
    "AUTO_CMA_ES_FROM",
    "STRATEGIES",
    "AdvisorStrategy",
    "AutoStrategy",
    "CmaEsStrategy",
    "DiscreteGPStrategy",
    "GPStrategy",
    "NSGA2Strategy",
    "RandomStrategy",
    "RegularizedEvolutionStrategy",
    "SearchStrategy",
    "SpaceTraits",
    "TPEStrategy",
    "space_traits",
]

AUTO_CMA_ES_FROM = 250
"""Budget from which the AutoSampler-like rule uses CMA-ES instead of GP on all-numeric spaces."""

Callback = Callable[[Any, Any], None]


@dataclass(frozen=True)
class SpaceTraits:
    """What a space's parameters are, as the strategies' rules need it.

    Attributes:
        categorical: at least one categorical parameter (cell operations count: they are categorical).
        conditional: at least one parameter is active only under a condition.
        numeric: every parameter is an integer or float range (no categorical one).
    """

    categorical: bool
    conditional: bool
    numeric: bool


def space_traits(space: SearchSpace) -> SpaceTraits:
    """The :class:`SpaceTraits` of ``space`` (over every parameter, those of cell structures included).

    Example:
        >>> from nas_complexity.spaces import Categorical, Condition, IntRange, SearchSpace
        >>> space_traits(SearchSpace("s", [IntRange("width", 1, 4), IntRange("depth", 1, 3)]))
        SpaceTraits(categorical=False, conditional=False, numeric=True)
        >>> space_traits(SearchSpace("c", [Categorical("op", ("a", "b")),
        ...                                IntRange("k", 1, 3, condition=Condition("op", ("a",)))]))
        SpaceTraits(categorical=True, conditional=True, numeric=False)
    """
    params = space.all_params
    return SpaceTraits(
        categorical=any(isinstance(p, Categorical) for p in params),
        conditional=any(p.condition is not None for p in params),
        numeric=all(isinstance(p, (IntRange, FloatRange)) for p in params),
    )


def _space_of(setting: Any) -> SearchSpace:
    return setting.objective.space


def _cmaes_missing() -> str | None:
    # Optuna's CmaEsSampler imports the `cmaes` package only when it first samples; say so before any run starts.
    if importlib.util.find_spec("cmaes") is None:
        return "Optuna's CmaEsSampler needs the package 'cmaes', which is not installed (pip install cmaes)"
    return None


def _torch_missing() -> str | None:
    if importlib.util.find_spec("torch") is None:
        return "Optuna's GPSampler needs PyTorch, which is not installed (pip install 'nas-complexity[torch]')"
    return None


class SearchStrategy(abc.ABC):
    """One search strategy of the comparison: an Optuna sampler (and, for wrappers, a hook on the study).

    Subclasses set ``name`` (the registry and CLI name), ``budget_aware`` and ``selector`` and implement
    :meth:`make_sampler`. Instances hold no state between runs, so one instance serves every run and pickles to
    worker processes.
    """

    name: ClassVar[str]
    budget_aware: ClassVar[bool] = False
    """Whether the behaviour depends on the total budget (then each budget is its own run)."""
    selector: ClassVar[bool] = False
    """Whether the strategy chooses among the fixed ones per setting (compared against SBS and VBS)."""

    def applies_to(self, setting: Any) -> bool:
        """Whether the strategy can search ``setting`` (default: every setting)."""
        return True

    def missing_dependency(self, setting: Any, n_trials: int) -> str | None:
        """Why the strategy cannot run here (an optional package is missing), or ``None`` when it can."""
        return None

    @abc.abstractmethod
    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        """The Optuna sampler of one run of ``n_trials`` trials on ``setting``, seeded with ``seed``."""

    def attach(self, study: "optuna.Study", setting: Any, n_trials: int, seed: int) -> list[Callback]:
        """Hook the strategy into ``study`` (created with :meth:`make_sampler`'s sampler); returns the callbacks to
        pass to ``study.optimize``. Default: nothing to attach."""
        return []

    def chosen(self, study: "optuna.Study") -> str:
        """What actually sampled the study (the sampler's class; selectors say what they chose)."""
        return type(study.sampler).__name__

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomStrategy(SearchStrategy):
    """Uniform random search (Optuna's ``RandomSampler``)."""

    name = "random"

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        import optuna

        return optuna.samplers.RandomSampler(seed=seed)


class TPEStrategy(SearchStrategy):
    """Optuna's ``TPESampler`` with its defaults (the design's measurements use Optuna's defaults)."""

    name = "tpe"

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        import optuna

        return optuna.samplers.TPESampler(seed=seed)


class GPStrategy(SearchStrategy):
    """Optuna's ``GPSampler`` with its defaults (costly on categorical spaces: seconds per trial)."""

    name = "gp"

    def missing_dependency(self, setting: Any, n_trials: int) -> str | None:
        return _torch_missing()

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        import optuna

        return optuna.samplers.GPSampler(seed=seed)


class DiscreteGPStrategy(SearchStrategy):
    """The project's :class:`~nas_complexity.integration.DiscreteGPSampler`, with its defaults or the given
    keyword arguments (then named after them, so that ``benchmarks/discrete_gp_tuning.py`` compares them side by
    side).

    Example:
        >>> DiscreteGPStrategy().name, DiscreteGPStrategy(n_parents=20).name
        ('discrete_gp', 'discrete_gp(n_parents=20)')
    """

    name = "discrete_gp"

    def __init__(self, **sampler_options: int) -> None:
        self.sampler_options = dict(sorted(sampler_options.items()))
        if self.sampler_options:
            self.name = f"discrete_gp({self._options()})"

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        from nas_complexity.integration import DiscreteGPSampler

        return DiscreteGPSampler(seed=seed, **self.sampler_options)

    def _options(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.sampler_options.items())

    def __repr__(self) -> str:
        return f"DiscreteGPStrategy({self._options()})"


class RegularizedEvolutionStrategy(SearchStrategy):
    """The project's :class:`~nas_complexity.integration.RegularizedEvolutionSampler`; by default population 20,
    tournament 5 (the design's measured setting, the fixed strategy of every comparison).

    Other settings are named after them (``regularized_evolution(population=10, tournament=5)``), so that
    ``benchmarks/evolution_tuning.py`` can compare them side by side.

    Example:
        >>> RegularizedEvolutionStrategy().name
        'regularized_evolution'
        >>> RegularizedEvolutionStrategy(population_size=10, sample_size=5).name
        'regularized_evolution(population=10, tournament=5)'
    """

    name = "regularized_evolution"
    DEFAULT_POPULATION: ClassVar[int] = 20
    DEFAULT_TOURNAMENT: ClassVar[int] = 5

    def __init__(self, population_size: int = DEFAULT_POPULATION, sample_size: int = DEFAULT_TOURNAMENT) -> None:
        if not 1 <= sample_size <= population_size:
            raise ValueError(f"sample_size={sample_size!r} must be between 1 and population_size={population_size!r}")
        self.population_size = population_size
        self.sample_size = sample_size
        if (population_size, sample_size) != (self.DEFAULT_POPULATION, self.DEFAULT_TOURNAMENT):
            self.name = f"regularized_evolution(population={population_size}, tournament={sample_size})"

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        from nas_complexity.integration import RegularizedEvolutionSampler

        return RegularizedEvolutionSampler(population_size=self.population_size, sample_size=self.sample_size,
                                           seed=seed)

    def __repr__(self) -> str:
        return f"RegularizedEvolutionStrategy(population_size={self.population_size}, sample_size={self.sample_size})"


class NSGA2Strategy(SearchStrategy):
    """Optuna's ``NSGAIISampler`` on the single objective: with its defaults (population 50, the fixed strategy of
    every comparison) or the given population (then named after it, so that ``benchmarks/nsga2_tuning.py`` can
    compare populations side by side).

    Example:
        >>> NSGA2Strategy().name, NSGA2Strategy(population_size=10).name
        ('nsga2', 'nsga2(population=10)')
    """

    name = "nsga2"

    def __init__(self, population_size: int | None = None) -> None:
        if population_size is not None and (isinstance(population_size, bool) or not isinstance(population_size, int)
                                            or population_size < 2):
            raise ValueError(f"population_size={population_size!r} is not accepted; accepted: None (Optuna's default) "
                             "or an integer >= 2")
        self.population_size = population_size
        if population_size is not None:
            self.name = f"nsga2(population={population_size})"

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        import optuna

        if self.population_size is None:
            return optuna.samplers.NSGAIISampler(seed=seed)
        return optuna.samplers.NSGAIISampler(population_size=self.population_size, seed=seed)

    def __repr__(self) -> str:
        return f"NSGA2Strategy(population_size={self.population_size!r})"


class CmaEsStrategy(SearchStrategy):
    """Optuna's ``CmaEsSampler`` with its defaults; only on spaces whose parameters are all numeric and
    unconditional (on others it would sample most parameters at random, which is not CMA-ES)."""

    name = "cma_es"

    def applies_to(self, setting: Any) -> bool:
        traits = space_traits(_space_of(setting))
        return traits.numeric and not traits.conditional

    def missing_dependency(self, setting: Any, n_trials: int) -> str | None:
        return _cmaes_missing()

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        import optuna

        return optuna.samplers.CmaEsSampler(seed=seed)


class AutoStrategy(SearchStrategy):
    """An AutoSampler-like rule: multivariate TPE for any categorical or conditional space; on all-numeric ones GP
    for budgets under :data:`AUTO_CMA_ES_FROM` (250) trials and CMA-ES from 250.

    The rule chooses by the run's total budget, as the issue states it. (OptunaHub's AutoSampler instead starts
    with GP and switches to CMA-ES once the study reaches 250 trials; for budgets under 250 both are the same.)
    """

    name = "auto"
    budget_aware = True
    selector = True

    def _numeric_choice(self, setting: Any) -> bool:
        traits = space_traits(_space_of(setting))
        return not (traits.categorical or traits.conditional)

    def missing_dependency(self, setting: Any, n_trials: int) -> str | None:
        if not self._numeric_choice(setting):
            return None
        return _torch_missing() if n_trials < AUTO_CMA_ES_FROM else _cmaes_missing()

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        import optuna

        if not self._numeric_choice(setting):
            # Optuna >= 5 TPE is always multivariate; the flag keeps Optuna 4 (allowed by setup.cfg) the same.
            return optuna.samplers.TPESampler(multivariate=True, seed=seed)
        if n_trials < AUTO_CMA_ES_FROM:
            return optuna.samplers.GPSampler(seed=seed)
        return optuna.samplers.CmaEsSampler(seed=seed)


_PROCESS_CACHE: list[Path] = []


def _process_cache_folder() -> Path:
    """A profile-cache folder private to this process, removed when it exits.

    Private so that runs of one process reuse the profile (each space is profiled once per process) while nothing
    leaks into the user's cache or is shared between processes racing to write it.
    """
    if not _PROCESS_CACHE:
        folder = Path(tempfile.mkdtemp(prefix="nas-complexity-harness-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _PROCESS_CACHE.append(folder)
    return _PROCESS_CACHE[0]


class AdvisorStrategy(SearchStrategy):
    """The project's advisor through the real Optuna hook: :class:`~nas_complexity.integration.ComplexityAdvisor`
    attached to the study, profiling ``setting.objective.space`` before the first trial.

    Args:
        profile_timeout: seconds the hook's profile and decision may take (``None``: the advisor's default); past
            it the study goes on with the fallback sampler (random search), which the run's ``chosen`` field shows.
        cache: profile cache of the advisor: ``None`` (default) a temporary folder private to each worker process
            (each space profiled once per process), ``False`` profile in every run, or a folder.
        seconds_per_trial: passed to the advisor (``None``: unknown, as for a real study whose cost is not given).
        performance: passed to the advisor (``None``: the advisor's default): also score the space's networks with
            the zero-cost proxy, which gives the warm start its architectures.
        performance_options: passed to the advisor (options of the proxy scoring, e.g. ``{"max_archs": 256}``).
        rules: the advisor's decision rules (``None``: the shipped ones); e.g. rules fitted without the settings
            being compared, for leave-one-space-out validation.
        name: the strategy's name in the comparison (default ``advisor``).

    The profile (and decision) run inside the study's first trial, so they count in that trial's sampler time.
    """

    name = "advisor"
    budget_aware = True
    selector = True

    def __init__(self, profile_timeout: float | None = None, cache: bool | str | Path | None = None,
                 seconds_per_trial: float | None = None, performance: bool | None = None,
                 performance_options: dict[str, Any] | None = None, rules: Sequence[Any] | None = None,
                 name: str = "advisor") -> None:
        self.profile_timeout = profile_timeout
        self.cache = cache
        self.seconds_per_trial = seconds_per_trial
        self.performance = performance
        self.performance_options = performance_options
        self.rules = None if rules is None else tuple(rules)
        self.name = name  # type: ignore[misc]  # an instance may be named apart from the class's default

    def make_sampler(self, setting: Any, n_trials: int, seed: int) -> "optuna.samplers.BaseSampler":
        import optuna

        # The sampler the advisor wraps: used only when the profile fails or times out (the hook's fallback).
        return optuna.samplers.RandomSampler(seed=seed)

    def attach(self, study: "optuna.Study", setting: Any, n_trials: int, seed: int) -> list[Callback]:
        from nas_complexity.integration import ComplexityAdvisor

        cache = _process_cache_folder() if self.cache is None else self.cache
        options: dict[str, Any] = {} if self.performance is None else {"performance": self.performance}
        if self.performance_options is not None:
            options["performance_options"] = self.performance_options
        advisor = ComplexityAdvisor(_space_of(setting), n_trials=n_trials, seed=seed, cache=cache,
                                    profile_timeout=self.profile_timeout, seconds_per_trial=self.seconds_per_trial,
                                    rules=self.rules, **options)
        advisor.attach(study)
        return [advisor]

    def chosen(self, study: "optuna.Study") -> str:
        from nas_complexity.integration import STRATEGY_KEY

        for trial in reversed(study.trials):
            if STRATEGY_KEY in trial.user_attrs:
                return str(trial.user_attrs[STRATEGY_KEY])
        return super().chosen(study)

    def __repr__(self) -> str:
        return (f"AdvisorStrategy(profile_timeout={self.profile_timeout!r}, cache={self.cache!r}, "
                f"seconds_per_trial={self.seconds_per_trial!r}, performance={self.performance!r}, "
                f"rules={'shipped' if self.rules is None else f'{len(self.rules)} given'}, name={self.name!r})")


STRATEGIES: dict[str, SearchStrategy] = {
    s.name: s
    for s in (
        RandomStrategy(),
        TPEStrategy(),
        GPStrategy(),
        DiscreteGPStrategy(),
        RegularizedEvolutionStrategy(),
        NSGA2Strategy(),
        CmaEsStrategy(),
        AutoStrategy(),
        AdvisorStrategy(),
    )
}
"""Every strategy by its CLI name (the one name -> object lookup; strategies themselves never switch on names)."""
