"""Benchmark settings: every shared table as one searchable objective, with the space group it validates in.

A setting is a name (``"nb201/cifar10"``, ``"tnb101-micro/jigsaw"``, ``"fcnet/naval_propulsion"``, or a user table's),
a :class:`~nas_complexity.benchmarking.TabularObjective` over the complete table, and a ``space_group``: settings on
the same search space share it, so a comparison can hold a whole space out at once (leave-one-space-out). The group
is derived from the space's parameters, never from a list of tables: NAS-Bench-360's NinaPro and Darcy Flow tables
use the NB201 cell, so they fall in group ``nb201``.

Built-in settings (:func:`list_settings`): the complete NAS tables of :func:`nas_complexity.data.list_tables`
(``"accuracy"``, each on a built-in space; every one stores a metric where higher is better, TransNAS-Bench-101's
``room_layout`` as a negative loss, NAS-Bench-360's Darcy Flow as a score) and the HPOLib FCNet tables (``"hpo"``:
validation MSE, minimised), which go through the same reader as a user's own table
(:func:`~nas_complexity.benchmarking.load_user_table`).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nas_complexity._errors import UnknownNameError
from nas_complexity.benchmarking._tabular import MISSING_POLICIES, TabularObjective
from nas_complexity.spaces import SearchSpace, get_space, is_shipped, list_spaces

__all__ = ["LEFT_OUT_TABLES", "BenchmarkSetting", "list_settings", "load_setting", "space_group"]

LEFT_OUT_TABLES: dict[str, str] = {
    "nb360/cifar100": "CIFAR-100 test accuracy on the NB201 cell: the task of nb201/cifar100 (validation accuracy) "
                      "a second time, which would weigh that task twice in a comparison",
}
"""Registered complete tables that are deliberately not settings, with the reason. Tables without a built-in space
(Accel-NASBench) are not settings either: there is no space to search."""

_FCNET_SEEDS = (0, 1, 2, 3)


@dataclass(frozen=True)
class BenchmarkSetting:
    """One searchable benchmark: a tabular objective, its name and the group of settings on the same space.

    Attributes:
        name: ``"benchmark/task"`` for a built-in table (see :func:`list_settings`), or a user table's name.
        space_group: shared by the settings on the same search space (leave-one-space-out validation groups);
            derived from the space's parameters (:func:`space_group`).
        objective: the :class:`~nas_complexity.benchmarking.TabularObjective`: ``.space``, ``.direction``,
            ``.value_of(arch)``, ``.normalised_regret(value)``, ``.best_value``, ``.median_value``,
            ``.n_architectures``.
        description: one paragraph saying what the table holds.

    Example:
        >>> from nas_complexity.benchmarking import load_user_table
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"op": ["a", "b", "c"], "acc": [1.0, 3.0, 2.0]})
        >>> setting = load_user_table(frame, {"metric": "acc", "direction": "maximize"}, name="toy")
        >>> setting.name, setting.objective.best_value, setting.space_group.startswith("table:")
        ('toy', 3.0, True)
    """

    name: str
    space_group: str
    objective: TabularObjective
    description: str = ""


# --------------------------------------------------------------------------------------------------- groups
def _signature(space: SearchSpace) -> str:
    """A fingerprint of what the space's points are: its kind, structures and parameters by name and values."""
    content = {
        "kind": space.kind,
        "structures": [type(s).__name__ for s in space.structures],
        "constraints": len(space.constraints),
        "params": sorted((p.to_dict() for p in space.all_params), key=lambda d: d["name"]),
    }
    return hashlib.sha1(json.dumps(content, sort_keys=True, default=repr).encode()).hexdigest()


@lru_cache(maxsize=1)
def _shipped_signatures() -> tuple[tuple[str, str], ...]:
    # Only the library's own spaces name groups, so a group does not change with what a user registers.
    return tuple((name, _signature(get_space(name))) for name in list_spaces() if is_shipped(name))


def space_group(space: SearchSpace) -> str:
    """The validation group of a space: the name of the first shipped space with the same parameters, else
    ``"<space name>:<fingerprint>"``.

    Two spaces with the same kind and the same parameters (names, types and values) get the same group: the NB201
    cell of ``nb201`` and ``nb360`` is one group, ``nb201``; two user tables on the same grid (and the same
    ``space`` name in their descriptions) are one group.

    Example:
        >>> from nas_complexity.spaces import Categorical, get_space
        >>> space_group(get_space("nb360")), space_group(get_space("tnb101-micro"))
        ('nb201', 'tnb101-micro')
        >>> space_group(SearchSpace("mine", [Categorical("op", ("a", "b"))]))
        'mine:4a7e3489'
    """
    signature = _signature(space)
    for name, other in _shipped_signatures():
        if other == signature:
            return name
    return f"{space.name}:{signature[:8]}"


