"""Search-space size: exact where it can be counted, published otherwise, always with its provenance."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from nas_complexity.spaces import SearchSpace
from nas_complexity.spaces._space import Architecture

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
) -> SpaceSize:
    """Count the architectures of ``space``.

    Spaces without constraints or isomorphism reduction are counted by an exact formula (conditions
    respected). Spaces with them are enumerated when their raw count is at most ``enumerate_limit``; otherwise
    the published count is used, and the note says so. ``architectures`` may pass an enumeration already made.

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
    needs_enumeration = space.has_constraints or space.has_canonical_form
    if not needs_enumeration:
        note = "exact product of the number of values of each parameter, conditional parameters counted per branch"
        unique, unique_prov = _published_unique(space)
        return SpaceSize(raw, _log10(raw), unique, "formula", note, unique_prov)
    if raw <= enumerate_limit:
        total = 0
        keys: set[Any] = set()
        for arch in architectures if architectures is not None else space.enumerate():
            total += 1
            if space.has_canonical_form:
                keys.add(space.canonical(arch))
        note = f"enumerated all {raw:,} parameter combinations and kept the {total:,} legal ones"
        unique = len(keys) if space.has_canonical_form else None
        return SpaceSize(total, _log10(total), unique, "enumerated", note, "enumerated" if unique else None)
    if space.published_size is not None:
        pub = space.published_size
        note = f"{pub.source}: {pub.how}".strip(": ") + f" (raw parameter combinations: {raw:.3e}, too many to enumerate)"
        unique, unique_prov = _published_unique(space)
        return SpaceSize(pub.value, _log10(pub.value), unique, "published", note, unique_prov)
    note = f"upper bound only: {raw:.3e} parameter combinations before constraints; not enumerated (limit {enumerate_limit:,})"
    return SpaceSize(None, None, None, "unknown", note)


def _published_unique(space: SearchSpace) -> tuple[int | None, str | None]:
    if space.published_unique is None:
        return None, None
    return space.published_unique.value, "published"
