"""The NNI HPO form of a neutral strategy: the built-in tuner's name and its ``class_args``.

Plain data: nothing here imports NNI. The result goes into an experiment's configuration::

    experiment.config.tuner.name = config["name"]
    experiment.config.tuner.class_args = config["class_args"]
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from nas_complexity.strategies._algorithms import FrameworkForm, Strategy, form_for
from nas_complexity.strategies._decision import recorded_form

if TYPE_CHECKING:
    from nas_complexity.strategies import Decision

__all__ = ["NNI_TUNER_FORMS", "NNI_TUNERS", "nni_tuner_config", "nni_tuner_for", "nni_tuner_notes"]

# NNI's tuners minimise or maximise by ``optimize_mode``; the decision's convention is a metric to maximise
# (accuracy), as NNI's own examples report.
_MAXIMIZE = {"optimize_mode": "maximize"}

NNI_TUNER_FORMS: dict[str, FrameworkForm] = {
    "random": FrameworkForm("Random"),
    "tpe": FrameworkForm.same("TPE", **_MAXIMIZE),
    "gp": FrameworkForm.same("GPTuner", **_MAXIMIZE),
    # NNI's HPO tuners have no CMA-ES, NSGA-II or regularized evolution: its evolution tuner stands in for them.
    "cma_es": FrameworkForm.same("Evolution", "population_size", **_MAXIMIZE),
    "nsga2": FrameworkForm.same("Evolution", "population_size", **_MAXIMIZE),
    "regularized_evolution": FrameworkForm.same("Evolution", "population_size", **_MAXIMIZE),
}
"""Neutral algorithm -> NNI built-in tuner name, the neutral hyperparameters it takes and its fixed ``class_args``."""

NNI_TUNERS: tuple[str, ...] = tuple(dict.fromkeys(form.name for form in NNI_TUNER_FORMS.values()))
"""Tuner names a decision may name (``Decision.nni_tuner``)."""


def nni_tuner_for(strategy: Strategy) -> tuple[str, dict[str, Any]]:
    """The NNI tuner name and ``class_args`` for a neutral strategy.

    Example:
        >>> nni_tuner_for(Strategy("evolutionary", "regularized_evolution", {"population_size": 20, "sample_size": 5}))
        ('Evolution', {'optimize_mode': 'maximize', 'population_size': 20})
    """
    form = form_for(NNI_TUNER_FORMS, strategy.algorithm)
    return form.name, form.kwargs(strategy.hyperparameters)


def nni_tuner_notes(strategy: Strategy) -> list[str]:
    """What an NNI user must know about running ``strategy``.

    Example:
        >>> nni_tuner_notes(Strategy("evolutionary", "nsga2", {}, n_objectives=2))
        ['NNI tuners optimise one metric: report a scalarised objective to NNI']
    """
    if strategy.n_objectives > 1:
        return ["NNI tuners optimise one metric: report a scalarised objective to NNI"]
    return []


def nni_tuner_config(decision: "Decision | Mapping[str, Any]") -> dict[str, Any]:
    """The tuner section of an NNI experiment for a decision: ``{"name": ..., "class_args": {...}}``.

    Example:
        >>> from nas_complexity import profile
        >>> from nas_complexity.strategies import Budget, decide
        >>> nni_tuner_config(decide(profile("nb201", performance=False), Budget(n_trials=300)))
        {'name': 'Evolution', 'class_args': {'optimize_mode': 'maximize', 'population_size': 20}}
    """
    name, class_args = recorded_form(decision, "nni_tuner", "nni_tuner")
    return {"name": name, "class_args": class_args}
