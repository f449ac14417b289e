"""Your own table as a benchmark setting: a CSV (one column per parameter plus a metric) and a small description.

The description is a mapping (or a ``.json`` / ``.yaml`` file holding one)::

    {"metric": "val_loss", "direction": "minimize", "kind": "hyperparameter",
     "columns": {"lr": {"type": "float", "log": true}, "act": "categorical", "units": {"type": "ordinal"}}}

Keys (:data:`DESCRIPTION_KEYS`): ``metric`` and ``direction`` are required; ``kind`` (``"hyperparameter"`` by
default, or ``"architecture"``), ``columns`` (per column: ``type``, one of :data:`COLUMN_TYPES`, and ``log``; a bare
string is the type), ``ignore`` (columns that are neither parameters nor the metric, e.g. other measurements),
``missing`` (what a search gets for a combination the table lacks: ``"raise"``, ``"prune"`` or ``"nan"``; required
when the table is not a complete grid), ``space`` (the search space's name; tables on the same grid with the same
``space`` share a validation group), ``name`` and ``description`` are optional. Every other column is a
parameter, and a parameter not listed under ``columns`` has its type inferred (:func:`infer_column`).

Column types and the Optuna parameter each becomes (``encoding="values"``, what an Optuna user would write):

* ``categorical``: ``suggest_categorical`` over the distinct values;
* ``int`` / ``float``: an evenly spaced grid, ``suggest_int`` / ``suggest_float`` with its ``step``; with
  ``"log": true`` a log-spaced grid, ``suggest_categorical`` over its values (a log-scaled ``suggest_float`` would
  draw values the table does not hold), or ``suggest_int(..., log=True)`` when it is every integer of a range;
* ``ordinal``: ordered numbers with any spacing: a stepped range when evenly spaced, else ``suggest_categorical``
  over the sorted values.

With ``encoding="index"`` every numeric column becomes its grid index, ``suggest_int(name, 0, k - 1)``. Both
encodings look up the same rows, so a search sees the same values.

Anything ambiguous stops with a :class:`TableFormatError` naming the column or key and what is accepted: no
direction, a metric that is not numeric, a column whose type cannot be inferred, repeated parameter combinations,
empty cells in a parameter column, an incomplete grid without a ``missing`` policy.
"""
from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nas_complexity._errors import NASComplexityError
from nas_complexity._imports import require
from nas_complexity.benchmarking._tabular import MISSING_POLICIES, TabularObjective
from nas_complexity.spaces import SPACE_KINDS, Categorical, FloatRange, IntRange, Param, SearchSpace

if TYPE_CHECKING:
    from nas_complexity.benchmarking._settings import BenchmarkSetting

__all__ = [
    "COLUMN_TYPES",
    "DESCRIPTION_KEYS",
    "ENCODINGS",
    "MAX_INFERRED_LEVELS",
    "ColumnSpec",
    "TableFormatError",
    "grid_setting",
    "infer_column",
    "load_user_table",
    "read_description",
]

COLUMN_TYPES = ("categorical", "ordinal", "int", "float")
"""Accepted ``type`` of a described column."""
ENCODINGS = ("values", "index")
"""How numeric grid columns are suggested: by their values (default) or by their grid index ``0..k-1``."""
DESCRIPTION_KEYS = ("metric", "direction", "kind", "columns", "ignore", "missing", "space", "name", "description")
"""Accepted keys of a table description."""
COLUMN_KEYS = ("type", "log")
"""Accepted keys of one column's description."""
MAX_INFERRED_LEVELS = 32
"""An undescribed numeric column with at most this many distinct values that are not an evenly spaced integer grid
is inferred as ``ordinal``; with more (and not evenly spaced) it is more likely a measurement than a parameter, so
its type must be declared or the column ignored."""
_DIRECTIONS = ("maximize", "minimize")
_DEFAULT_SPACE = "table"


