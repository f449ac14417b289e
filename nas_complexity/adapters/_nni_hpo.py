"""Search spaces from NNI's HPO search-space format (``{"name": {"_type": ..., "_value": [...]}}``).

Semantics follow NNI's search-space reference (``docs/source/hpo/search_space.rst``) and its own parser
(``nni.common.hpo_utils``):

===============  =====================  ==========================================================================
``_type``        ``_value``             parameter
===============  =====================  ==========================================================================
choice           options                :class:`Categorical`; options that are dicts with ``_name`` are nested
                                        sub-search-spaces (see below)
randint          [lower, upper]         :class:`IntRange` ``lower .. upper - 1`` (upper exclusive)
uniform          [low, high]            :class:`FloatRange` ``[low, high]``
quniform         [low, high, q]         ``clip(round(uniform(low, high) / q) * q, low, high)``: the exact value set
loguniform       [low, high]            :class:`FloatRange` with ``log=True``
qloguniform      [low, high, q]         same value set as quniform (log weighting is a prior, not a support change)
normal           [mu, sigma]            unbounded: only with ``truncate_sigmas`` (see below)
qnormal          [mu, sigma, q]         ``round(normal / q) * q``: unbounded, only with ``truncate_sigmas``
lognormal        [mu, sigma]            ``exp(normal)``: unbounded above, only with ``truncate_sigmas``
qlognormal       [mu, sigma, q]         ``round(exp(normal) / q) * q``: only with ``truncate_sigmas``
===============  =====================  ==========================================================================

**Nested choice.** ``{"optimizer": {"_type": "choice", "_value": [{"_name": "sgd", "momentum": {...}}, {"_name":
"adam"}]}}`` becomes ``optimizer`` in ``("sgd", "adam")`` and ``optimizer/sgd/momentum`` with
``Condition("optimizer", ("sgd",))``: a nested parameter's name is the path ``parent/option/name``, at any depth
up to :data:`MAX_NESTING`.

**Nesting limit.** Choices nest at most :data:`MAX_NESTING` levels deep (real spaces nest a few); a deeper space
raises :class:`SpaceError` rather than overflowing Python's recursion limit (Python's JSON reader itself stops
at about 330 levels of nested choice).

**Files** are read as UTF-8 JSON; a key repeated within one JSON object is refused with its path (plain ``json``
would keep only the last value and silently drop a parameter).

**Normal family.** A search space is a set of values; a normal distribution's set is the whole real line, so
there is no exact counterpart. By default these types raise :class:`SpaceError` naming the parameter, rather than
silently inventing bounds that would change the space's size and samples. ``truncate_sigmas=k`` accepts them as
the range ``mu +/- k sigma`` (for the log types ``exp(mu +/- k sigma)``; the q types as the multiples of ``q`` in
it) and the space description records every such truncation with the probability mass it keeps.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nas_complexity._errors import SpaceError
from nas_complexity.adapters._common import (
    Notes,
    as_scalar,
    check_truncation,
    quantized_param,
    read_json_file,
    truncated_bounds,
)
from nas_complexity.spaces import Categorical, Condition, FloatRange, IntRange, Param, SearchSpace

__all__ = ["from_nni_search_space", "MAX_NESTING", "NNI_TYPES"]

NNI_TYPES = (
    "choice", "randint", "uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal", "qlognormal",
)
"""Every ``_type`` NNI documents, all accepted (the normal family only with ``truncate_sigmas``)."""

_SPEC = '{"_type": <one of ' + ", ".join(NNI_TYPES) + '>, "_value": [...]}'

MAX_NESTING = 100
"""Deepest accepted nesting of ``choice`` inside ``choice`` (levels below the top one); far below where Python's
recursion limit (and, for files, its JSON reader at about 330 levels) would stop, whoever the caller is."""

_NESTING_ACCEPTED = f"at most {MAX_NESTING} levels of choice nested inside choice"


def _load(source: str | Path) -> tuple[Any, str]:
    path = Path(source)
    document = read_json_file(path, "an NNI search-space file", _NESTING_ACCEPTED)
    return document, path.stem


def _shorten(path: str, keep: int = 3) -> str:
    """A deep parameter path with its middle elided, so that an error message stays readable."""
    parts = path.split("/")
    return path if len(parts) <= 2 * keep else "/".join(parts[:keep] + ["..."] + parts[-keep:])


def _numbers(path: str, type_: str, value: list[Any], n: int, names: str, integers: bool = False) -> list[float]:
    if len(value) != n:
        raise SpaceError(path, f"{type_} takes {n} values, got {len(value)}: {value!r}", f"_value = [{names}]")
    kind = int if integers else (int, float)
    if any(isinstance(v, bool) or not isinstance(v, kind) or not math.isfinite(v) for v in value):
        wanted = "integers" if integers else "finite numbers"
        raise SpaceError(path, f"{type_} needs {wanted}, got {value!r}", f"_value = [{names}]")
    return list(value)


def _bounded(path: str, type_: str, value: list[Any], condition: Condition | None, notes: Notes) -> Param:
    quantized = type_.startswith("q")
    low, high, *rest = _numbers(path, type_, value, 3 if quantized else 2, "low, high, q" if quantized else "low, high")
    if low >= high:
        raise SpaceError(path, f"{type_} has low={low} >= high={high}", "low < high")
    if "log" in type_ and low <= 0:
        raise SpaceError(path, f"{type_} needs low > 0, got low={low}", "0 < low < high")
    if quantized:
        return quantized_param(path, low, high, rest[0], (low, high), notes, condition)
    return FloatRange(path, float(low), float(high), log=type_ == "loguniform", condition=condition)


def _normal(
    path: str, type_: str, value: list[Any], condition: Condition | None, truncate_sigmas: float | None, notes: Notes
) -> Param:
    quantized = type_.startswith("q")
    mu, sigma, *rest = _numbers(path, type_, value, 3 if quantized else 2, "mu, sigma, q" if quantized else "mu, sigma")
    if sigma <= 0:
        raise SpaceError(path, f"{type_} needs sigma > 0, got sigma={sigma}", "sigma > 0")
    log = "log" in type_


    def cut(k: float, tail: float) -> tuple[float, float]:
        low, high = mu - k * sigma, mu + k * sigma
        return (math.exp(low), math.exp(high)) if log else (low, high)

    low, high = truncated_bounds(path, f"{type_}(mu={mu}, sigma={sigma})", truncate_sigmas, cut, notes)
    if quantized:
        return quantized_param(path, low, high, rest[0], None, notes, condition)
    return FloatRange(path, low, high, log=log, condition=condition)


def _nested(path: str, options: list[Any]) -> bool:
    dicts = [isinstance(o, Mapping) for o in options]
    if any(dicts) and not all(dicts):
        raise SpaceError(
            path, "mixes nested sub-search-spaces (dicts) with plain options", "all plain values or all dicts with '_name'"
        )
    for i, option in enumerate(options):
        if dicts[i] and "_name" not in option:
            raise SpaceError(
                f"{path}/_value[{i}]", "nested sub-search-space without '_name'", '{"_name": <option>, <param>: {...}}'
            )
    return all(dicts)


def _parse(
    space: Any,
    prefix: str,
    condition: Condition | None,
    truncate_sigmas: float | None,
    notes: Notes,
    out: list[Param],
    depth: int = 0,
) -> None:
    if depth > MAX_NESTING:
        where = prefix.rstrip("/")
        raise SpaceError(
            _shorten(where), f"choices are nested more than {MAX_NESTING} levels deep (under {where.split('/')[0]!r})",
            _NESTING_ACCEPTED,
        )
    if not isinstance(space, Mapping):
        where = prefix.rstrip("/") or "<space>"
        raise SpaceError(where, f"expected a dict of parameters, got {type(space).__name__}", _SPEC)
    for key, spec in space.items():
        if prefix and key == "_name":
            continue
        if not isinstance(key, str) or not key:
            raise SpaceError(f"{prefix}{key!r}", "parameter names must be non-empty strings", "string keys")
        path = prefix + key
        if not isinstance(spec, Mapping) or "_type" not in spec or "_value" not in spec:
            raise SpaceError(path, f"expected a dict with '_type' and '_value', got {spec!r}", _SPEC)
        type_, value = spec["_type"], spec["_value"]
        if type_ not in NNI_TYPES:
            raise SpaceError(path, f"unknown _type {type_!r}", ", ".join(NNI_TYPES))
        if not isinstance(value, list):
            raise SpaceError(path, f"_value must be a list, got {type(value).__name__}", _SPEC)
        if type_ == "choice":
            _choice(path, value, condition, truncate_sigmas, notes, out, depth)
        elif type_ == "randint":
            low, high = _numbers(path, type_, value, 2, "lower, upper", integers=True)
            if low >= high:
                raise SpaceError(
                    path, f"randint [lower={low}, upper={high}) is empty", "lower < upper (upper is exclusive)"
                )
            out.append(IntRange(path, low, high - 1, condition=condition))
        elif "normal" in type_:
            out.append(_normal(path, type_, value, condition, truncate_sigmas, notes))
        else:
            out.append(_bounded(path, type_, value, condition, notes))


def _choice(
    path: str,
    options: list[Any],
    condition: Condition | None,
    truncate_sigmas: float | None,
    notes: Notes,
    out: list[Param],
    depth: int,
) -> None:
    if not options:
        raise SpaceError(path, "choice has no options", "a non-empty list of options")
    if not _nested(path, options):
        values = tuple(as_scalar(f"{path}/_value[{i}]", o) for i, o in enumerate(options))
        out.append(Categorical(path, values, condition=condition))
        return
    names = tuple(as_scalar(f"{path}/_value[{i}]/_name", o["_name"]) for i, o in enumerate(options))
    out.append(Categorical(path, names, condition=condition))
    for option_name, option in zip(names, options):
        _parse(option, f"{path}/{option_name}/", Condition(path, (option_name,)), truncate_sigmas, notes, out, depth + 1)


def from_nni_search_space(
    space: Mapping[str, Any] | str | Path,
    name: str = "nni",
    *,
    truncate_sigmas: float | None = None,
    kind: str = "hyperparameter",
) -> SearchSpace:
    """A search space from an NNI HPO search space (a dict, or the path of its JSON file).

    Every ``_type`` NNI documents is read (table in the module docstring); nested choices become conditional
    parameters named ``parent/option/name``. Malformed input (missing ``_type``/``_value``, a ``_value`` of the
    wrong length or type, an unknown ``_type``, ``low >= high``, ``sigma <= 0``, choices nested deeper than
    :data:`MAX_NESTING`) raises :class:`SpaceError` naming the parameter path; a file that cannot be read, is not
    UTF-8 JSON or repeats a key within one object raises :class:`SpaceError` naming the file.

    Args:
        space: ``experiment.config.search_space``, or a path to ``search_space.json``.
        name: name of the resulting space (``"nni"``; a file's stem when a path is given and ``name`` is left).
        truncate_sigmas: accept normal-family types as ``mu +/- truncate_sigmas * sigma`` (recorded in the
            description); ``None`` (default) rejects them, since no bounded range is exact.
        kind: ``"hyperparameter"`` (default: NNI's HPO format) or ``"architecture"`` when the parameters
            describe architectures, which lets the decision use the rules drawn from architecture search.

    Example:
        >>> space = from_nni_search_space({
        ...     "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
        ...     "optimizer": {"_type": "choice", "_value": [
        ...         {"_name": "sgd", "momentum": {"_type": "quniform", "_value": [0.0, 0.9, 0.1]}},
        ...         {"_name": "adam"}]},
        ...     "layers": {"_type": "randint", "_value": [1, 5]}})
        >>> space.param("optimizer/sgd/momentum").condition
        Condition(parent='optimizer', values=('sgd',))
        >>> space.param("layers").values()
        [1, 2, 3, 4]
    """
    check_truncation(truncate_sigmas)
    file = None
    if isinstance(space, (str, Path)):
        file = str(space)
        space, stem = _load(space)
        name = stem if name == "nni" else name
    notes = Notes()
    params: list[Param] = []
    try:
        if isinstance(space, Mapping) and not space:
            raise SpaceError(name, "the NNI search space is empty", "at least one parameter: " + _SPEC)
        _parse(space, "", None, truncate_sigmas, notes, params)
    except SpaceError as exc:
        if file is None:
            raise
        # The parameter path alone does not say which of the user's files is wrong.
        raise SpaceError(f"{file}: {exc.path}", exc.problem, exc.accepted) from None
    n_nested = sum(p.condition is not None for p in params)
    head = f"NNI search space: {len(params)} parameters" + (f", {n_nested} of them in nested choices." if n_nested else ".")
    return SearchSpace(name, params=params, description=notes.describe(head), kind=kind)
