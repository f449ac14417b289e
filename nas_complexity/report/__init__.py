"""The complexity report and its spider chart.

Example:
    >>> from nas_complexity.report import ComplexityReport, plot_spider
"""
from __future__ import annotations

from nas_complexity.report._plot import AXES, plot_spider, spider_values
from nas_complexity.report._report import ComplexityReport

__all__ = ["AXES", "ComplexityReport", "plot_spider", "spider_values"]
