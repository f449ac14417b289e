"""A tabular objective: a table of (architecture -> metric) plus its search space, searchable by Optuna or NNI.

The objective suggests the space's active parameters on an Optuna trial (a conditional parameter only while its
condition holds), maps the architecture to a table key with ``key_fn`` and returns the stored metric, so a search
over a published benchmark runs in process in milliseconds per trial. The same lookup is available without
Optuna (:meth:`TabularObjective.value_of`) for NNI or any other driver. Regret is normalised as
``(best - found) / (best - median)`` over the table: 0 at the optimum, 1 at a median architecture.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

from nas_complexity._errors import NASComplexityError
from nas_complexity._imports import require
from nas_complexity.spaces import Architecture, Categorical, FloatRange, IntRange, Param, SearchSpace, get_space

__all__ = ["TabularObjective", "MissingArchitectureError", "MISSING_POLICIES"]

MISSING_POLICIES = ("raise", "prune", "nan")
"""What a lookup does when the architecture is not in the table (or violates the space's constraints)."""

_DIRECTIONS = ("maximize", "minimize")


class MissingArchitectureError(NASComplexityError, LookupError):
    """An architecture is not in the table (or is not a valid architecture of the space)."""


class TabularObjective:
    """An Optuna objective (and a plain lookup) over a table of architecture -> metric.

    Args:
        table: a ``pandas.DataFrame`` with a key column and a metric column, a ``pandas.Series`` indexed by key,
            or a mapping key -> metric. Rows whose metric is NaN are left out (they count as missing).
        space: the :class:`~nas_complexity.spaces.SearchSpace` the table covers, or a built-in space name.
        metric: the DataFrame column holding the metric (default ``"accuracy"``, as in
            :func:`nas_complexity.data.load_accuracy`); ignored for a Series or mapping.
        key_column: the DataFrame column holding the keys (default ``"arch"``); ignored for a Series or mapping.
        key_fn: ``arch -> hashable`` mapping an architecture dict to its table key. Default
            :func:`nas_complexity.data.arch_key`, the ``arch`` column of every loader in :mod:`nas_complexity.data`.
            For NB201 strings use e.g. ``key_fn=space.structures[0].arch_string`` with ``key_column="arch_str"``.
        direction: ``"maximize"`` (accuracy, the default) or ``"minimize"`` (a loss); create the study with it.
        missing: what happens when an architecture is not in the table or violates the space's constraints:
            ``"raise"`` (default: :class:`MissingArchitectureError` naming the key, as a complete table plus a
            wrong ``key_fn`` is the usual cause), ``"prune"`` (the Optuna trial is pruned, so samplers ignore it
            and it is no evolutionary parent; :meth:`value_of` returns NaN) or ``"nan"`` (NaN is returned; Optuna
            then marks the trial failed).

    Raises:
        ValueError: a column is missing, keys repeat, the table has no finite value, or an option is unknown.

    Example:
        >>> import optuna
        >>> from nas_complexity.data import arch_key
        >>> from nas_complexity.spaces import Categorical, SearchSpace
        >>> space = SearchSpace("toy", [Categorical("op", ("conv", "skip", "pool"))])
        >>> table = {arch_key({"op": "conv"}): 90.0, arch_key({"op": "skip"}): 80.0, arch_key({"op": "pool"}): 70.0}
        >>> objective = TabularObjective(table, space)
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> study = optuna.create_study(direction=objective.direction, sampler=optuna.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=10)
        >>> study.best_value, objective.normalised_regret(80.0)
        (90.0, 1.0)
    """

    def __init__(
        self,
        table: pd.DataFrame | pd.Series | Mapping[Hashable, float],
        space: SearchSpace | str,
        *,
        metric: str = "accuracy",
        key_column: str = "arch",
        key_fn: Callable[[Architecture], Hashable] | None = None,
        direction: str = "maximize",
        missing: str = "raise",
    ) -> None:
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction={direction!r} is not accepted; accepted: {', '.join(_DIRECTIONS)}")
        if missing not in MISSING_POLICIES:
            raise ValueError(f"missing={missing!r} is not accepted; accepted: {', '.join(MISSING_POLICIES)}")
        if isinstance(space, str):
            space = get_space(space)
        if not isinstance(space, SearchSpace):
            raise TypeError(f"space must be a SearchSpace or a built-in space name, got {type(space).__name__}")
        if key_fn is None:
            from nas_complexity.data import arch_key  # the data layer imports pandas tables; keep it lazy

            key_fn = arch_key
        self.space = space
        self.key_fn = key_fn
        self.direction = direction
        self.missing = missing
        self.metric = metric
        self._values = _as_lookup(table, metric, key_column)

    # ------------------------------------------------------------------------------------------- building
    @classmethod
    def from_benchmark(cls, root: str | Path | None, benchmark: str, task: str, **kwargs: Any) -> "TabularObjective":
        """The objective of one registered complete table (see :func:`nas_complexity.data.list_tables`).

        Example:
            >>> objective = TabularObjective.from_benchmark("../shared/data", "nb201", "cifar10")  # doctest: +SKIP
            >>> objective.n_architectures, round(objective.best_value, 2)  # doctest: +SKIP
            (15625, 91.57)
        """
        from nas_complexity.data import list_tables, load_accuracy

        specs = [s for s in list_tables("accuracy") if s.benchmark == benchmark and s.task == task]
        if not specs:
            known = ", ".join(sorted({f"{s.benchmark}/{s.task}" for s in list_tables("accuracy")}))
            raise ValueError(f"no complete accuracy table {benchmark}/{task}; accepted: {known}")
        if specs[0].space is None:
            raise ValueError(f"{benchmark}/{task} has no built-in search space; build TabularObjective(table, space) "
                             "with your own SearchSpace")
        return cls(load_accuracy(root, benchmark, task), specs[0].space, **kwargs)

    # ------------------------------------------------------------------------------------------ the table
    @property
    def n_architectures(self) -> int:
        """Number of table entries with a finite metric."""
        return len(self._values)

    @property
    def best_value(self) -> float:
        """The best metric in the table (maximum or minimum by ``direction``)."""
        values = self._array()
        return float(values.max() if self.direction == "maximize" else values.min())

    @property
    def median_value(self) -> float:
        """The median metric of the table."""
        return float(np.median(self._array()))

    @property
    def values(self) -> np.ndarray:
        """Every finite metric in the table, as an array (in the table's order)."""
        return self._array()

    def _array(self) -> np.ndarray:
        return np.fromiter(self._values.values(), dtype=float, count=len(self._values))

    def normalised_regret(self, found: float | Iterable[float]) -> float | np.ndarray:
        """``(best - found) / (best - median)``: 0 at the table's optimum, 1 at its median (either direction).

        Works element-wise on arrays; NaN (nothing found yet) stays NaN.

        Example:
            >>> from nas_complexity.spaces import Categorical, SearchSpace
            >>> space = SearchSpace("toy", [Categorical("op", ("a", "b", "c"))])
            >>> objective = TabularObjective({'{"op":"a"}': 90.0, '{"op":"b"}': 80.0, '{"op":"c"}': 10.0}, space)
            >>> objective.normalised_regret(85.0), objective.normalised_regret([90.0, 10.0]).tolist()
            (0.5, [0.0, 8.0])

        Raises:
            ValueError: every architecture has the same metric, so regret cannot be normalised.
        """
        spread = self.best_value - self.median_value
        if spread == 0:
            raise ValueError("the table's best and median metric are equal; normalised regret is undefined")
        if np.ndim(found) == 0:
            return float((self.best_value - float(found)) / spread)  # type: ignore[arg-type]
        return (self.best_value - np.asarray(list(found), dtype=float)) / spread

    def regret_curve(self, values: Iterable[float] | Any) -> np.ndarray:
        """Normalised regret of the best value found after each evaluation (NaN before the first finite one).

        ``values`` are the observed metrics in evaluation order (NaN for missing/failed evaluations), or an
        Optuna study, read as its trials in number order with NaN for trials that did not complete.

        Example:
            >>> from nas_complexity.spaces import Categorical, SearchSpace
            >>> space = SearchSpace("toy", [Categorical("op", ("a", "b", "c"))])
            >>> objective = TabularObjective({'{"op":"a"}': 3.0, '{"op":"b"}': 2.0, '{"op":"c"}': 1.0}, space)
            >>> objective.regret_curve([1.0, float("nan"), 2.0, 1.0, 3.0]).tolist()
            [2.0, 2.0, 1.0, 1.0, 0.0]
        """
        if hasattr(values, "trials"):
            values = _study_values(values)
        observed = np.asarray(list(values), dtype=float)
        if observed.size == 0:
            return observed
        running = np.fmax.accumulate(observed) if self.direction == "maximize" else np.fmin.accumulate(observed)
        return np.asarray(self.normalised_regret(running), dtype=float)

    # ------------------------------------------------------------------------------------------ searching
    def suggest(self, trial: Any) -> Architecture:
        """Suggest every active parameter of the space on an Optuna ``trial``; return the architecture dict.

        Parameters are suggested in the order of :meth:`SearchSpace.active`, so a condition's parent always comes
        before the parameters it switches on, and an inactive parameter is never suggested.

        Example:
            >>> import optuna
            >>> from nas_complexity.spaces import Categorical, Condition, IntRange, SearchSpace
            >>> space = SearchSpace("toy", [Categorical("op", ("conv", "skip")),
            ...                             IntRange("kernel", 1, 5, step=2, condition=Condition("op", ("conv",)))])
            >>> objective = TabularObjective({'{"op":"skip"}': 1.0}, space, missing="nan")
            >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
            >>> arch = objective.suggest(study.ask())
            >>> ("kernel" in arch) == (arch["op"] == "conv")
            True
        """
        arch: Architecture = {}
        while True:
            pending = [p for p in self.space.active(arch) if p.name not in arch]
            if not pending:
                return arch
            arch[pending[0].name] = _suggest(trial, pending[0])

    def value_of(self, arch: Architecture) -> float:
        """The table's metric of ``arch``; for a missing or invalid one: raise, or NaN (``missing``).

        Example:
            >>> from nas_complexity.spaces import Categorical, SearchSpace
            >>> space = SearchSpace("toy", [Categorical("op", ("a", "b"))])
            >>> TabularObjective({'{"op":"a"}': 1.0}, space, missing="nan").value_of({"op": "b"})
            nan
        """
        problem = self._problem(arch)
        if problem is None:
            return self._values[self.key_fn(arch)]
        if self.missing == "raise":
            raise MissingArchitectureError(problem)
        return math.nan

    def __call__(self, trial: Any) -> float:
        """Optuna objective: suggest an architecture, return its metric (see ``missing`` for absent ones)."""
        arch = self.suggest(trial)
        value = self.value_of(arch)
        if math.isnan(value) and self.missing == "prune":
            optuna = require("optuna", "pruning a trial whose architecture is not in the table")
            raise optuna.TrialPruned(self._problem(arch))
        return value

    def _problem(self, arch: Architecture) -> str | None:
        """Why ``arch`` has no value, or ``None`` when it has one."""
        if not self.space.is_valid(arch):
            return f"architecture {arch} violates the constraints of space {self.space.name!r}"
        key = self.key_fn(arch)
        if key in self._values:
            return None
        example = next(iter(self._values))
        return (f"architecture {arch} (key {key!r}) is not in the table of {len(self._values)} entries, whose keys "
                f"look like {example!r}; check key_fn/key_column, or pass missing='prune' for a partial table")

    def __repr__(self) -> str:
        return (f"TabularObjective(space={self.space.name!r}, {self.n_architectures} architectures, "
                f"direction={self.direction!r}, missing={self.missing!r})")


def _suggest(trial: Any, param: Param) -> Any:
    if isinstance(param, Categorical):
        return trial.suggest_categorical(param.name, list(param.choices))
    if isinstance(param, IntRange):
        return trial.suggest_int(param.name, int(param.low), int(param.high), step=int(param.step), log=param.log)
    if isinstance(param, FloatRange):
        return trial.suggest_float(param.name, float(param.low), float(param.high), step=param.step, log=param.log)
    raise TypeError(f"{param.name}: parameter type {type(param).__name__} cannot be suggested; accepted: "
                    "Categorical, IntRange, FloatRange")


def _as_lookup(table: Any, metric: str, key_column: str) -> dict[Hashable, float]:
    """The table as ``{key: finite metric}``; a clear error for a malformed table."""
    if isinstance(table, pd.DataFrame):
        for role, column in (("key_column", key_column), ("metric", metric)):
            if column not in table.columns:
                raise ValueError(f"{role}={column!r} is not a column of the table; accepted: {list(table.columns)}")
        keys, values = table[key_column], table[metric]
    elif isinstance(table, pd.Series):
        keys, values = pd.Series(table.index), table
    elif isinstance(table, Mapping):
        keys, values = pd.Series(list(table.keys()), dtype=object), pd.Series(list(table.values()), dtype=object)
    else:
        raise TypeError(f"table must be a pandas DataFrame or Series or a mapping key -> metric, got "
                        f"{type(table).__name__}")
    numeric = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(dtype=float)
    keys = np.asarray(keys, dtype=object)
    duplicated = pd.Series(keys).duplicated()
    if duplicated.any():
        first = keys[int(np.flatnonzero(duplicated.to_numpy())[0])]
        raise ValueError(f"{int(duplicated.sum())} keys appear more than once in the table, e.g. {first!r}; "
                         "accepted: one row per architecture")
    finite = np.isfinite(numeric)
    if not finite.any():
        raise ValueError(f"the table has no finite metric value ({metric!r}); accepted: numbers")
    return {k: float(v) for k, v, ok in zip(keys, numeric, finite) if ok}


def _study_values(study: Any) -> list[float]:
    out = []
    for t in sorted(study.trials, key=lambda t: t.number):
        complete = getattr(t.state, "name", "") == "COMPLETE" and t.value is not None
        out.append(float(t.value) if complete else math.nan)
    return out
