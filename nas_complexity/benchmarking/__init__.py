"""Search benchmark tables in process: a tabular objective for Optuna (or any driver) and normalised regret.

Example:
    >>> from nas_complexity.benchmarking import TabularObjective
    >>> from nas_complexity.spaces import Categorical, SearchSpace
    >>> space = SearchSpace("toy", [Categorical("op", ("a", "b", "c"))])
    >>> objective = TabularObjective({'{"op":"a"}': 3.0, '{"op":"b"}': 2.0, '{"op":"c"}': 1.0}, space)
    >>> objective.value_of({"op": "b"}), objective.normalised_regret(2.0)
    (2.0, 1.0)
"""
from __future__ import annotations

from nas_complexity.benchmarking._tabular import MISSING_POLICIES, MissingArchitectureError, TabularObjective

__all__ = ["MISSING_POLICIES", "MissingArchitectureError", "TabularObjective"]
