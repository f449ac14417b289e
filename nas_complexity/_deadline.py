"""A deadline that long profiling work checks, so that a time limit stops the work instead of abandoning it."""
from __future__ import annotations

import threading
import time
from typing import Iterable, Iterator, TypeVar

from nas_complexity._errors import ProfilingCancelled

__all__ = ["Deadline", "checked"]

T = TypeVar("T")


class Deadline:
    """A point in time after which profiling stops, and a switch to stop it sooner.

    Profiling's loops (enumeration, sampling, encoding, scoring rounds, waiting for a scoring pool) call
    :meth:`check`, which raises :class:`~nas_complexity._errors.ProfilingCancelled` once the time is up or
    :meth:`cancel` was called from another thread; scoring pools the profile started are then stopped.

    Args:
        seconds: time from now until the deadline; ``None`` for no time limit (only :meth:`cancel` stops).

    Example:
        >>> deadline = Deadline(60)
        >>> deadline.expired
        False
        >>> deadline.cancel()
        >>> deadline.expired
        True
    """

    def __init__(self, seconds: float | None = None) -> None:
        self._end = None if seconds is None else time.monotonic() + float(seconds)
        self._cancelled = threading.Event()
        self._parent: Deadline | None = None
        self.seconds = seconds

    def within(self, seconds: float | None) -> "Deadline":
        """A deadline ``seconds`` from now that also passes when this one does (a time limit for one stage).

        Example:
            >>> outer = Deadline(None)
            >>> stage = outer.within(60)
            >>> outer.cancel()
            >>> stage.expired
            True
        """
        child = Deadline(seconds)
        child._parent = self
        return child

    def cancel(self) -> None:
        """Make the deadline pass now (thread-safe)."""
        self._cancelled.set()

    @property
    def expired(self) -> bool:
        """Whether the work should stop."""
        if self._parent is not None and self._parent.expired:
            return True
        return self._cancelled.is_set() or (self._end is not None and time.monotonic() >= self._end)

    def remaining(self) -> float | None:
        """Seconds left (0 once expired), ``None`` without a time limit."""
        if self._cancelled.is_set():
            return 0.0
        own = None if self._end is None else max(0.0, self._end - time.monotonic())
        parent = None if self._parent is None else self._parent.remaining()
        return own if parent is None else parent if own is None else min(own, parent)

    def check(self, what: str = "profiling") -> None:
        """Raise :class:`~nas_complexity._errors.ProfilingCancelled` when the deadline has passed."""
        if self._parent is not None and self._parent.expired:
            self._parent.check(what)
        if self.expired:
            why = "cancelled" if self._cancelled.is_set() else f"time limit of {self.seconds:g} s reached"
            raise ProfilingCancelled(f"{what} stopped: {why}")


def checked(items: Iterable[T], deadline: Deadline | None, what: str) -> Iterator[T]:
    """``items``, checking ``deadline`` before each one (a no-op without a deadline).

    Example:
        >>> list(checked(range(3), None, "counting"))
        [0, 1, 2]
    """
    if deadline is None:
        yield from items
        return
    for item in items:
        deadline.check(what)
        yield item
