"""Install the chosen strategy where the search runs: Optuna samplers and the pre-search hook.

Names are imported on first use, so ``import nas_complexity.integration`` does not import Optuna.

Example:
    >>> import optuna
    >>> from nas_complexity.integration import ComplexityAdvisor
    >>> study = optuna.create_study(direction="maximize")
    >>> advisor = ComplexityAdvisor("nb201", n_trials=200)
    >>> study = advisor.attach(study)   # then: study.optimize(objective, n_trials=200, callbacks=[advisor])
    >>> type(study.sampler).__name__
    'AdvisedSampler'
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "AdvisedSampler",
    "ComplexityAdvisor",
    "DECISION_KEY",
    "OPTUNA_SAMPLERS",
    "PROFILE_KEY",
    "REDECISION_KEY",
    "STATUS_KEY",
    "STRATEGY_KEY",
    "build_optuna_sampler",
]

_HOME = {
    "AdvisedSampler": "_optuna_hook",
    "ComplexityAdvisor": "_optuna_hook",
    "DECISION_KEY": "_optuna_storage",
    "OPTUNA_SAMPLERS": "_optuna_samplers",
    "PROFILE_KEY": "_optuna_storage",
    "REDECISION_KEY": "_optuna_storage",
    "STATUS_KEY": "_optuna_storage",
    "STRATEGY_KEY": "_optuna_storage",
    "build_optuna_sampler": "_optuna_samplers",
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
