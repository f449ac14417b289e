"""The search budget a strategy is chosen for."""
from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nas_complexity._errors import NASComplexityError

__all__ = ["Budget"]


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

    Example:
        >>> Budget(n_trials=200, n_workers=4).n_trials
        200
    """

    n_trials: int
    n_workers: int = 1
    n_objectives: int = 1
    seconds_per_trial: float | None = None

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _positive_int(name: str, value: Any, meaning: str) -> int:
    if value is None:
        raise BudgetError(f"{name} is missing: give {meaning}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise BudgetError(f"{name} must be a positive integer ({meaning}), got {value!r}")
    return int(value)