class TableFormatError(NASComplexityError, ValueError):
    """A user table or its description is malformed or ambiguous; the message names the column or key (``where``)
    and says what is accepted.

    Example:
        >>> str(TableFormatError("direction", "missing", "'maximize' or 'minimize'"))
        "direction: missing. Accepted: 'maximize' or 'minimize'"
    """

    def __init__(self, where: str, problem: str, accepted: str | None = None) -> None:
        self.where = where
        self.problem = problem
        self.accepted = accepted
        super().__init__(f"{where}: {problem}" + (f". Accepted: {accepted}" if accepted else ""))


@dataclass(frozen=True)
class ColumnSpec:
    """One parameter column as resolved from the description and the data.

    ``values`` are the column's distinct values, sorted; ``step`` is the spacing of an evenly spaced numeric grid
    (``None`` otherwise); ``inferred`` says whether the type came from the data rather than the description.
    """

    name: str
    type: str
    log: bool
    values: tuple[Any, ...]
    step: int | float | None
    inferred: bool

    def param(self, encoding: str = "values") -> Param:
        """The search-space parameter of this column (see the module docs for the rules).

        Example:
            >>> col = ColumnSpec("units", "ordinal", True, (16, 32, 64), None, False)
            >>> col.param().choices, col.param("index").high
            ((16, 32, 64), 2)
        """
        k = len(self.values)
        if self.type == "categorical":
            return Categorical(self.name, self.values)
        if encoding == "index":
            return IntRange(self.name, 0, k - 1)
        if k == 1:
            return Categorical(self.name, self.values)
        integer = all(isinstance(v, int) for v in self.values)
        if self.log:
            if integer and self.step == 1:  # every integer of a range: a log-scaled suggest_int hits only grid points
                return IntRange(self.name, self.values[0], self.values[-1], log=True)
            return Categorical(self.name, self.values)
        if self.step is None:
            return Categorical(self.name, self.values)
        if integer:
            return IntRange(self.name, self.values[0], self.values[-1], step=int(self.step))
        return FloatRange(self.name, float(self.values[0]), float(self.values[-1]), step=float(self.step))

    def describe(self) -> str:
        """A short text: ``name: type[, log] (k values)``."""
        kind = self.type + (", log" if self.log else "") + (", inferred" if self.inferred else "")
        return f"{self.name}: {kind} ({len(self.values)} values)"


