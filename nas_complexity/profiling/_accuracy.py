"""Accuracy lookups from the benchmark tables, so a profile can report PDS and Kendall tau against true accuracy."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from nas_complexity._errors import NASComplexityError

__all__ = ["accuracy_lookup", "accuracy_table_identity"]

_FOLDER = (
    "the folder that holds the benchmark tables (the public releases described in shared/data/README.md, "
    "e.g. ../shared/data next to the repository)"
)


def _table_spec(space_name: str, task: str | None) -> Any:
    """The registered complete accuracy table of ``space_name`` for ``task`` (default: its first task)."""
    from nas_complexity.data import list_tables

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
    return chosen


def _table_files(spec: Any, data_root: str | Path) -> list[Path]:
    """The files of ``spec`` under ``data_root``; a missing one is named, with the folder that is accepted."""
    root = Path(data_root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"no folder {root} (for the {spec.benchmark}/{spec.task} accuracy table); accepted: {_FOLDER}"
        )
    files = [root / relative for relative in spec.files]
    for relative, file in zip(spec.files, files):
        if not file.is_file():
            raise FileNotFoundError(
                f"benchmark table {relative!r} ({spec.benchmark}/{spec.task} accuracy) not found under {root}; "
                f"accepted: {_FOLDER}"
            )
    return files


def accuracy_lookup(space_name: str, data_root: str | Path, task: str | None = None) -> tuple[Callable[[dict[str, Any]], float | None], str]:
    """A function ``arch -> accuracy`` (``None`` when the table lacks the architecture), and the table's name.

    Only complete tables (every architecture of the space) are offered: NB201, NB-360's NB201-space tasks,
    NAS-Bench-Macro, TransNAS-Bench-101 micro and macro. ``task`` defaults to the table's first task.

    Example:
        >>> lookup, name = accuracy_lookup("nb201", "../shared/data")  # doctest: +SKIP
        >>> name  # doctest: +SKIP
        'nb201/cifar10'
    """
    from nas_complexity.data import arch_key

    chosen = _table_spec(space_name, task)
    _table_files(chosen, data_root)
    frame = chosen.load(Path(data_root))
    table = dict(zip(frame["arch"], frame["accuracy"].astype(float)))

    def lookup(arch: dict[str, Any]) -> float | None:
        return table.get(arch_key(arch))

    return lookup, f"{chosen.benchmark}/{chosen.task}"


def accuracy_table_identity(space_name: str, data_root: str | Path, task: str | None = None) -> dict[str, Any]:
    """Plain data identifying the table :func:`accuracy_lookup` would read, without reading it.

    The lookup is a function, which no profile cache key can hold; this stands in for it: the table's name, and
    each file's absolute path, size and modification time (a replaced table gives a new identity). Errors are
    those of :func:`accuracy_lookup`.

    Example:
        >>> accuracy_table_identity("nb201", "../shared/data")["table"]  # doctest: +SKIP
        'nb201/cifar10'
    """
    chosen = _table_spec(space_name, task)
    files = _table_files(chosen, data_root)
    return {
        "table": f"{chosen.benchmark}/{chosen.task}",
        "files": [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files],
    }
