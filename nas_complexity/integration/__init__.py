"""Install the chosen strategy where the search runs: Optuna samplers, NNI tuners and NAS strategies, the Optuna hook.

Names are imported on first use, so ``import nas_complexity.integration`` does not import Optuna.

Example:
    >>> import optuna
    >>> from nas_complexity.integration import ComplexityAdvisor
    >>> study = optuna.create_study(direction="maximize")
    >>> advisor = ComplexityAdvisor("nb201", n_trials=200)
    >>> study = advisor.attach(study)   # then: study.optimize(objective, n_trials=200, callbacks=[advisor])
    >>> type(study.sampler).__name__
    'AdvisedSampler'

NNI HPO experiments get the same through :func:`advise_nni_experiment` (called on an ``nni.experiment.Experiment``
before ``run()``; it sets ``config.tuner`` and writes the decision into the experiment's folder) or, on plain data
such as a config file's search space, :func:`advise_nni_tuner`:

    >>> from nas_complexity.integration import advise_nni_tuner
    >>> space = {"lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]}}
    >>> advise_nni_tuner(space, n_trials=30, direction="minimize", cache=False).tuner["class_args"]["optimize_mode"]
    'minimize'

A decision is framework-neutral (family, algorithm, hyperparameters); this package maps it to each framework's
object, one module per object: the Optuna sampler (``_optuna_samplers``, the project's regularized evolution in
``_optuna_evolution``), the NNI HPO tuner (``_nni_tuners``) and the NNI NAS strategy (``_nni_strategies``). The
mappings are plain data and import no framework; building an object imports its framework.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from nas_complexity.strategies import Strategy

__all__ = [
    "AdvisedSampler",
    "ComplexityAdvisor",
    "DECISION_KEY",
    "DEFAULT_NAS_PERFORMANCE_OPTIONS",
    "DiscreteGPSampler",
    "EVOLUTION_MUTATED_KEY",
    "EVOLUTION_PARENT_KEY",
    "NNI_DECISION_FILE",
    "NNI_STRATEGIES",
    "NNI_TUNERS",
    "NniAdvice",
    "NniConfigError",
    "NniNasAdvice",
    "OPTUNA_SAMPLERS",
    "PROFILE_KEY",
    "REDECISION_KEY",
    "RegularizedEvolutionSampler",
    "STATUS_KEY",
    "STRATEGY_KEY",
    "advise_nni_experiment",
    "advise_nni_nas_experiment",
    "advise_nni_nas_strategy",
    "advise_nni_tuner",
    "build_nni_strategy",
    "build_optuna_sampler",
    "framework_fields",
    "neutral_fields",
    "nni_strategy_for",
    "nni_tuner_config",
    "nni_tuner_for",
    "optuna_sampler_for",
]

_HOME = {
    "AdvisedSampler": "_optuna_advised_sampler",
    "ComplexityAdvisor": "_optuna_advisor",
    "DECISION_KEY": "_optuna_storage",
    "DEFAULT_NAS_PERFORMANCE_OPTIONS": "_nni_nas_experiment",
    "DiscreteGPSampler": "_optuna_discrete_gp",
    "EVOLUTION_MUTATED_KEY": "_optuna_evolution",
    "EVOLUTION_PARENT_KEY": "_optuna_evolution",
    "NNI_DECISION_FILE": "_nni_experiment",
    "NNI_STRATEGIES": "_nni_strategies",
    "NNI_TUNERS": "_nni_tuners",
    "NniAdvice": "_nni_experiment",
    "NniConfigError": "_nni_experiment",
    "NniNasAdvice": "_nni_nas_experiment",
    "OPTUNA_SAMPLERS": "_optuna_samplers",
    "PROFILE_KEY": "_optuna_storage",
    "REDECISION_KEY": "_optuna_storage",
    "RegularizedEvolutionSampler": "_optuna_evolution",
    "STATUS_KEY": "_optuna_storage",
    "STRATEGY_KEY": "_optuna_storage",
    "advise_nni_experiment": "_nni_experiment",
    "advise_nni_nas_experiment": "_nni_nas_experiment",
    "advise_nni_nas_strategy": "_nni_nas_experiment",
    "advise_nni_tuner": "_nni_experiment",
    "build_nni_strategy": "_nni_strategies",
    "build_optuna_sampler": "_optuna_samplers",
    "nni_strategy_for": "_nni_strategies",
    "nni_tuner_config": "_nni_tuners",
    "nni_tuner_for": "_nni_tuners",
    "optuna_sampler_for": "_optuna_samplers",
}


def framework_fields(strategy: Strategy) -> dict[str, Any]:
    """A decision's framework fields for a neutral strategy: what :func:`nas_complexity.strategies.decide` records.

    Returns ``optuna_sampler``, ``nni_tuner``, ``nni_strategy``, ``params`` (their keyword arguments under
    ``optuna``, ``nni_tuner`` and ``nni_strategy``) and ``notes``. Imports no framework.

    Example:
        >>> from nas_complexity.strategies import Strategy
        >>> fields = framework_fields(Strategy("bayesian", "tpe", {"n_startup_trials": 12, "multivariate": True}))
        >>> fields["optuna_sampler"], fields["nni_tuner"], fields["nni_strategy"], fields["params"]["optuna"]
        ('TPESampler', 'TPE', 'TPE', {'n_startup_trials': 12, 'multivariate': True})
    """
    from nas_complexity.integration._nni_strategies import nni_strategy_for
    from nas_complexity.integration._nni_tuners import nni_tuner_for, nni_tuner_notes
    from nas_complexity.integration._optuna_samplers import optuna_sampler_for

    sampler, optuna_kwargs = optuna_sampler_for(strategy)
    tuner, tuner_kwargs = nni_tuner_for(strategy)
    nas_strategy, nas_kwargs = nni_strategy_for(strategy)
    return {
        "optuna_sampler": sampler,
        "nni_tuner": tuner,
        "nni_strategy": nas_strategy,
        "params": {"optuna": optuna_kwargs, "nni_tuner": tuner_kwargs, "nni_strategy": nas_kwargs},
        "notes": nni_tuner_notes(strategy),
    }


def neutral_fields(optuna_sampler: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """The neutral algorithm and hyperparameters behind a decision stored before decisions recorded them.

    The algorithm is the one its Optuna sampler stands for; the hyperparameters are read back from the Optuna and
    NNI NAS keyword arguments (the NNI tuner's add nothing the other two lack).

    Example:
        >>> neutral_fields("NSGAIISampler", {"optuna": {"population_size": 20},
        ...                                  "nni_strategy": {"population_size": 20, "sample_size": 5}})
        ('nsga2', {'population_size': 20, 'sample_size': 5})
    """
    from nas_complexity.integration._nni_strategies import NNI_STRATEGY_FORMS
    from nas_complexity.integration._optuna_samplers import OPTUNA_FORMS, algorithm_of_optuna_sampler
    from nas_complexity.strategies._algorithms import form_for

    algorithm = algorithm_of_optuna_sampler(optuna_sampler)
    params = params or {}
    return algorithm, {
        **form_for(NNI_STRATEGY_FORMS, algorithm).neutral(params.get("nni_strategy") or {}),
        **form_for(OPTUNA_FORMS, algorithm).neutral(params.get("optuna") or {}),
    }


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
