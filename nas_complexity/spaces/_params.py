"""Parameters of a search space: categorical choices, integer and float ranges, and conditions."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from nas_complexity._errors import SpaceError

__all__ = ["Condition", "Param", "Categorical", "IntRange", "FloatRange", "LISTABLE_VALUES", "uniform_index"]

LISTABLE_VALUES = 10**6
"""A discrete parameter with more values than this is never listed value by value (:meth:`Param.values` refuses):
it is counted arithmetically and sampled by index, and the size rules treat it as continuous
(:attr:`Param.is_wide_grid`). A million values is far beyond any budget of trials, so such a grid behaves like a
real-valued range for the search, while listing it would take seconds to hours and gigabytes."""


def uniform_index(rng: np.random.Generator, n: int) -> int:
    """A uniform draw from ``0..n-1`` for any positive Python integer ``n`` (NumPy's ``integers`` stops at 2**63).

    Example:
        >>> 0 <= uniform_index(np.random.default_rng(0), 10**30) < 10**30
        True
    """
    if n <= 2**62:
        return int(rng.integers(n))
    bits = (n - 1).bit_length()
    words = -(-bits // 32)
    while True:  # rejection sampling: each try succeeds with probability > 1/2
        chunks = rng.integers(0, 2**32, size=words, dtype=np.uint64)
        value = int.from_bytes(b"".join(int(c).to_bytes(4, "little") for c in chunks), "little") >> (32 * words - bits)
        if value < n:
            return value


@dataclass(frozen=True)
class Condition:
    """A parameter is active only while ``parent`` takes one of ``values``.

    Example:
        >>> Condition("optimizer", ("sgd",)).holds({"optimizer": "sgd"})
        True
    """

    parent: str
    values: tuple[Any, ...]

    def holds(self, arch: dict[str, Any]) -> bool:
        """Whether the condition is met by the (partial) architecture ``arch``."""
        return self.parent in arch and arch[self.parent] in self.values


@dataclass(frozen=True)
class Param:
    """Base class of one named dimension of a search space."""

    name: str
    condition: Condition | None = field(default=None, kw_only=True)

    @property
    def is_discrete(self) -> bool:
        """True when the parameter has finitely many values."""
        return self.n_values() is not None

    @property
    def is_wide_grid(self) -> bool:
        """True for a discrete parameter with more than :data:`LISTABLE_VALUES` values (treated as continuous by
        the size rules, never listed)."""
        n = self.n_values()
        return n is not None and n > LISTABLE_VALUES

    def n_values(self) -> int | None:
        """Number of values, ``None`` for a continuous range."""
        raise NotImplementedError

    def value_at(self, index: int) -> Any:
        """The ``index``-th value of a discrete parameter (``0 <= index < n_values()``), computed, not listed."""
        raise NotImplementedError

    def values(self) -> list[Any]:
        """All values of a discrete parameter, in order (refused beyond :data:`LISTABLE_VALUES` values)."""
        n = self.n_values()
        if n is None:
            raise SpaceError(self.name, "a continuous range cannot be enumerated", "a step to make it discrete")
        if n > LISTABLE_VALUES:
            raise SpaceError(
                self.name, f"{n:,} values are too many to list",
                f"at most {LISTABLE_VALUES:,} values; count with n_values() and draw with sample() or value_at()",
            )
        return [self.value_at(i) for i in range(n)]

    def sample(self, rng: np.random.Generator) -> Any:
        """Draw one value uniformly (log-uniformly for log ranges)."""
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a legal value of this parameter."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description."""
        out: dict[str, Any] = {"name": self.name, "type": type(self).__name__}
        out.update({k: v for k, v in self._fields().items()})
        if self.condition is not None:
            out["condition"] = {"parent": self.condition.parent, "values": list(self.condition.values)}
        return out

    def _fields(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Categorical(Param):
    """A choice among a finite list of values (strings, numbers, booleans or ``None``).

    Example:
        >>> Categorical("op", ("conv3x3", "skip")).n_values()
        2
    """

    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(self.choices))
        if not self.choices:
            raise SpaceError(self.name, "a categorical parameter needs at least one choice", "a non-empty list")
        for choice in self.choices:
            if not isinstance(choice, (str, int, float, bool)) and choice is not None:
                raise SpaceError(
                    self.name,
                    f"choice {choice!r} of type {type(choice).__name__} is not supported",
                    "str, int, float, bool or None",
                )
        if len(set(map(repr, self.choices))) != len(self.choices):
            raise SpaceError(self.name, f"duplicate choices in {list(self.choices)}", "distinct choices")

    def n_values(self) -> int:
        return len(self.choices)

    def value_at(self, index: int) -> Any:
        return self.choices[index]

    def values(self) -> list[Any]:
        return list(self.choices)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.choices[int(rng.integers(len(self.choices)))]

    def contains(self, value: Any) -> bool:
        return value in self.choices

    def _fields(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}


def _check_range(name: str, low: float, high: float, step: float | None, log: bool) -> None:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SpaceError(name, f"bounds must be finite, got low={low}, high={high}", "finite numbers")
    if low > high:
        raise SpaceError(name, f"low={low} is greater than high={high}", "low <= high")
    if log and low <= 0:
        raise SpaceError(name, f"a log range needs low > 0, got low={low}", "low > 0 with log=True")
    if step is not None and step <= 0:
        raise SpaceError(name, f"step must be positive, got {step}", "step > 0")
    if log and step not in (None, 1):
        raise SpaceError(name, "log=True cannot be combined with a step", "either log=True or a step")


@dataclass(frozen=True)
class IntRange(Param):
    """Integers ``low..high`` (inclusive) with a ``step``, optionally log-uniform when sampled.

    Example:
        >>> IntRange("depth", 1, 9, step=2).values()
        [1, 3, 5, 7, 9]
    """

    low: int = 0
    high: int = 0
    step: int = 1
    log: bool = False

    def __post_init__(self) -> None:
        for attr in ("low", "high", "step"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise SpaceError(self.name, f"{attr}={value!r} is not an integer", "integers for low, high, step")
        _check_range(self.name, self.low, self.high, self.step, self.log)

    def n_values(self) -> int:
        return (int(self.high) - int(self.low)) // int(self.step) + 1

    def value_at(self, index: int) -> int:
        return int(self.low) + int(self.step) * index

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low - 0.5 if self.low > 1 else self.low), math.log(self.high + 0.5)))
            return int(min(self.high, max(self.low, round(value))))
        return self.value_at(uniform_index(rng, self.n_values()))

    def contains(self, value: Any) -> bool:
        return (
            isinstance(value, (int, np.integer))
            and not isinstance(value, bool)
            and self.low <= value <= self.high
            and (value - self.low) % self.step == 0
        )

    def _fields(self) -> dict[str, Any]:
        return {"low": int(self.low), "high": int(self.high), "step": int(self.step), "log": self.log}