# --------------------------------------------------------------------------------------------- description
def read_description(description: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The description checked and completed with its defaults (a mapping, or a ``.json``/``.yaml`` file).

    Raises:
        FileNotFoundError: a description path that is not a file.
        TableFormatError: an unknown key, a missing ``metric`` or ``direction``, or a value that is not accepted.

    Example:
        >>> d = read_description({"metric": "loss", "direction": "minimize", "columns": {"lr": "float"}})
        >>> d["kind"], d["columns"], d["missing"]
        ('hyperparameter', {'lr': {'type': 'float', 'log': False}}, None)
    """
    if isinstance(description, (str, Path)):
        description = _read_description_file(Path(description))
    if not isinstance(description, Mapping):
        raise TableFormatError("description", f"a {type(description).__name__} is not a description",
                               "a mapping, or the path of a .json/.yaml file holding one")
    unknown = [k for k in description if k not in DESCRIPTION_KEYS]
    if unknown:
        raise TableFormatError(f"description key {unknown[0]!r}", "is not a known key", ", ".join(DESCRIPTION_KEYS))
    out: dict[str, Any] = {}
    metric = description.get("metric")
    if not isinstance(metric, str) or not metric:
        raise TableFormatError("metric", "missing or not a column name" if metric is None else
                               f"{metric!r} is not a column name", "the name of the column holding the metric")
    out["metric"] = metric
    direction = description.get("direction")
    if direction is None:
        raise TableFormatError("direction", f"not given for metric {metric!r}, and it cannot be guessed (a loss is "
                               "minimised, an accuracy maximised)", "'maximize' or 'minimize'")
    if not isinstance(direction, str) or direction.lower() not in _DIRECTIONS:
        raise TableFormatError("direction", f"{direction!r} is not a direction", "'maximize' or 'minimize'")
    out["direction"] = direction.lower()
    kind = description.get("kind", "hyperparameter")
    if kind not in SPACE_KINDS:
        raise TableFormatError("kind", f"{kind!r} is not a kind of space", " or ".join(map(repr, SPACE_KINDS)))
    out["kind"] = kind
    out["columns"] = _read_columns(description.get("columns") or {}, metric)
    ignore = description.get("ignore") or []
    if isinstance(ignore, str) or not all(isinstance(c, str) for c in ignore):
        raise TableFormatError("ignore", f"{ignore!r} is not a list of column names", "a list of column names")
    for column in ignore:
        if column == metric or column in out["columns"]:
            raise TableFormatError(f"ignore: column {column!r}", "is also the metric or a described parameter",
                                   "each column in one role only")
    out["ignore"] = list(ignore)
    missing = description.get("missing")
    if missing is not None and missing not in MISSING_POLICIES:
        raise TableFormatError("missing", f"{missing!r} is not a policy", ", ".join(map(repr, MISSING_POLICIES)))
    out["missing"] = missing
    for key, default in (("space", _DEFAULT_SPACE), ("name", None), ("description", "")):
        value = description.get(key, default)
        if value is not None and not isinstance(value, str):
            raise TableFormatError(key, f"{value!r} is not text", "a string")
        out[key] = value
    return out


def _read_description_file(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"table description {path} not found; pass a mapping or the path of a .json/.yaml "
                                "file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        yaml = require("yaml", f"reading the YAML table description {path}")
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise TableFormatError(str(path), f"not valid YAML ({exc})", "a YAML mapping") from None
    if path.suffix.lower() != ".json":
        raise TableFormatError(str(path), f"unknown description file type {path.suffix!r}", ".json, .yaml or .yml")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TableFormatError(str(path), f"not valid JSON ({exc})", "a JSON object") from None


def _read_columns(columns: Any, metric: str) -> dict[str, dict[str, Any]]:
    if not isinstance(columns, Mapping):
        raise TableFormatError("columns", f"{columns!r} is not a mapping", "a mapping column -> {type, log}")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in columns.items():
        where = f"columns: {name!r}"
        if name == metric:
            raise TableFormatError(where, "is the metric, not a parameter", "parameter columns only under 'columns'")
        if isinstance(spec, str):
            spec = {"type": spec}
        if not isinstance(spec, Mapping):
            raise TableFormatError(where, f"{spec!r} is not a column description", f"a type "
                                   f"({', '.join(COLUMN_TYPES)}) or a mapping with keys {', '.join(COLUMN_KEYS)}")
        unknown = [k for k in spec if k not in COLUMN_KEYS]
        if unknown:
            raise TableFormatError(where, f"unknown key {unknown[0]!r}", ", ".join(COLUMN_KEYS))
        kind = spec.get("type")
        if kind is not None and kind not in COLUMN_TYPES:
            raise TableFormatError(where, f"unknown type {kind!r}", ", ".join(COLUMN_TYPES))
        log = spec.get("log", False)
        if not isinstance(log, bool):
            raise TableFormatError(where, f"log={log!r} is not true or false", "true or false")
        if log and kind == "categorical":
            raise TableFormatError(where, "a categorical column cannot be log-scaled",
                                   "log with type ordinal, int or float")
        out[str(name)] = {"type": kind, "log": log} if kind is not None else {"log": log}
    return out


# ------------------------------------------------------------------------------------------------- columns
def infer_column(series: pd.Series) -> tuple[str, bool]:
    """The ``(type, log)`` of an undescribed parameter column.

    Text or booleans are ``categorical``; integers evenly spaced are ``int``; up to :data:`MAX_INFERRED_LEVELS`
    other distinct numbers are ``ordinal`` (``log`` when positive with a constant ratio); more, evenly spaced
    floats are ``float``; anything else cannot be inferred.

    Raises:
        TableFormatError: many irregular numbers (a measurement rather than a parameter?).

    Example:
        >>> infer_column(pd.Series(["relu", "tanh"])), infer_column(pd.Series([8, 16, 24]))
        (('categorical', False), ('int', False))
        >>> infer_column(pd.Series([16, 32, 64, 128]))
        ('ordinal', True)
    """
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return "categorical", False
    values = _distinct(series)
    integer = pd.api.types.is_integer_dtype(series)
    step = _even_step(values, integer)
    if integer and (len(values) == 1 or step is not None):
        return "int", False
    if len(values) <= MAX_INFERRED_LEVELS:
        return "ordinal", _geometric(values)
    if step is not None:
        return "float", False
    raise TableFormatError(
        f"column {series.name!r}",
        f"its type cannot be inferred: {len(values)} distinct numbers that are not an evenly spaced grid (more than "
        f"{MAX_INFERRED_LEVELS}), e.g. {list(values[:3])}",
        f"declare it under 'columns' (type {', '.join(COLUMN_TYPES)}), or list it under 'ignore' if it is a "
        "measurement rather than a parameter",
    )


def _distinct(series: pd.Series) -> tuple[Any, ...]:
    """Sorted distinct values as plain Python scalars (a ``Categorical`` refuses NumPy scalars)."""
    values = [v.item() if isinstance(v, np.generic) else v for v in pd.unique(series)]
    try:
        return tuple(sorted(values))
    except TypeError:  # mixed types cannot be ordered; any fixed order will do for categories
        return tuple(sorted(values, key=repr))


def _even_step(values: Sequence[Any], integer: bool) -> int | float | None:
    """The spacing of an evenly spaced numeric grid, or ``None``."""
    if len(values) < 2:
        return None
    array = np.asarray(values, dtype=float)
    diffs = np.diff(array)
    if integer:
        return int(diffs[0]) if np.all(diffs == diffs[0]) else None
    # The step rounded to 12 significant digits is what a user would write (0.1, not 0.09999999999999999); the grid
    # it spans must then hold exactly the table's values.
    step = float(f"{(array[-1] - array[0]) / (len(array) - 1):.12g}")
    if step <= 0:
        return None
    grid = FloatRange("_", float(array[0]), float(array[-1]), step=step)
    if grid.n_values() != len(array):
        return None
    tolerance = step * 1e-6
    return step if np.all(np.abs(np.asarray(grid.values()) - array) <= tolerance) else None


def _geometric(values: Sequence[Any]) -> bool:
    array = np.asarray(values, dtype=float)
    if len(array) < 3 or np.any(array <= 0):
        return False
    ratios = array[1:] / array[:-1]
    return bool(np.allclose(ratios, ratios[0], rtol=1e-6))


def _resolve_column(series: pd.Series, declared: Mapping[str, Any] | None) -> ColumnSpec:
    """The column's spec from its declaration (if any) and its data; a clear error when they disagree."""
    name = str(series.name)
    where = f"column {name!r}"
    empty = series.isna().to_numpy()
    if empty.any():
        first = int(np.flatnonzero(empty)[0])
        raise TableFormatError(where, f"{int(empty.sum())} empty cell(s), the first on data row {first + 1} (CSV line "
                               f"{first + 2})", "a value in every row of a parameter column (drop those rows, or fill "
                               "them with a value of their own such as 'none')")
    declared = declared or {}
    inferred = "type" not in declared
    kind, log = infer_column(series) if inferred else (declared["type"], False)
    log = bool(declared.get("log", log))
    values = _distinct(series)
    if kind == "categorical":
        if declared.get("log"):
            raise TableFormatError(where, "declared log-scaled, but its values were inferred as categorical (text "
                                   f"such as {values[0]!r})", "log only for numeric columns")
        return ColumnSpec(name, kind, False, values, None, inferred)
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise TableFormatError(where, f"declared {kind} but holds non-numeric values such as {values[0]!r}",
                               "numbers for types ordinal, int and float; type categorical for text")
    if kind == "int" and not all(isinstance(v, int) or float(v).is_integer() for v in values):
        bad = next(v for v in values if not (isinstance(v, int) or float(v).is_integer()))
        raise TableFormatError(where, f"declared int but holds {bad!r}", "integers, or type float or ordinal")
    if kind == "int":
        values = tuple(int(v) for v in values)
    elif kind == "float":
        values = tuple(float(v) for v in values)
    if log and values[0] <= 0:
        raise TableFormatError(where, f"declared log-scaled but holds {values[0]!r}", "positive values with log")
    integer = all(isinstance(v, int) for v in values)
    step = _even_step(values, integer)
    if kind in ("int", "float") and not log and step is None and len(values) > 1:
        raise TableFormatError(where, f"declared {kind} but its values {_short(values)} are not evenly spaced",
                               "an evenly spaced grid, 'log': true for a log-spaced one, or type 'ordinal' for any "
                               "ordered numbers")
    return ColumnSpec(name, kind, log, values, step, inferred)


def _short(values: Sequence[Any], n: int = 6) -> str:
    return str(list(values)) if len(values) <= n else str(list(values[:n]))[:-1] + ", ...]"


# ------------------------------------------------------------------------------------------------ lookup
class _GridKey:
    """Maps a configuration to its row key, a mixed-radix number of the columns' grid indices.

    A plain class (not a closure) so that an objective can be pickled to worker processes. An integer key keeps
    a table of 62,208 rows at a few MB, where text keys of 9 parameters would take about 15 MB.
    """

    def __init__(self, params: Sequence[Param], columns: Sequence[ColumnSpec], strides: Sequence[int],
                 encoding: str) -> None:
        self.parts: list[tuple[str, int, str, Any]] = []
        for param, column, stride in zip(params, columns, strides):
            if encoding == "index" and column.type != "categorical":
                how, data = "index", len(column.values)
            elif isinstance(param, FloatRange):  # floats drawn on a stepped range drift: 0.1 + 2 * 0.1 != 0.3
                how, data = "range", (float(param.low), float(param.step), len(column.values))
            else:
                how, data = "choices", {v: i for i, v in enumerate(column.values)}
            self.parts.append((param.name, int(stride), how, data))

    def __call__(self, arch: Mapping[str, Any]) -> Hashable:
        key = 0
        for name, stride, how, data in self.parts:
            if name not in arch:
                return ("missing parameter", name)
            index = _locate(arch[name], how, data)
            if index is None:
                return ("not on the table's grid", name, arch[name])
            key += index * stride
        return key


def _locate(value: Any, how: str, data: Any) -> int | None:
    if how == "choices":
        try:
            return data.get(value)
        except TypeError:  # unhashable
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    if how == "index":
        return int(value) if float(value).is_integer() and 0 <= value < data else None
    low, step, k = data
    index = round((float(value) - low) / step)
    return index if 0 <= index < k and abs(low + index * step - float(value)) <= step * 1e-6 else None


def _codes(frame: pd.DataFrame, columns: Sequence[ColumnSpec]) -> np.ndarray:
    """Per row, the grid index of each column (rows x columns)."""
    out = np.empty((len(frame), len(columns)), dtype=np.int64)
    for j, column in enumerate(columns):
        series = frame[column.name]
        if column.type in ("int", "float"):  # values were converted to the declared type; match them alike
            series = series.astype("int64" if column.type == "int" else float)
        out[:, j] = pd.Categorical(series, categories=list(column.values)).codes
    return out


def _decode(key: int, columns: Sequence[ColumnSpec], strides: Sequence[int]) -> dict[str, Any]:
    return {c.name: c.values[(key // s) % len(c.values)] for c, s in zip(columns, strides)}


# ------------------------------------------------------------------------------------------------ setting
def grid_setting(frame: pd.DataFrame, description: str | Path | Mapping[str, Any], *, name: str,
                 encoding: str = "values", source: str = "table") -> BenchmarkSetting:
    """A :class:`~nas_complexity.benchmarking.BenchmarkSetting` from a table of parameter columns and a metric.

    The one path every grid table goes through (a user's CSV and the built-in HPOLib FCNet tables alike): the
    description is read (:func:`read_description`), every column resolved (:class:`ColumnSpec`), the rows keyed by
    their grid indices and checked (no repeated combination, a complete grid unless ``missing`` says otherwise).
    ``source`` names the table in the setting's description.

    Example:
        >>> frame = pd.DataFrame({"act": ["relu", "relu", "tanh", "tanh"], "units": [16, 32, 16, 32],
        ...                       "loss": [0.4, 0.3, 0.5, 0.2]})
        >>> setting = grid_setting(frame, {"metric": "loss", "direction": "minimize"}, name="toy")
        >>> setting.objective.value_of({"act": "tanh", "units": 32}), setting.objective.best_value
        (0.2, 0.2)
    """
    from nas_complexity.benchmarking._settings import BenchmarkSetting, space_group  # _settings imports this module

    if encoding not in ENCODINGS:
        raise TableFormatError("encoding", f"{encoding!r} is not an encoding", ", ".join(map(repr, ENCODINGS)))
    spec = read_description(description)
    metric = spec["metric"]
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"the table must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.columns.duplicated().any():
        raise TableFormatError(f"column {frame.columns[frame.columns.duplicated()][0]!r}", "appears twice",
                               "distinct column names")
    available = [str(c) for c in frame.columns]
    for column in [metric, *spec["columns"], *spec["ignore"]]:
        if column not in available:
            raise TableFormatError(f"column {column!r}", "is named in the description but not in the table",
                                   f"one of the table's columns: {', '.join(available)}")
    if len(frame) == 0:
        raise TableFormatError(source, "the table has no rows", "at least one row")
    values = _metric_values(frame[metric], metric)
    names = [c for c in available if c != metric and c not in spec["ignore"]]
    if not names:
        raise TableFormatError(source, f"no parameter column besides the metric {metric!r}",
                               "one column per parameter plus the metric column")
    columns = [_resolve_column(frame[c], spec["columns"].get(c)) for c in names]
    sizes = [len(c.values) for c in columns]
    strides = [math.prod(sizes[j + 1:]) for j in range(len(sizes))]
    total = math.prod(sizes)
    codes = _codes(frame, columns)
    if total < 2**62:
        keys: np.ndarray = codes @ np.asarray(strides, dtype=np.int64)
    else:  # beyond int64: exact Python integers (a sparse table of many wide parameters)
        keys = np.asarray([sum(int(i) * s for i, s in zip(row, strides)) for row in codes], dtype=object)
    _check_unique(keys, columns, strides)
    finite = np.isfinite(values)
    missing = spec["missing"]
    if int(finite.sum()) < total and missing is None:
        raise TableFormatError(source, _incomplete(keys[finite], total, columns, strides),
                               "a complete grid (every combination of the parameters' values, with a finite "
                               "metric), or 'missing': 'prune' or 'nan' in the description to say what a search gets "
                               "for an absent combination")
    params = [c.param(encoding) for c in columns]
    by_values = params if encoding == "values" else [c.param("values") for c in columns]
    space_name = spec["space"]
    text = (f"{source}: {int(finite.sum()):,} of {total:,} combinations of {len(columns)} parameters "
            f"({'; '.join(c.describe() for c in columns)}); metric {metric!r}, {spec['direction']}")
    space = SearchSpace(space_name, params, kind=spec["kind"], description=text)
    objective = TabularObjective(pd.Series(values[finite], index=keys[finite]), space, metric=metric,
                                 key_fn=_GridKey(params, columns, strides, encoding), direction=spec["direction"],
                                 missing=missing or "raise")
    # The group comes from the parameters by value, so both encodings of one grid share it.
    group = space_group(SearchSpace(space_name, by_values, kind=spec["kind"]))
    summary = spec["description"] + (" " if spec["description"] else "") + text
    return BenchmarkSetting(name=name, space_group=group, objective=objective, description=summary)


def _metric_values(series: pd.Series, metric: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        example = next((v for v in series if pd.notna(v) and pd.isna(pd.to_numeric(v, errors="coerce"))), None)
        raise TableFormatError(f"metric column {metric!r}", f"is not numeric (it holds {example!r})",
                               "numbers, with empty cells for missing results")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(values).any():
        raise TableFormatError(f"metric column {metric!r}", "holds no finite number", "numbers")
    return values


def _check_unique(keys: np.ndarray, columns: Sequence[ColumnSpec], strides: Sequence[int]) -> None:
    repeated = pd.Series(keys).duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(repeated)
        first = keys[rows[0]]
        same = rows[keys[rows] == first]
        raise TableFormatError(
            "parameter columns",
            f"{int(pd.Series(keys[rows]).nunique())} combination(s) appear on more than one row, e.g. "
            f"{_decode(int(first), columns, strides)} on data rows {[int(r) + 1 for r in same[:5]]}",
            "one row per combination: aggregate repeated runs first (e.g. the mean over seeds), or keep the column "
            "that tells them apart as a parameter",
        )


def _incomplete(present: np.ndarray, total: int, columns: Sequence[ColumnSpec], strides: Sequence[int]) -> str:
    text = f"the table holds a finite metric for {len(present):,} of the {total:,} combinations of its parameters"
    if total <= 10**7:
        absent = np.setdiff1d(np.arange(total, dtype=np.int64), present.astype(np.int64))
        text += f", e.g. not for {_decode(int(absent[0]), columns, strides)}"
    return text


def load_user_table(csv_path: str | Path | pd.DataFrame, description: str | Path | Mapping[str, Any], *,
                    name: str | None = None, encoding: str = "values") -> BenchmarkSetting:
    """Your own table as a :class:`~nas_complexity.benchmarking.BenchmarkSetting`.

    Args:
        csv_path: a CSV with one column per parameter plus the metric column (or a DataFrame of the same).
        description: a mapping or a ``.json``/``.yaml`` file: ``metric`` and ``direction`` required; ``kind``,
            ``columns`` (``type``: categorical, ordinal, int, float; ``log``), ``ignore``, ``missing``, ``space``,
            ``name``, ``description`` optional (see :mod:`nas_complexity.benchmarking._user_table`).
        name: the setting's name (default: the description's ``name``, else the CSV file's stem).
        encoding: ``"values"`` (numeric grids suggested by value) or ``"index"`` (by grid index ``0..k-1``).

    Raises:
        FileNotFoundError: the CSV or description file is missing.
        TableFormatError: anything ambiguous or malformed, naming the column or key and what is accepted.

    Example:
        >>> frame = pd.DataFrame({"lr": [0.001, 0.01, 0.1] * 2, "act": ["relu"] * 3 + ["tanh"] * 3,
        ...                       "val_loss": [0.9, 0.5, 0.7, 0.8, 0.4, 0.6]})
        >>> setting = load_user_table(frame, {"metric": "val_loss", "direction": "minimize",
        ...                                   "columns": {"lr": {"type": "float", "log": True}}}, name="toy")
        >>> setting.objective.space.param("lr"), setting.objective.value_of({"lr": 0.01, "act": "tanh"})
        (Categorical(name='lr', condition=None, choices=(0.001, 0.01, 0.1)), 0.4)
    """
    if isinstance(csv_path, pd.DataFrame):
        frame, source = csv_path, "table"
    else:
        path = Path(csv_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"user table {path} not found; pass the path of a CSV file")
        frame, source = pd.read_csv(path), path.name
    spec = read_description(description)
    stem = Path(source).stem if source != "table" else "table"
    return grid_setting(frame, spec, name=name or spec["name"] or stem, encoding=encoding, source=source)
