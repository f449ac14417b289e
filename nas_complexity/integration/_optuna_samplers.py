"""The Optuna form of a neutral strategy: the sampler class and its keyword arguments, and building the sampler.

The table and :func:`optuna_sampler_for` are plain data: this module imports Optuna only when a sampler is built.
"""
from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable, Mapping

from nas_complexity._imports import require
from nas_complexity.strategies._algorithms import FrameworkForm, Strategy, algorithm_for, construct, form_for
from nas_complexity.strategies._decision import recorded_form

if TYPE_CHECKING:  # optuna is optional: imported only where a sampler is built
    import optuna

    from nas_complexity.strategies import Decision

__all__ = ["OPTUNA_FORMS", "OPTUNA_SAMPLERS", "algorithm_of_optuna_sampler", "build_optuna_sampler", "optuna_sampler_for"]

OPTUNA_FORMS: dict[str, FrameworkForm] = {
    "random": FrameworkForm("RandomSampler"),
    "tpe": FrameworkForm.same("TPESampler", "n_startup_trials", "multivariate", "group", "constant_liar"),
    "gp": FrameworkForm.same("GPSampler", "n_startup_trials"),
    "discrete_gp": FrameworkForm.same("DiscreteGPSampler", "n_startup_trials"),
    "cma_es": FrameworkForm("CmaEsSampler", {"n_startup_trials": "n_startup_trials", "population_size": "popsize"}),
    # NSGA-II's tournament is binary in Optuna: the neutral sample_size has no keyword there.
    "nsga2": FrameworkForm.same("NSGAIISampler", "population_size"),
    "regularized_evolution": FrameworkForm(
        "RegularizedEvolutionSampler",
        {"population_size": "population_size", "sample_size": "sample_size", "n_startup_trials": "n_startup_trials",
         "startup_algorithm": "startup_sampler", "mutation_candidates": "mutation_candidates"},
    ),
}
"""Neutral algorithm -> Optuna sampler class name and the neutral hyperparameters it takes, by keyword."""

OPTUNA_SAMPLERS: tuple[str, ...] = tuple(form.name for form in OPTUNA_FORMS.values())
"""Sampler class names a decision may name (``Decision.optuna_sampler``)."""


def optuna_sampler_for(strategy: Strategy) -> tuple[str, dict[str, Any]]:
    """The Optuna sampler class name and keyword arguments (without ``seed``) for a neutral strategy.

    Example:
        >>> optuna_sampler_for(Strategy("evolutionary", "nsga2", {"population_size": 20, "sample_size": 5}))
        ('NSGAIISampler', {'population_size': 20})
        >>> optuna_sampler_for(Strategy("evolutionary", "regularized_evolution",
        ...                             {"population_size": 20, "n_startup_trials": 50, "startup_algorithm": "tpe"}))
        ('RegularizedEvolutionSampler', {'population_size': 20, 'n_startup_trials': 50, 'startup_sampler': 'TPESampler'})
    """
    form = form_for(OPTUNA_FORMS, strategy.algorithm)
    kwargs = form.kwargs(strategy.hyperparameters)
    if "startup_sampler" in kwargs:  # a neutral algorithm name: recorded as the sampler class that stands for it
        kwargs["startup_sampler"] = form_for(OPTUNA_FORMS, str(kwargs["startup_sampler"])).name
    return form.name, kwargs


def algorithm_of_optuna_sampler(name: str) -> str:
    """The neutral algorithm an Optuna sampler class stands for (an unknown name is returned as is).

    Example:
        >>> algorithm_of_optuna_sampler("RegularizedEvolutionSampler")
        'regularized_evolution'
    """
    return algorithm_for(OPTUNA_FORMS, name)


def _sampler_class(name: str) -> type:
    if name not in OPTUNA_SAMPLERS:
        raise ValueError(f"unknown Optuna sampler {name!r} in the decision; accepted: {', '.join(OPTUNA_SAMPLERS)}")
    optuna = require("optuna", f"building the Optuna sampler {name}")
    if name == "RegularizedEvolutionSampler":
        # Optuna has no single-objective regularized evolution; the project ships its own sampler.
        from nas_complexity.integration._optuna_evolution import RegularizedEvolutionSampler

        return RegularizedEvolutionSampler
    if name == "DiscreteGPSampler":
        # Nor a Gaussian process built for finite grids (GPSampler's cost grows to seconds per trial on them).
        from nas_complexity.integration._optuna_discrete_gp import DiscreteGPSampler

        return DiscreteGPSampler
    return getattr(optuna.samplers, name)


def build_optuna_sampler(decision: "Decision | Mapping[str, Any]", seed: int | None = None,
                         feasible: Callable[[dict[str, Any]], bool] | None = None) -> "optuna.samplers.BaseSampler":
    """The Optuna sampler a decision names, constructed with the decision's tuned parameters.

    Args:
        decision: a :class:`~nas_complexity.strategies.Decision` (or its ``to_dict()``); its ``optuna_sampler``
            must be one of :data:`OPTUNA_SAMPLERS` and ``params["optuna"]`` holds the keyword arguments.
        seed: seed of the sampler's random number generator (``None``: fresh entropy). Give each worker of a
            distributed study its own seed (or ``None``) so that they do not propose the same points.
        feasible: a check of the points the space allows (its declared constraints), given to a sampler that
            takes one (:class:`~nas_complexity.integration.DiscreteGPSampler`); the others ignore it.

    Raises:
        ValueError: the sampler name is unknown, or the sampler does not accept one of the parameters.

    Example:
        >>> from nas_complexity import profile
        >>> from nas_complexity.strategies import Budget, decide
        >>> decision = decide(profile("nb201", performance=False), Budget(n_trials=60, seconds_per_trial=1.0))
        >>> sampler = build_optuna_sampler(decision, seed=0)
        >>> type(sampler).__name__, decision.params["optuna"]
        ('DiscreteGPSampler', {'n_startup_trials': 10})
    """
    # The recorded Optuna form is what is built: a decision read back from a study builds exactly what it stored.
    name, kwargs = recorded_form(decision, "optuna_sampler", "optuna")
    kwargs = dict(kwargs)
    if "mutation_candidates" in kwargs:  # the guiding effects are stored beside the parameters (a long table)
        effects = (decision.get("mutation_effects") if isinstance(decision, Mapping)
                   else getattr(decision, "mutation_effects", None))
        kwargs["mutation_effects"] = dict(effects or {})
    if isinstance(kwargs.get("startup_sampler"), str):  # a schedule: the sampler of the first trials, by class name
        startup = kwargs["startup_sampler"]
        kwargs["startup_sampler"] = construct(_sampler_class(startup), startup, {}, seed=seed)
    cls = _sampler_class(str(name))
    extra: dict[str, Any] = {"seed": seed}
    if feasible is not None and "feasible" in inspect.signature(cls).parameters:
        extra["feasible"] = feasible
    return construct(cls, str(name), kwargs, **extra)
