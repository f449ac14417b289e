"""The decision's own vocabulary: search algorithms, what each can be tuned on, and the framework-neutral strategy.

Nothing here depends on Optuna or NNI, and no rule or tuning step names their classes. The concrete forms of a
:class:`Strategy` (an Optuna sampler, an NNI HPO tuner, an NNI NAS strategy) are made by the integration layer,
looked up on first use by :func:`framework_fields`; its mapping modules are plain data and import no framework.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "FrameworkForm",
    "FrameworkMapping",
    "Strategy",
    "algorithm_for",
    "algorithm_info",
    "construct",
    "form_for",
    "framework_fields",
]


@dataclass(frozen=True)
class Algorithm:
    """A search algorithm and the neutral hyperparameters the policy may tune for it.

    Each flag is a capability, and the policy tunes by capability (never by name):

    * ``startup_trials``: model-based, begins with random trials (``n_startup_trials``);
    * ``joint_model``: its model can treat parameters jointly (``multivariate``; ``group`` for conditional ones);
    * ``parallel_liar``: can impute trials still running so that parallel workers differ (``constant_liar``);
    * ``population``: evolves a population (``population_size``);
    * ``tournament``: picks parents by tournament (``sample_size``, the tournament size);
    * ``model_start``: can hand its first ``n_startup_trials`` to a model-based ``startup_algorithm`` and evolve
      from what that found (a budget-aware schedule);
    * ``aging``: its population ages out oldest-first (regularized evolution), the kind of evolution whose
      population and tournament were measured on the benchmark tables;
    * ``guided_mutation``: its mutation can keep the best of several candidate values by a proxy's main effects
      (``mutation_candidates``, with the decision's ``mutation_effects``);
    * ``optuna_only``: only this library's Optuna sampler runs it: a decision takes NNI's forms from the next rule
      that fires with an algorithm NNI has (a fitted policy puts the evidence's best such one there).

    Example:
        >>> algorithm_info("tpe").startup_trials, algorithm_info("random").startup_trials
        (True, False)
    """

    name: str
    startup_trials: bool = False
    joint_model: bool = False
    parallel_liar: bool = False
    population: bool = False
    tournament: bool = False
    model_start: bool = False
    aging: bool = False
    guided_mutation: bool = False
    optuna_only: bool = False


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm("random"),
        Algorithm("tpe", startup_trials=True, joint_model=True, parallel_liar=True),
        Algorithm("gp", startup_trials=True),
        # A Gaussian process over the grid positions and choices of a discrete space (the project's own sampler).
        Algorithm("discrete_gp", startup_trials=True, optuna_only=True),
        Algorithm("cma_es"),
        # NSGA-II selects parents by tournament too; frameworks that fix its size (binary) drop ``sample_size``,
        # and those without NSGA-II run regularized evolution with it.
        Algorithm("nsga2", population=True, tournament=True),
        Algorithm("regularized_evolution", population=True, tournament=True, model_start=True, aging=True,
                  guided_mutation=True),
    )
}
"""The algorithms rules may name, by neutral name."""


def algorithm_info(name: str) -> Algorithm:
    """The algorithm called ``name``; one this library does not know has no capabilities (nothing is tuned).

    Example:
        >>> algorithm_info("regularized_evolution").population
        True
        >>> algorithm_info("qmc")
        Algorithm(name='qmc', startup_trials=False, joint_model=False, parallel_liar=False, population=False, tournament=False, model_start=False, aging=False, guided_mutation=False, optuna_only=False)
    """
    return ALGORITHMS.get(name) or Algorithm(name)


@dataclass(frozen=True)
class Strategy:
    """The framework-neutral choice: a family, an algorithm and its neutral hyperparameters, for a search of
    ``n_objectives`` objectives in ``direction`` (``"maximize"`` or ``"minimize"``, the single objective's).

    Example:
        >>> Strategy("evolutionary", "regularized_evolution", {"population_size": 20, "sample_size": 5}).algorithm
        'regularized_evolution'
        >>> Strategy("bayesian", "tpe", direction="minimize").direction
        'minimize'
    """

    family: str
    algorithm: str
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    n_objectives: int = 1
    direction: str = "maximize"
    numeric_only: bool = False
    """Whether every parameter of the space is numeric (some frameworks' objects take nothing else)."""


@dataclass(frozen=True)
class FrameworkForm:
    """One framework object standing for an algorithm: its name, the keyword each neutral hyperparameter it takes
    is passed under, and fixed keyword arguments. The integration layer's mappings are tables of these.

    Example:
        >>> form = FrameworkForm("Evolution", {"population_size": "population_size"}, {"optimize_mode": "maximize"})
        >>> form.kwargs({"population_size": 20, "sample_size": 5})
        {'optimize_mode': 'maximize', 'population_size': 20}
        >>> form.neutral({"optimize_mode": "maximize", "population_size": 20})
        {'population_size': 20}
    """

    name: str
    keywords: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def same(cls, name: str, *hyperparameters: str, **fixed: Any) -> "FrameworkForm":
        """A form whose keyword arguments carry the neutral names unchanged."""
        return cls(name, {h: h for h in hyperparameters}, fixed)

    def kwargs(self, hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments for ``hyperparameters``; those this object does not take are left out."""
        return {**self.fixed, **{kw: hyperparameters[h] for h, kw in self.keywords.items() if h in hyperparameters}}

    def neutral(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The neutral hyperparameters behind ``kwargs`` (the inverse of :meth:`kwargs`, fixed ones dropped)."""
        names = {kw: h for h, kw in self.keywords.items()}
        return {names.get(k, k): v for k, v in kwargs.items() if k not in self.fixed}


def form_for(forms: Mapping[str, FrameworkForm], algorithm: str) -> FrameworkForm:
    """The form of ``algorithm`` in a framework's table; an algorithm it does not know keeps its own name (building it
    then fails with the framework's list of accepted names) and takes no hyperparameters.

    Example:
        >>> form_for({"tpe": FrameworkForm("TPE")}, "qmc")
        FrameworkForm(name='qmc', keywords={}, fixed={})
    """
    return forms.get(algorithm) or FrameworkForm(algorithm)


def algorithm_for(forms: Mapping[str, FrameworkForm], name: str) -> str:
    """The algorithm a framework object stands for (the inverse of :func:`form_for`; first match in the table).

    Example:
        >>> algorithm_for({"tpe": FrameworkForm("TPESampler")}, "TPESampler"), algorithm_for({}, "QMCSampler")
        ('tpe', 'QMCSampler')
    """
    return next((algorithm for algorithm, form in forms.items() if form.name == name), name)


def construct(cls: type, name: str, kwargs: Mapping[str, Any], **extra: Any) -> Any:
    """``cls(**extra, **kwargs)``, refusing first, by name, keyword arguments ``cls`` does not take.

    Example:
        >>> class Tuner:
        ...     def __init__(self, population_size=10, seed=None):
        ...         self.population_size = population_size
        >>> construct(Tuner, "Tuner", {"population_size": 3}, seed=0).population_size
        3
        >>> construct(Tuner, "Tuner", {"sample_size": 3})
        Traceback (most recent call last):
        ...
        ValueError: Tuner does not accept the decision's parameters ['sample_size']; accepted: population_size, seed
    """
    accepted = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise ValueError(
                f"{name} does not accept the decision's parameters {unknown}; accepted: {', '.join(sorted(accepted))}"
            )
    return cls(**extra, **kwargs)


class FrameworkMapping(Protocol):
    """What :func:`framework_fields` calls: a strategy -> the framework fields of a decision.

    The result has ``optuna_sampler``, ``nni_tuner`` and ``nni_strategy`` (names), ``params`` (their keyword
    arguments under ``optuna``, ``nni_tuner`` and ``nni_strategy``) and ``notes`` (what a framework user must know).
    """

    def __call__(self, strategy: Strategy) -> dict[str, Any]: ...


# The integration layer sits above this one: it is imported when a decision is made, not with this package.
_MAPPING = ("nas_complexity.integration", "framework_fields")


def framework_fields(strategy: Strategy) -> dict[str, Any]:
    """The concrete Optuna and NNI forms of ``strategy``, from the integration layer's mappings.

    Example:
        >>> framework_fields(Strategy("bayesian", "gp", {"n_startup_trials": 12}))["optuna_sampler"]
        'GPSampler'
    """
    mapping: FrameworkMapping = getattr(importlib.import_module(_MAPPING[0]), _MAPPING[1])
    return mapping(strategy)
