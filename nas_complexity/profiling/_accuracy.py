"""Accuracy lookups from the benchmark tables, so a profile can report PDS and Kendall tau against true accuracy."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from nas_complexity._errors import NASComplexityError

__all__ = ["accuracy_lookup"]


def accuracy_lookup(space_name: str, data_root: str | Path, task: str | None = None) -> tuple[Callable[[dict[str, Any]], float | None], str]:
    """A function ``arch -> accuracy`` (``None`` when the table lacks the architecture), and the table's name.

    Only complete tables (every architecture of the space) are offered: NB201, NB-360's NB201-space tasks,
    NAS-Bench-Macro, TransNAS-Bench-101 micro and macro. ``task`` defaults to the table's first task.

    Example:
        >>> lookup, name = accuracy_lookup("nb201", "../shared/data")  # doctest: +SKIP
        >>> name  # doctest: +SKIP
        'nb201/cifar10'
    """
    from nas_complexity.data import arch_key, list_tables

    specs = [s for s in list_tables("accuracy") if s.space == space_name]
    if not specs:
        with_tables = sorted({s.space for s in list_tables("accuracy") if s.space})
        raise NASComplexityError(
            f"no accuracy table for space {space_name!r}; spaces with a complete table: {', '.join(with_tables)}"
        )
    chosen = specs[0] if task is None else next((s for s in specs if s.task == task), None)
    if chosen is None:
        raise NASComplexityError(
            f"no {task!r} table for space {space_name!r}; tasks: {', '.join(s.task for s in specs)}"
        )
    frame = chosen.load(Path(data_root))
    table = dict(zip(frame["arch"], frame["accuracy"].astype(float)))

    def lookup(arch: dict[str, Any]) -> float | None:
        return table.get(arch_key(arch))

    return lookup, f"{chosen.benchmark}/{chosen.task}"
