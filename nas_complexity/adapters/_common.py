"""Shared pieces of the adapters: scalar values, quantized ranges, the truncation of unbounded distributions and
reading a search-space JSON file.

A :class:`~nas_complexity.spaces.SearchSpace` describes the *set* of architectures (the support), not the prior a
tuner samples from. The adapters therefore keep ranges, steps and choices exactly and drop sampling weights; a
distribution whose support is unbounded (NNI's normal family) has no exact counterpart and is only accepted when
the caller asks for an explicit truncation, which the space description then records.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nas_complexity._errors import SpaceError
from nas_complexity.spaces import Categorical, Condition, FloatRange, Param, SearchSpace

__all__ = [
    "Notes", "as_scalar", "check_truncation", "quantized_param", "read_json_file", "truncated_bounds", "with_kind",
    "MAX_LISTED_VALUES",
]

MAX_LISTED_VALUES = 100_000
"""Largest value set an adapter writes out as an explicit list of choices (an uneven quantized range, subsets)."""

_EPS = 1e-9  # tolerance for float division such as 0.3 / 0.1 = 2.9999999999999996


def with_kind(space: SearchSpace, kind: str | None) -> SearchSpace:
    """``space`` declared as ``kind`` (``"architecture"`` or ``"hyperparameter"``): a copy when that changes its
    declaration, ``space`` itself otherwise (``kind=None`` keeps its own).

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> with_kind(get_space("nb201"), "hyperparameter").kind, with_kind(get_space("nb201"), None).kind
        ('hyperparameter', 'architecture')
    """
    if kind is None or kind == space.kind:
        return space
    return dataclasses.replace(space, kind=kind)


@dataclass
class Notes:
    """What a conversion had to say about the space (approximations, choices made); goes into the description."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.items.append(text)

    def describe(self, head: str) -> str:
        """``head`` followed by the notes, as one paragraph."""
        if not self.items:
            return head
        return head + " Notes: " + "; ".join(self.items) + "."


