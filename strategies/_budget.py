"""The search budget a strategy is chosen for."""
from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nas_complexity._errors import NASComplexityError

__all__ = ["DIRECTIONS", "Budget"]

DIRECTIONS = ("maximize", "minimize")
"""The optimisation directions a budget may name (Optuna's and NNI's spelling)."""


class BudgetError(NASComplexityError, ValueError):
    """A budget field is missing or out of range."""


@dataclass(frozen=True)
class Budget:
    """What the search may spend.

    Args:
        n_trials: number of trials (architectures or configurations evaluated); required, at least 1.
        n_workers: trials run in parallel (Optuna ``n_jobs`` x processes, NNI ``trial_concurrency``).
        n_objectives: 1 for single-objective search.
        seconds_per_trial: typical duration of one trial, if known; lets the policy weigh sampler overhead.
        direction: ``"maximize"`` (default: accuracy) or ``"minimize"`` (a loss), the search's single objective's
            direction; the frameworks' forms that take one (NNI's ``optimize_mode``) are written from it. An object
            with a ``name`` such as Optuna's ``StudyDirection.MINIMIZE`` is read by its name.

    Example:
        >>> Budget(n_trials=200, n_workers=4).n_trials
        200
        >>> Budget(n_trials=50, direction="Minimize").direction
        'minimize'
    """

    n_trials: int
    n_workers: int = 1
    n_objectives: int = 1
    seconds_per_trial: float | None = None
    direction: str = "maximize"

    def __post_init__(self) -> None:
        # Integral NumPy scalars (np.int64 from a config array) are integers: stored as plain ints.
        for name, meaning in (
            ("n_trials", "the number of trials the search will run, e.g. n_trials=200"),
            ("n_workers", "the number of trials run in parallel (1 or more)"),
            ("n_objectives", "1 for single-objective search, 2+ for multi-objective"),
        ):
            object.__setattr__(self, name, _positive_int(name, getattr(self, name), meaning))
        seconds = self.seconds_per_trial
        if seconds is not None:
            if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not (0 < seconds < math.inf):
                raise BudgetError(f"seconds_per_trial must be a positive, finite number of seconds or None, got {seconds!r}")
            object.__setattr__(self, "seconds_per_trial", float(seconds))
        object.__setattr__(self, "direction", _direction(self.direction))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _direction(value: Any) -> str:
    # Enum members (Optuna's StudyDirection) are read by name, so that the policy needs no framework import.
    name = getattr(value, "name", value)
    if isinstance(name, str) and name.lower() in DIRECTIONS:
        return name.lower()
    raise BudgetError(f"direction must be one of {', '.join(map(repr, DIRECTIONS))} (the objective's direction), got {value!r}")


def _positive_int(name: str, value: Any, meaning: str) -> int:
    if value is None:
        raise BudgetError(f"{name} is missing: give {meaning}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise BudgetError(f"{name} must be a positive integer ({meaning}), got {value!r}")
    return int(value)
