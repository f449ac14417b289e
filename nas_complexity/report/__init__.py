"""The complexity report, its spider chart, and the reference profiles of the built-in spaces.

Example:
    >>> from nas_complexity.report import ComplexityReport, compare_to_reference, plot_spider
"""
from __future__ import annotations

from nas_complexity.report._plot import AXES, plot_spider, spider_figure, spider_values
from nas_complexity.report._reference import (
    REFERENCE_FILE,
    ReferenceFileError,
    compare_to_reference,
    load_reference,
    reference_info,
    reference_range,
    reference_values,
)
from nas_complexity.report._report import ComplexityReport, format_count, format_decision

__all__ = [
    "AXES",
    "REFERENCE_FILE",
    "ComplexityReport",
    "ReferenceFileError",
    "compare_to_reference",
    "format_count",
    "format_decision",
    "load_reference",
    "plot_spider",
    "reference_info",
    "reference_range",
    "reference_values",
    "spider_figure",
    "spider_values",
]
