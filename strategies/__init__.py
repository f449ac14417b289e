"""The decision policy (installed as ``nas_complexity.strategies``): profile + budget -> a neutral search strategy.

A :class:`Decision` names a family, a framework-neutral algorithm and its hyperparameters, and the concrete forms
that :mod:`nas_complexity.integration` maps it to (Optuna sampler, NNI tuner, NNI NAS strategy). This package
imports neither Optuna nor NNI.

Example:
    >>> from nas_complexity.strategies import Budget, decide
    >>> from nas_complexity import profile
    >>> decision = decide(profile("darts", performance=False), Budget(n_trials=300))
    >>> decision.family, decision.algorithm
    ('bayesian', 'discrete_gp')
"""
from __future__ import annotations

import importlib
from typing import Any

from nas_complexity.strategies._algorithms import ALGORITHMS, Algorithm, Strategy, algorithm_info
from nas_complexity.strategies._budget import Budget, BudgetError
from nas_complexity.strategies._decision import Decision, Reason
from nas_complexity.strategies._policy import (
    PROXY_FEATURES,
    decide,
    evolution_parameters,
    features_of,
    nsga2_parameters,
    rules_read_proxy,
)
from nas_complexity.strategies._rules import (
    BRIEF_RULES,
    DEFAULT_RULES,
    FITTED_RULES_FILE,
    MAX_SAMPLER_SHARE,
    PREFIX_RULES,
    RULES_VERSION,
    UNKNOWN_TRIAL_SAMPLER_S,
    Condition,
    FamilyRule,
    rules_from_json,
    rules_to_json,
)

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "Budget",
    "BudgetError",
    "Condition",
    "BRIEF_RULES",
    "DEFAULT_RULES",
    "FITTED_RULES_FILE",
    "MAX_SAMPLER_SHARE",
    "PREFIX_RULES",
    "UNKNOWN_TRIAL_SAMPLER_S",
    "Decision",
    "FamilyRule",
    "RULES_VERSION",
    "Reason",
    "Strategy",
    "algorithm_info",
    "decide",
    "evolution_parameters",
    "nsga2_parameters",
    "PROXY_FEATURES",
    "rules_read_proxy",
    "features_of",
    "rules_from_json",
    "rules_to_json",
]

# The regularized-evolution sampler is an Optuna object and lives in the integration layer now
# (nas_complexity.integration.RegularizedEvolutionSampler). It stays reachable here for code written against earlier
# versions, imported on first use (it needs Optuna), and is left out of __all__ so that ``import *`` needs no Optuna.
_MOVED = {
    name: "nas_complexity.integration._optuna_evolution"
    for name in ("RegularizedEvolutionSampler", "EVOLUTION_PARENT_KEY", "EVOLUTION_MUTATED_KEY")
}


def __getattr__(name: str) -> Any:
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