@dataclass(frozen=True)
class FloatRange(Param):
    """Reals in ``[low, high]``; discrete when ``step`` is set, log-uniform when ``log`` is true.

    Example:
        >>> FloatRange("dropout", 0.0, 0.5, step=0.1).n_values()
        6
        >>> FloatRange("lr", 1e-5, 1e-1, log=True).n_values() is None
        True
    """

    low: float = 0.0
    high: float = 1.0
    step: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        for attr in ("low", "high"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise SpaceError(self.name, f"{attr}={value!r} is not a number", "real numbers for low and high")
        _check_range(self.name, float(self.low), float(self.high), self.step, self.log)

    def n_values(self) -> int | None:
        if self.step is None:
            return None if self.high > self.low else 1
        return int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1

    def value_at(self, index: int) -> float:
        # Rounding removes float drift (0.3 * 3 = 0.8999...) so values compare equal to what users write.
        return round(float(self.low + index * self.step), 12) if self.step else float(self.low)

    def sample(self, rng: np.random.Generator) -> float:
        n = self.n_values()
        if n is not None:
            return self.value_at(uniform_index(rng, n))
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            return False
        if not self.low <= value <= self.high:
            return False
        if self.step is None:
            return True
        # Compared with the nearest grid value, not by the fractional part of (value - low) / step, which loses
        # its precision on grids of billions of points.
        nearest = self.value_at(round((value - self.low) / self.step))
        return abs(value - nearest) <= max(self.step * 1e-6, 1e-12)

    def _fields(self) -> dict[str, Any]:
        return {"low": float(self.low), "high": float(self.high), "step": self.step, "log": self.log}


def check_names_unique(params: Sequence[Param]) -> None:
    """Raise when two parameters share a name."""
    seen: set[str] = set()
    for p in params:
        if p.name in seen:
            raise SpaceError(p.name, "the parameter name is used twice", "unique parameter names")
        seen.add(p.name)