# ------------------------------------------------------------------------------------------------- settings
def _table_specs() -> dict[str, Any]:
    """Setting name -> its registered table: complete NAS tables on a built-in space, and HPO tables."""
    from nas_complexity.data import list_tables  # the data layer reads pandas tables; keep it lazy

    out: dict[str, Any] = {}
    for spec in [*list_tables("accuracy"), *list_tables("hpo")]:
        name = f"{spec.benchmark}/{spec.task}"
        if name in LEFT_OUT_TABLES or (spec.kind == "accuracy" and spec.space is None):
            continue
        out[name] = spec
    return out


def list_settings() -> list[str]:
    """Every built-in setting name, ``"benchmark/task"``: NB201 (3 tasks), NAS-Bench-360 on the NB201 cell
    (NinaPro, Darcy Flow), NAS-Bench-Macro, TransNAS-Bench-101 micro and macro (7 tasks each), HPOLib FCNet (4).

    Example:
        >>> names = list_settings()
        >>> len(names), names[0], names[-1]
        (24, 'nb201/cifar10', 'fcnet/slice_localization')
    """
    return list(_table_specs())


def load_setting(name: str, root: str | Path | None, **options: Any) -> BenchmarkSetting:
    """A built-in setting, read from the data folder ``root``.

    Options: ``missing`` (``"raise"``, ``"prune"``, ``"nan"``: see :class:`TabularObjective`) for every setting;
    for FCNet also ``encoding`` (``"values"``, the default: categorical parameters and log-spaced grids by
    ``suggest_categorical``, dropout by a stepped ``suggest_float``; or ``"index"``: each ordinal parameter as its
    grid index ``suggest_int(name, 0, k - 1)``) and ``seed`` (``None``, the default: ``val_loss_mean``; or 0-3:
    that seed's ``val_loss_seed<k>``).

    Raises:
        UnknownNameError: an unknown setting or option (the message lists the accepted ones).
        FileNotFoundError: ``root`` lacks the setting's file (the message names it).
        ValueError: ``root`` is ``None``, or an option's value is not accepted.

    Example:
        >>> setting = load_setting("nb201/cifar10", "../shared/data")  # doctest: +SKIP
        >>> setting.space_group, setting.objective.n_architectures, setting.objective.best_value  # doctest: +SKIP
        ('nb201', 15625, 91.57)
        >>> load_setting("nb201/svhn", "../shared/data")
        Traceback (most recent call last):
        ...
        nas_complexity._errors.UnknownNameError: unknown benchmark setting 'nb201/svhn'; accepted: nb201/cifar10, ...
    """
    specs = _table_specs()
    spec = specs.get(name) or specs.get(str(name).lower())
    if spec is None:
        raise UnknownNameError("benchmark setting", name, list(specs))
    name = f"{spec.benchmark}/{spec.task}"
    if spec.kind == "hpo":
        return _load_hpo(name, spec, root, options)
    _check_options(name, options, ("missing",))
    objective = TabularObjective.from_benchmark(root, spec.benchmark, spec.task, **options)
    text = (f"{spec.benchmark} {spec.task}: {objective.n_architectures:,} architectures of space {spec.space!r}; "
            f"{spec.metric}, maximised; {spec.source}")
    return BenchmarkSetting(name=name, space_group=space_group(objective.space), objective=objective, description=text)


def _check_options(name: str, options: Mapping[str, Any], accepted: tuple[str, ...]) -> None:
    for option in options:
        if option not in accepted:
            raise UnknownNameError(f"option of setting {name}", option, list(accepted))
    if options.get("missing", "raise") not in MISSING_POLICIES:
        raise ValueError(f"missing={options['missing']!r} is not accepted; accepted: {', '.join(MISSING_POLICIES)}")


def _load_hpo(name: str, spec: Any, root: str | Path | None, options: Mapping[str, Any]) -> BenchmarkSetting:
    # _user_table imports BenchmarkSetting from this module, so it is imported here, not at the top.
    from nas_complexity.benchmarking._user_table import grid_setting
    from nas_complexity.data import FCNET_DESCRIPTION, load_fcnet

    _check_options(name, options, ("missing", "encoding", "seed"))
    seed = options.get("seed")
    if seed is not None and seed not in _FCNET_SEEDS:
        raise ValueError(f"seed={seed!r} is not accepted for {name}; accepted: None (val_loss_mean) or "
                         f"{', '.join(map(str, _FCNET_SEEDS))}")
    metric = "val_loss_mean" if seed is None else f"val_loss_seed{seed}"
    frame = load_fcnet(root, spec.task, metrics=[metric])
    description = {**FCNET_DESCRIPTION, "metric": metric,
                   "description": f"HPOLib FCNet on {spec.task} ({spec.source}): validation MSE after 100 epochs, "
                                  f"{'mean of 4 seeds' if seed is None else f'seed {seed}'}."}
    if "missing" in options:
        description["missing"] = options["missing"]
    return grid_setting(frame, description, name=name, encoding=options.get("encoding", "values"),
                        source=spec.files[0])
