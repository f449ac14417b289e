"""The NNI NAS form of a neutral strategy: the ``nni.nas.strategy`` class and its keyword arguments.

The table and :func:`nni_strategy_for` are plain data; NNI is imported only by :func:`build_nni_strategy`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from nas_complexity._imports import require
from nas_complexity.strategies._algorithms import FrameworkForm, Strategy, construct, form_for
from nas_complexity.strategies._decision import recorded_form

if TYPE_CHECKING:
    from nas_complexity.strategies import Decision

__all__ = ["NNI_STRATEGIES", "NNI_STRATEGY_FORMS", "build_nni_strategy", "nni_strategy_for"]

_EVOLUTION = FrameworkForm.same("RegularizedEvolution", "population_size", "sample_size")

NNI_STRATEGY_FORMS: dict[str, FrameworkForm] = {
    "random": FrameworkForm("Random"),
    "tpe": FrameworkForm("TPE"),
    # NNI's NAS strategies have no Gaussian process: TPE is its model-based one.
    "gp": FrameworkForm("TPE"),
    "discrete_gp": FrameworkForm("TPE"),
    # Nor CMA-ES or NSGA-II: regularized evolution is its evolutionary one.
    "cma_es": _EVOLUTION,
    "nsga2": _EVOLUTION,
    "regularized_evolution": _EVOLUTION,
}
"""Neutral algorithm -> ``nni.nas.strategy`` class name and the neutral hyperparameters it takes, by keyword."""

NNI_STRATEGIES: tuple[str, ...] = tuple(dict.fromkeys(form.name for form in NNI_STRATEGY_FORMS.values()))
"""NAS strategy names a decision may name (``Decision.nni_strategy``)."""


def nni_strategy_for(strategy: Strategy) -> tuple[str, dict[str, Any]]:
    """The NNI NAS strategy class name and keyword arguments (without ``seed``) for a neutral strategy.

    Example:
        >>> nni_strategy_for(Strategy("evolutionary", "regularized_evolution", {"population_size": 20, "sample_size": 5}))
        ('RegularizedEvolution', {'population_size': 20, 'sample_size': 5})
    """
    form = form_for(NNI_STRATEGY_FORMS, strategy.algorithm)
    return form.name, form.kwargs(strategy.hyperparameters)


def build_nni_strategy(decision: "Decision | Mapping[str, Any]", seed: int | None = None) -> Any:
    """The ``nni.nas.strategy`` object a decision names, with the decision's tuned parameters.

    Args:
        decision: a :class:`~nas_complexity.strategies.Decision` (or its ``to_dict()``); ``nni_strategy`` is one of
            :data:`NNI_STRATEGIES` and ``params["nni_strategy"]`` holds its keyword arguments.
        seed: seed of the strategy's random number generator (``None``: NNI's default).

    Raises:
        ValueError: the strategy name is unknown, or the strategy does not accept one of the parameters.

    Example:
        >>> from nas_complexity import profile
        >>> from nas_complexity.strategies import Budget, decide
        >>> strategy = build_nni_strategy(decide(profile("nb201", performance=False), Budget(n_trials=300)), seed=0)
        >>> type(strategy).__name__, strategy.population_size, strategy.sample_size
        ('RegularizedEvolution', 10, 10)
    """
    name, kwargs = recorded_form(decision, "nni_strategy", "nni_strategy")
    if name not in NNI_STRATEGIES:
        raise ValueError(f"unknown NNI NAS strategy {name!r} in the decision; accepted: {', '.join(NNI_STRATEGIES)}")
    cls = getattr(require("nni.nas.strategy", f"building the NNI NAS strategy {name}"), name)
    return construct(cls, name, kwargs, seed=seed)
