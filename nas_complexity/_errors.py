"""Exception types raised by nas-complexity."""
from __future__ import annotations

__all__ = ["NASComplexityError", "SpaceError", "UnknownSpaceError", "ProfilingError", "ProfilingCancelled"]


class NASComplexityError(Exception):
    """Base class of every error raised on purpose by nas-complexity."""


class SpaceError(NASComplexityError, ValueError):
    """A search space, or a value in one, is malformed or unsupported.

    The message always names the parameter path (``path``) and says what would be accepted.
    """

    def __init__(self, path: str, problem: str, accepted: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.accepted = accepted
        message = f"{path or '<space>'}: {problem}"
        if accepted:
            message += f". Accepted: {accepted}"
        super().__init__(message)


class UnknownSpaceError(NASComplexityError, KeyError):
    """A built-in space name that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown search space {name!r}; known spaces: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.args[0]


class ProfilingError(NASComplexityError, RuntimeError):
    """Profiling a space failed as a whole (single-architecture failures are recorded, not raised)."""


class ProfilingCancelled(NASComplexityError, TimeoutError):
    """Profiling stopped because its deadline passed or it was cancelled (see :class:`nas_complexity.profiling.Deadline`).

    Deliberately not a :class:`ProfilingError`: code that reports a failed part of a profile as "not available"
    must not swallow a cancellation, which stops the whole profile.
    """
