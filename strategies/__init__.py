"""Search strategies and the decision policy (installed as ``nas_complexity.strategies``).

Example:
    >>> from nas_complexity.strategies import Budget, decide
    >>> from nas_complexity import profile
    >>> decide(profile("darts", performance=False), Budget(n_trials=150)).family
    'evolutionary'
"""
from __future__ import annotations

import importlib
from typing import Any

from nas_complexity.strategies._budget import Budget, BudgetError
from nas_complexity.strategies._decision import Decision, Reason
from nas_complexity.strategies._policy import decide, features_of
from nas_complexity.strategies._rules import DEFAULT_RULES, RULES_VERSION, Condition, FamilyRule

__all__ = [
    "Budget",
    "BudgetError",
    "Condition",
    "DEFAULT_RULES",
    "Decision",
    "FamilyRule",
    "EVOLUTION_MUTATED_KEY",
    "EVOLUTION_PARENT_KEY",
    "RULES_VERSION",
    "RegularizedEvolutionSampler",
    "Reason",
    "decide",
    "features_of",
]

# The evolution sampler subclasses Optuna's BaseSampler; it is imported on first use so that the policy does not
# need Optuna installed.
_LAZY = {name: "_evolution" for name in ("RegularizedEvolutionSampler", "EVOLUTION_PARENT_KEY", "EVOLUTION_MUTATED_KEY")}


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
