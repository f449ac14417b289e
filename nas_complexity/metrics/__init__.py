"""Measure a space: size, architecture diversity, multi-task ability, fitness landscape.

Example:
    >>> from nas_complexity.metrics import measure_size
    >>> from nas_complexity.spaces import get_space
    >>> measure_size(get_space("mbconv-macro")).total
    6561
"""
from __future__ import annotations

from nas_complexity.metrics._diversity import (
    ArchitectureDiversity,
    architecture_diversity,
    total_variance_of_proportions,
)
from nas_complexity.metrics._effects import SHRINKAGE, effect_of, value_effects, value_key
from nas_complexity.metrics._landscape import (
    Landscape,
    hamming_distance,
    landscape,
    landscape_of_scores,
    landscape_of_table,
    neighbourhood_size,
    neighbours,
)
from nas_complexity.metrics._multitask import MultiTask, multi_task
from nas_complexity.metrics._performance import (
    DEFAULT_SCALING,
    SCALINGS,
    PerformanceDiversity,
    Scaled,
    kendall_tau,
    pds,
    performance_diversity_from_table,
    scale,
    sd_with_ci,
    spearman_rho,
)
from nas_complexity.metrics._size import (
    DEFAULT_ENUMERATE_LIMIT,
    SpaceSize,
    format_count,
    measure_size,
)

__all__ = [
    "DEFAULT_SCALING",
    "PerformanceDiversity",
    "SCALINGS",
    "Scaled",
    "kendall_tau",
    "pds",
    "performance_diversity_from_table",
    "scale",
    "sd_with_ci",
    "spearman_rho",
    "ArchitectureDiversity",
    "DEFAULT_ENUMERATE_LIMIT",
    "format_count",
    "MultiTask",
    "SpaceSize",
    "architecture_diversity",
    "measure_size",
    "multi_task",
    "total_variance_of_proportions",
    "Landscape",
    "hamming_distance",
    "landscape",
    "landscape_of_scores",
    "landscape_of_table",
    "neighbourhood_size",
    "neighbours",
    "SHRINKAGE",
    "effect_of",
    "value_effects",
    "value_key",
]
