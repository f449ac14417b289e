"""The search budget a strategy is chosen for."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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
        _positive_int("n_trials", self.n_trials, "the number of trials the search will run, e.g. n_trials=200")
        _positive_int("n_workers", self.n_workers, "the number of trials run in parallel (1 or more)")
        _positive_int("n_objectives", self.n_objectives, "1 for single-objective search, 2+ for multi-objective")
        if self.seconds_per_trial is not None and not self.seconds_per_trial > 0:
            raise BudgetError(f"seconds_per_trial must be a positive number of seconds or None, got {self.seconds_per_trial!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _positive_int(name: str, value: Any, meaning: str) -> None:
    if value is None:
        raise BudgetError(f"{name} is missing: give {meaning}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BudgetError(f"{name} must be a positive integer ({meaning}), got {value!r}")
