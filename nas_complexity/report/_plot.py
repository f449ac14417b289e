"""Spider chart of the four properties for one or several reports (the paper's Figure 2)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from nas_complexity.report._report import ComplexityReport

__all__ = ["plot_spider", "spider_values", "AXES"]

AXES = ("size (log10)", "performance diversity", "architecture diversity", "multi-task ability")


def spider_values(report: ComplexityReport) -> list[float | None]:
    """The raw value of each axis for ``report`` (``None`` when not available).

    Example:
        >>> from nas_complexity.profiling import profile
        >>> spider_values(profile("mbconv-macro", performance=False))
        [3.817, None, 0.083333, 1.0]
    """
    pd_ = report.performance_diversity or {}
    return [
        report.size.log10,
        pd_.get("sd"),
        report.architecture_diversity.value,
        float(report.multi_task.n_tasks),
    ]


def plot_spider(reports: ComplexityReport | Sequence[ComplexityReport], path: str | Path, title: str | None = None) -> Path:
    """Draw the reports on one spider chart and save it as PNG.

    Each axis is scaled by its largest value among the reports (1 = the most complex space shown); a missing value
    (e.g. no performance diversity measured) is drawn at the centre and marked "n/a" in the legend.

    Example:
        >>> from nas_complexity import profile
        >>> r = profile("mbconv-macro", performance=False)
        >>> plot_spider([r], "/tmp/spider.png").name
        'spider.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reports = [reports] if isinstance(reports, ComplexityReport) else list(reports)
    if not reports:
        raise ValueError("plot_spider needs at least one report")
    values = [spider_values(r) for r in reports]
    maxima = [max((v[i] for v in values if v[i] is not None), default=0.0) or 1.0 for i in range(len(AXES))]
    angles = [2 * math.pi * i / len(AXES) for i in range(len(AXES))] + [0.0]
    fig, ax = plt.subplots(figsize=(6.5, 6.5), subplot_kw={"polar": True})
    for report, vals in zip(reports, values):
        scaled = [0.0 if v is None else v / m for v, m in zip(vals, maxima)]
        missing = [AXES[i] for i, v in enumerate(vals) if v is None]
        label = report.space + (f" (n/a: {', '.join(missing)})" if missing else "")
        ax.plot(angles, scaled + scaled[:1], linewidth=1.8, label=label)
        ax.fill(angles, scaled + scaled[:1], alpha=0.12)
    ax.set_xticks(angles[:-1])
    ax.set_xticklabels([f"{a}\nmax {m:.3g}" for a, m in zip(AXES, maxima)], fontsize=9)
    ax.set_ylim(0, 1.05)
    ax.set_yticks([0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["", "", "", ""])
    ax.set_title(title or "Search-space complexity", pad=24)
    ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.12), fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path
