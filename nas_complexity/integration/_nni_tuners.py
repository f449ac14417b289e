"""The NNI HPO form of a neutral strategy: the built-in tuner's name and its ``class_args``.

Plain data: nothing here imports NNI. The result goes into an experiment's configuration::

    experiment.config.tuner.name = config["name"]
    experiment.config.tuner.class_args = config["class_args"]

:func:`nas_complexity.integration.advise_nni_experiment` does that for an ``nni.experiment.Experiment``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from nas_complexity.strategies._algorithms import FrameworkForm, Strategy, form_for
from nas_complexity.strategies._decision import recorded_form

if TYPE_CHECKING:
    from nas_complexity.strategies import Decision

__all__ = ["NNI_SEEDED_TUNERS", "NNI_TUNERS", "NNI_TUNER_FORMS", "nni_tuner_config", "nni_tuner_for", "nni_tuner_notes"]

# NNI's tuners minimise or maximise by ``optimize_mode``. The table marks the tuners that take it; the value is the
# strategy's direction, written by nni_tuner_for (maximize, accuracy as in NNI's own examples, is the default).
_DIRECTED = {"optimize_mode": "maximize"}

NNI_TUNER_FORMS: dict[str, FrameworkForm] = {
    "random": FrameworkForm("Random"),
    "tpe": FrameworkForm.same("TPE", **_DIRECTED),
    "gp": FrameworkForm.same("GPTuner", **_DIRECTED),
    # NNI has no Gaussian process over discrete values (its GPTuner refuses choices): TPE is its model-based tuner.
    "discrete_gp": FrameworkForm.same("TPE", **_DIRECTED),
    # NNI's HPO tuners have no CMA-ES, NSGA-II or regularized evolution: its evolution tuner stands in for them.
    "cma_es": FrameworkForm.same("Evolution", "population_size", **_DIRECTED),
    "nsga2": FrameworkForm.same("Evolution", "population_size", **_DIRECTED),
    "regularized_evolution": FrameworkForm.same("Evolution", "population_size", **_DIRECTED),
}
"""Neutral algorithm -> NNI built-in tuner name, the neutral hyperparameters it takes and its fixed ``class_args``."""

NNI_TUNERS: tuple[str, ...] = tuple(dict.fromkeys(form.name for form in NNI_TUNER_FORMS.values()))
"""Tuner names a decision may name (``Decision.nni_tuner``)."""

NNI_SEEDED_TUNERS: frozenset[str] = frozenset({"Random", "TPE"})
"""Tuners whose NNI class takes a ``seed`` (NNI 3.0's RandomTuner and TpeTuner; GPTuner and EvolutionTuner draw from
NumPy's global generator and refuse the argument)."""


def nni_tuner_for(strategy: Strategy) -> tuple[str, dict[str, Any]]:
    """The NNI tuner name and ``class_args`` for a neutral strategy; ``optimize_mode`` is the strategy's direction.

    Example:
        >>> nni_tuner_for(Strategy("evolutionary", "regularized_evolution", {"population_size": 20, "sample_size": 5}))
        ('Evolution', {'optimize_mode': 'maximize', 'population_size': 20})
        >>> nni_tuner_for(Strategy("bayesian", "tpe", {"n_startup_trials": 12}, direction="minimize"))
        ('TPE', {'optimize_mode': 'minimize'})
        >>> nni_tuner_for(Strategy("bayesian", "gp", numeric_only=True)), nni_tuner_for(Strategy("bayesian", "gp"))
        (('GPTuner', {'optimize_mode': 'maximize'}), ('TPE', {'optimize_mode': 'maximize'}))
    """
    algorithm = strategy.algorithm
    if algorithm == "gp" and not strategy.numeric_only:
        algorithm = "tpe"  # NNI's GPTuner refuses choice parameters ("GP Tuner supports only numerical values")
    form = form_for(NNI_TUNER_FORMS, algorithm)
    kwargs = form.kwargs(strategy.hyperparameters)
    if "optimize_mode" in kwargs:
        kwargs["optimize_mode"] = strategy.direction
    return form.name, kwargs


def nni_tuner_notes(strategy: Strategy) -> list[str]:
    """What an NNI user must know about running ``strategy``.

    Example:
        >>> nni_tuner_notes(Strategy("evolutionary", "nsga2", {}, n_objectives=2))
        ['NNI tuners optimise one metric: report a scalarised objective to NNI']
    """
    notes = []
    if strategy.n_objectives > 1:
        notes.append("NNI tuners optimise one metric: report a scalarised objective to NNI")
    if strategy.algorithm == "gp" and not strategy.numeric_only:
        notes.append("NNI's GPTuner takes numeric parameters only: NNI runs TPE for this space")
    if strategy.algorithm == "discrete_gp":
        notes.append("NNI has no Gaussian process over discrete values: NNI runs TPE (Optuna runs DiscreteGPSampler)")
    return notes


def nni_tuner_config(decision: "Decision | Mapping[str, Any]", seed: int | None = None) -> dict[str, Any]:
    """The tuner section of an NNI experiment for a decision: ``{"name": ..., "class_args": {...}}``.

    ``seed`` goes into ``class_args`` of the tuners that take one (:data:`NNI_SEEDED_TUNERS`) and is left out for
    the others, whose NNI class would refuse it.

    Example:
        >>> from nas_complexity import profile
        >>> from nas_complexity.strategies import Budget, decide
        >>> nni_tuner_config(decide(profile("nb201", performance=False), Budget(n_trials=300)))
        {'name': 'Evolution', 'class_args': {'optimize_mode': 'maximize', 'population_size': 10}}
        >>> nni_tuner_config(decide(profile("nb201", performance=False), Budget(n_trials=300, direction="minimize")))
        {'name': 'Evolution', 'class_args': {'optimize_mode': 'minimize', 'population_size': 10}}
        >>> nni_tuner_config({"nni_tuner": "TPE", "params": {"nni_tuner": {"optimize_mode": "maximize"}}}, seed=3)
        {'name': 'TPE', 'class_args': {'optimize_mode': 'maximize', 'seed': 3}}
    """
    name, class_args = recorded_form(decision, "nni_tuner", "nni_tuner")
    if seed is not None and name in NNI_SEEDED_TUNERS:
        class_args["seed"] = seed
    return {"name": name, "class_args": class_args}
