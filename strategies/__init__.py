"""Search strategies and the decision policy (installed as ``nas_complexity.strategies``).

Example:
    >>> from nas_complexity.strategies import Budget, decide
    >>> from nas_complexity import profile
    >>> decide(profile("darts", performance=False), Budget(n_trials=150)).family
    'evolutionary'
"""
from __future__ import annotations

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
    "RULES_VERSION",
    "Reason",
    "decide",
    "features_of",
]
