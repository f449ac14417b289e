"""nas-complexity: profile a NAS search space before the search and choose the search strategy.

Example:
    >>> import nas_complexity as nc
    >>> nc.get_space("nb201").size().unique
    6466
"""
from __future__ import annotations

from nas_complexity._errors import (
    NASComplexityError,
    ProfilingCancelled,
    ProfilingError,
    SpaceError,
    UnknownNameError,
    UnknownSpaceError,
)
from nas_complexity._version import __version__
from nas_complexity.profiling import profile
from nas_complexity.report import ComplexityReport, plot_spider
from nas_complexity.spaces import SearchSpace, get_space, list_spaces

__all__ = [
    "ComplexityReport",
    "NASComplexityError",
    "ProfilingCancelled",
    "ProfilingError",
    "SearchSpace",
    "SpaceError",
    "UnknownNameError",
    "UnknownSpaceError",
    "__version__",
    "get_space",
    "list_spaces",
    "plot_spider",
    "profile",
]
