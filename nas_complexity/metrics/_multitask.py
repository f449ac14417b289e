"""Multi-task ability: the number of distinct tasks a space's architectures are designed for."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nas_complexity.spaces import SearchSpace

__all__ = ["MultiTask", "multi_task"]


@dataclass(frozen=True)
class MultiTask:
    """Multi-task ability: ``n_tasks`` distinct tasks, their names, and what counts as a task."""

    n_tasks: int
    tasks: list[str]
    definition: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MultiTask":
        return cls(**data)


def multi_task(space: SearchSpace) -> MultiTask:
    """Multi-task ability of ``space`` (distinct task names; a space with no declared task has 0).

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> multi_task(get_space("nb201")).n_tasks
        3
    """
    names = list(dict.fromkeys(t.name for t in space.tasks))
    return MultiTask(len(names), names, space.task_definition)
