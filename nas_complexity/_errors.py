"""Exception types raised by nas-complexity."""
from __future__ import annotations

from typing import Sequence

__all__ = [
    "NASComplexityError",
    "ProfilingCancelled",
    "ProfilingError",
    "SpaceError",
    "UnknownNameError",
    "UnknownSpaceError",
]


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


class UnknownNameError(NASComplexityError, KeyError, ValueError):
    """A name that is not known: a space, proxy, network builder, sampler, table... The message lists the accepted names.

    One family for every lookup by name, so ``except UnknownNameError`` catches them all; it is also a ``KeyError``
    (a failed lookup) and a ``ValueError`` (a bad argument value), which code written against either still catches.

    Example:
        >>> str(UnknownNameError("proxy", "jacov", ["jacob_cov", "naswot"]))
        "unknown proxy 'jacov'; accepted: jacob_cov, naswot"
    """

    def __init__(self, kind: str, name: str, known: Sequence[str], message: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.known = list(known)
        super().__init__(message or f"unknown {kind} {name!r}; accepted: {', '.join(self.known)}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class UnknownSpaceError(UnknownNameError):
    """A built-in space name that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__("search space", name, known, f"unknown search space {name!r}; known spaces: {', '.join(known)}")


class ProfilingError(NASComplexityError, RuntimeError):
    """Profiling a space failed as a whole (single-architecture failures are recorded, not raised)."""


class ProfilingCancelled(NASComplexityError, TimeoutError):
    """Profiling stopped because its deadline passed or it was cancelled (see :class:`nas_complexity.profiling.Deadline`).

    Deliberately not a :class:`ProfilingError`: code that reports a failed part of a profile as "not available"
    must not swallow a cancellation, which stops the whole profile.
    """