def as_scalar(path: str, value: Any) -> Any:
    """``value`` as a plain Python scalar (numpy scalars unwrapped), or a :class:`SpaceError` naming ``path``."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise SpaceError(
        path, f"value {value!r} of type {type(value).__name__} is not supported", "str, int, float, bool or None values"
    )


def check_truncation(truncate_sigmas: float | None) -> None:
    """Raise unless ``truncate_sigmas`` is ``None`` or a positive finite number."""
    if truncate_sigmas is None:
        return
    if isinstance(truncate_sigmas, bool) or not isinstance(truncate_sigmas, (int, float)) or not (
        math.isfinite(truncate_sigmas) and truncate_sigmas > 0
    ):
        raise SpaceError("truncate_sigmas", f"got {truncate_sigmas!r}", "None or a positive number of standard deviations")


def truncated_bounds(
    path: str, what: str, truncate_sigmas: float | None, cut: Callable[[float, float], tuple[float, float]], notes: Notes
) -> tuple[float, float]:
    """Bounds of an unbounded distribution cut to the central mass a normal keeps within ``k`` standard deviations.

    ``cut(k, tail)`` returns the bounds, given ``k = truncate_sigmas`` and the mass ``tail`` left out on each side
    (for a normal or log-normal exactly ``mu +/- k sigma``, in log space for the latter; for any other
    distribution its quantiles ``ppf(tail)`` and ``ppf(1 - tail)``). Without ``truncate_sigmas`` the distribution
    cannot be represented and a :class:`SpaceError` says so.
    """
    if truncate_sigmas is None:
        raise SpaceError(
            path,
            f"{what} has unbounded support, which a search space of finite ranges cannot hold exactly",
            "choice, randint, uniform, quniform, loguniform, qloguniform (or NNI Numerical with finite low/high); "
            "or pass truncate_sigmas=k to cut normal-family parameters at mu +/- k sigma (recorded in the description)",
        )
    tail = 0.5 * math.erfc(truncate_sigmas / math.sqrt(2.0))
    low, high = (float(b) for b in cut(truncate_sigmas, tail))
    notes.add(
        f"{path}: {what} truncated to [{low:.6g}, {high:.6g}] = mu +/- {truncate_sigmas:g} sigma "
        f"({1 - 2 * tail:.4%} of its mass; the true support is unbounded)"
    )
    return low, high


def quantized_param(
    path: str,
    x_low: float,
    x_high: float,
    q: float,
    clip: tuple[float, float] | None,
    notes: Notes,
    condition: Condition | None = None,
) -> Param:
    """The exact set of values ``clip(round(x / q) * q, *clip)`` takes for ``x`` in ``[x_low, x_high]``.

    This is NNI's quantization (``quniform``, ``qloguniform``, ``Numerical(quantize=q)``; ``qnormal`` without
    ``clip``). Only values reached with positive probability count: multiple ``m * q`` is reached when
    ``((m - 1/2) q, (m + 1/2) q)`` overlaps ``(x_low, x_high)``. When the bounds are multiples of ``q`` the set is the
    grid ``x_low, x_low + q, ..., x_high`` (a stepped :class:`FloatRange`); when clipping adds an off-grid bound
    (NNI's docs: ``[2, 10, 5]`` gives ``2, 5, 10``) the uneven set is kept exactly as an ordered list of choices.

    Example:
        >>> quantized_param("x", 2, 10, 5, (2, 10), Notes()).choices
        (2.0, 5.0, 10.0)
        >>> quantized_param("x", 0, 10, 2.5, (0, 10), Notes()).n_values()
        5
    """
    if not (isinstance(q, (int, float)) and not isinstance(q, bool) and math.isfinite(q) and q > 0):
        raise SpaceError(path, f"quantization step q={q!r} must be a positive number", "q > 0")
    m_min = math.floor(x_low / q - 0.5 + _EPS) + 1
    m_max = math.ceil(x_high / q + 0.5 - _EPS) - 1
    m_max = max(m_max, m_min)  # a range narrower than q still yields the one multiple nearest to it

    def value(m: int) -> float:
        v = m * q
        if clip is not None:
            v = min(max(v, clip[0]), clip[1])
        return round(float(v), 12)

    first, last, n = value(m_min), value(m_max), m_max - m_min + 1
    if n == 1:
        return FloatRange(path, first, first, condition=condition)
    if n == 2:
        return FloatRange(path, first, last, step=round(last - first, 12), condition=condition)
    on_grid = math.isclose(first, m_min * q, abs_tol=1e-9 * max(1.0, abs(first))) and math.isclose(
        last, m_max * q, abs_tol=1e-9 * max(1.0, abs(last))
    )
    if on_grid:
        return FloatRange(path, first, last, step=float(q), condition=condition)
    if n > MAX_LISTED_VALUES:
        raise SpaceError(
            path,
            f"quantized range [{x_low}, {x_high}] with q={q} has {n:,} unevenly spaced values (clipping adds off-grid "
            f"bounds), too many to list",
            f"low and high that are multiples of q, or at most {MAX_LISTED_VALUES:,} values",
        )
    values = tuple(dict.fromkeys(value(m) for m in range(m_min, m_max + 1)))
    notes.add(f"{path}: clipping makes the quantized values uneven, kept as the ordered choices {_preview(values)}")
    return Categorical(path, values, condition=condition)


def _preview(values: tuple[Any, ...]) -> str:
    if len(values) <= 6:
        return "[" + ", ".join(f"{v:g}" for v in values) + "]"
    return "[" + ", ".join(f"{v:g}" for v in values[:3]) + ", ..., " + ", ".join(f"{v:g}" for v in values[-2:]) + "]"


# ------------------------------------------------------------------------------------------- JSON files
class _RepeatedKeys(dict):
    """A JSON object in which a key occurred more than once (``json`` would keep only the last value)."""

    def __init__(self, pairs: list[tuple[str, Any]], repeated: list[str]) -> None:
        super().__init__(pairs)
        self.repeated = repeated


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Marked rather than raised here: the hook sees one object, not where it sits, and the error names the key path.
    seen: set[str] = set()
    repeated = [key for key in (k for k, _ in pairs) if key in seen or seen.add(key)]
    return _RepeatedKeys(pairs, list(dict.fromkeys(repeated))) if repeated else dict(pairs)


def _first_repeated_key(document: Any) -> str | None:
    """Path (``a/_value[0]/b``) of the first repeated key in ``document``; iterative, so any depth is fine."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, _RepeatedKeys):
            return f"{where}/{node.repeated[0]}" if where else node.repeated[0]
        if isinstance(node, dict):
            stack.extend((f"{where}/{k}" if where else k, v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return None


def read_json_file(path: str | Path, what: str, max_depth_note: str) -> Any:
    """The JSON document in ``path``, or a :class:`SpaceError` naming the file and saying what is accepted.

    Refused, each with its own message: a folder or missing file, an unreadable file (permissions), bytes that
    are not UTF-8 (a UTF-8 byte-order mark is accepted), invalid JSON, nesting deeper than Python's JSON reader
    follows (``max_depth_note`` says what depth is accepted), and a key repeated within one object (plain
    ``json`` silently keeps only its last value, which would drop a parameter).

    Args:
        path: the file.
        what: what the file should be, for the messages (``"an NNI search-space JSON file"``).
        max_depth_note: the accepted nesting, for the too-deep message.

    Example:
        >>> import tempfile
        >>> file = Path(tempfile.mkdtemp()) / "space.json"
        >>> _ = file.write_text('{"lr": {"_type": "uniform", "_value": [0, 1]}, "lr": {}}')
        >>> try:
        ...     read_json_file(file, "an NNI search-space JSON file", "any depth")
        ... except SpaceError as exc:
        ...     print(exc.problem)
        duplicate key 'lr' (JSON keeps only the last of them, so the others would be silently dropped)
    """
    path = Path(path)
    accepted = f"{what} (UTF-8 JSON)"
    if path.is_dir():
        raise SpaceError(str(path), "is a folder, not a file", accepted)
    if not path.is_file():
        raise SpaceError(str(path), "no such file", accepted)
    try:
        raw = path.read_bytes()
    except OSError as exc:  # permissions, a file removed meanwhile, an I/O error
        raise SpaceError(str(path), f"cannot be read ({exc.strerror or exc})", f"a readable file: {accepted}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpaceError(
            str(path),
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid UTF-8)",
            f"{accepted}; re-save the file as UTF-8",
        ) from None
    try:
        document = json.loads(text, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as exc:
        raise SpaceError(str(path), f"not valid JSON ({exc})", accepted) from None
    except RecursionError:
        raise SpaceError(str(path), "nested more deeply than Python's JSON reader can follow", max_depth_note) from None
    repeated = _first_repeated_key(document)
    if repeated is not None:
        raise SpaceError(
            str(path),
            f"duplicate key {repeated!r} (JSON keeps only the last of them, so the others would be silently dropped)",
            "each key once per JSON object",
        )
    return document
