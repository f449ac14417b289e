"""Profile a search space into a :class:`~nas_complexity.report.ComplexityReport`.

Example:
    >>> from nas_complexity.profiling import profile
    >>> profile("tnb101-macro", performance=False).size.total
    3256
"""
from __future__ import annotations

from nas_complexity._deadline import Deadline
from nas_complexity._errors import ProfilingCancelled
from nas_complexity.profiling._cache import CACHE_ENV, ProfileCache, default_cache_dir, profile_cache_key
from nas_complexity.profiling._performance import performance_diversity, score_architectures
from nas_complexity.profiling._pool import local_process_pool, stop_pool, usable_cores
from nas_complexity.profiling._profile import ALL_ARCHITECTURES_LIMIT, DEFAULT_SAMPLES, profile, resolve_space

__all__ = [
    "ALL_ARCHITECTURES_LIMIT",
    "CACHE_ENV",
    "DEFAULT_SAMPLES",
    "Deadline",
    "ProfileCache",
    "ProfilingCancelled",
    "default_cache_dir",
    "local_process_pool",
    "performance_diversity",
    "profile",
    "profile_cache_key",
    "resolve_space",
    "score_architectures",
    "stop_pool",
    "usable_cores",
]
