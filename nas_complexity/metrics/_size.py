"""Search-space size: exact where it can be counted, published otherwise, always with its provenance."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from nas_complexity._deadline import Deadline, checked
from nas_complexity.spaces import LISTABLE_VALUES, Architecture, SearchSpace

__all__ = ["SpaceSize", "measure_size", "DEFAULT_ENUMERATE_LIMIT"]

DEFAULT_ENUMERATE_LIMIT = 200_000
"""Spaces with at most this many raw parameter combinations are enumerated to count valid and unique cells."""


@dataclass(frozen=True)
class SpaceSize:
    """The size of a space.

    Attributes:
        total: number of distinct architectures (``None`` when infinite or unknown).
        log10: ``log10(total)`` (``None`` when ``total`` is ``None``).
        unique: number left after removing isomorphic duplicates (``None`` when the space defines no reduction
            or it could not be counted).
        provenance: ``enumerated`` (counted one by one), ``formula`` (exact closed form), ``published``
            (taken from the literature) or ``continuous`` (some parameter is real-valued: infinite).
        note: how the number was obtained, in words.
        unique_provenance: provenance of ``unique``.
    """

    total: int | None
    log10: float | None
    unique: int | None
    provenance: str
    note: str = ""
    unique_provenance: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SpaceSize":
        return cls(**data)


def _log10(n: int | None) -> float | None:
    if n is None or n <= 0:
        return None
    return round(math.log10(n), 4)


def measure_size(
    space: SearchSpace,
    enumerate_limit: int = DEFAULT_ENUMERATE_LIMIT,
    architectures: Iterable[Architecture] | None = None,
    deadline: Deadline | None = None,
) -> SpaceSize:
    """Count the architectures of ``space``.

    Spaces without constraints or isomorphism reduction are counted by an exact formula (conditions
    respected). Spaces with them are enumerated when their raw count is at most ``enumerate_limit``; otherwise
    the published count is used, and the note says so. ``architectures`` may pass an enumeration already made.
    A discrete parameter with more than :data:`~nas_complexity.spaces.LISTABLE_VALUES` values makes the size
    ``continuous`` (its count is in the note). ``deadline`` (:class:`~nas_complexity.profiling.Deadline`) stops an
    enumeration that runs past it.

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> size = measure_size(get_space("nb201"))
        >>> size.total, size.unique, size.provenance
        (15625, 6466, 'enumerated')
    """
    if not space.is_discrete:
        names = [p.name for p in space.all_params if not p.is_discrete]
        return SpaceSize(None, None, None, "continuous", f"infinite: continuous parameter(s) {', '.join(names)}")
    raw = space.raw_count()
    assert raw is not None
    wide = space.wide_grids
    if wide:
        # Counted exactly, but a grid of millions of points behaves like a real range for any trial budget: the
        # size rules (budget coverage, small/large space) must not read it as a small discrete space.
        grids = ", ".join(f"{name} ({_scientific(space.param(name).n_values())} values)" for name in wide)
        note = (
            f"treated as continuous: grid parameter(s) {grids} with more than {LISTABLE_VALUES:,} values; "
            f"{_scientific(raw)} parameter combinations before constraints, counted arithmetically, never listed"
        )
        return SpaceSize(None, None, None, "continuous", note)
    needs_enumeration = space.has_constraints or space.has_canonical_form
    if not needs_enumeration:
        note = "exact product of the number of values of each parameter, conditional parameters counted per branch"
        unique, unique_prov = _published_unique(space)
        return SpaceSize(raw, _log10(raw), unique, "formula", note, unique_prov)
    if raw <= enumerate_limit:
        total = 0
        keys: set[Any] = set()
        for arch in checked(architectures if architectures is not None else space.enumerate(), deadline, "counting"):
            total += 1
            if space.has_canonical_form:
                keys.add(space.canonical(arch))
        note = f"enumerated all {raw:,} parameter combinations and kept the {total:,} legal ones"
        unique = len(keys) if space.has_canonical_form else None
        return SpaceSize(total, _log10(total), unique, "enumerated", note, "enumerated" if unique else None)
    if space.published_size is not None:
        pub = space.published_size
        note = f"{pub.source}: {pub.how}".strip(": ") + f" (raw parameter combinations: {_scientific(raw)}, too many to enumerate)"
        unique, unique_prov = _published_unique(space)
        return SpaceSize(pub.value, _log10(pub.value), unique, "published", note, unique_prov)
    note = f"upper bound only: {_scientific(raw)} parameter combinations before constraints; not enumerated (limit {enumerate_limit:,})"
    return SpaceSize(None, None, None, "unknown", note)


def format_count(n: int | None) -> str:
    """A count for people: thousands separators up to 10^12, scientific notation beyond (any size).

    Example:
        >>> format_count(15625), format_count(2**63), format_count(10**400)
        ('15,625', '9.223e+18', '1.000e+400')
    """
    if n is None:
        return "unknown"
    if n < 10**12:
        return f"{n:,}"
    if n < 10**300:
        return f"{float(n):.3e}"
    exponent = int(math.log10(n))  # float(n) overflows past 1e308 and str(n) is capped at 4,300 digits
    return f"{n // 10 ** (exponent - 3) / 1000:.3f}e+{exponent}"


def _scientific(n: int) -> str:
    return format_count(n) if n >= 10**12 else f"{n:.3e}"


def _published_unique(space: SearchSpace) -> tuple[int | None, str | None]:
    if space.published_unique is None:
        return None, None
    return space.published_unique.value, "published"
