"""Spider chart of the four properties for one or several reports (the paper's Figure 2).

Every axis is scaled against a fixed range, that of the built-in spaces' reference profiles
(:func:`nas_complexity.report.load_reference`), so one space's chart has a shape of its own and two charts drawn
apart can be compared.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from nas_complexity.report._report import ComplexityReport

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn
    from matplotlib.figure import Figure

__all__ = ["plot_spider", "spider_figure", "spider_values", "AXES"]

AXES = ("size (log10)", "performance diversity", "architecture diversity", "multi-task ability")

# Radius of the smallest reference value. Not 0: the centre is where a value that was not measured is drawn, and
# the least complex built-in space must not look like a missing value.
_INNER = 0.2
_DECIMALS = (2, 3, 3, 0)  # per axis, for labels


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


def _fmt(i: int, value: float) -> str:
    return f"{value:.{_DECIMALS[i]}f}"


def _ranges(entries: list[dict], values: list[list[float | None]]) -> list[tuple[float, float, bool]]:
    """(lo, hi, from_reference) per axis; an axis no reference space has a value on falls back to the reports'."""
    from nas_complexity.report._reference import reference_range

    out = []
    for i, axis in enumerate(AXES):
        try:
            lo, hi = reference_range(axis, entries)
            from_reference = True
        except ValueError:
            shown = [v[i] for v in values if v[i] is not None]
            lo, hi = (min(shown), max(shown)) if shown else (0.0, 1.0)
            from_reference = False
        if hi <= lo:  # one value only: give the range a width so it can be drawn
            pad = abs(lo) * 0.1 or 1.0
            lo, hi = lo - pad, hi + pad
        out.append((lo, hi, from_reference))
    return out


def _radius(value: float, lo: float, hi: float) -> tuple[float, int]:
    """Radius of ``value`` on an axis running from ``lo`` (inner ring) to ``hi`` (rim), clipped to that span, and
    -1 / 0 / +1 for below / inside / above the range."""
    side = -1 if value < lo else 1 if value > hi else 0
    clipped = min(max(value, lo), hi)
    return _INNER + (1 - _INNER) * (clipped - lo) / (hi - lo), side


def _alignment(display_angle: float) -> tuple[str, str]:
    """Text alignment that keeps a label at ``display_angle`` (radians, 0 = right, counter-clockwise) outside the
    circle: left-aligned on the right, bottom-aligned at the top, and so on."""
    c, s = math.cos(display_angle), math.sin(display_angle)
    ha = "left" if c > 0.3 else "right" if c < -0.3 else "center"
    va = "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
    return ha, va


def spider_figure(
    reports: ComplexityReport | Sequence[ComplexityReport],
    title: str | None = None,
    reference: str | Path | Sequence[dict] | None = None,
    show_reference: bool = True,
) -> "Figure":
    """The spider chart of :func:`plot_spider` as a matplotlib ``Figure`` (not saved; no pyplot state used).

    The report lines carry the artist id (``gid``) ``report:<space>``, the performance-diversity confidence
    intervals ``ci:<space>``, the built-in spaces ``reference:<space>``, so scripts and tests can find them.

    Example:
        >>> from nas_complexity import profile
        >>> fig = spider_figure(profile("mbconv-macro", performance=False))
        >>> [line.get_gid() for line in fig.axes[0].lines if line.get_gid() == "report:mbconv-macro"]
        ['report:mbconv-macro']
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import ScaledTranslation

    from nas_complexity.report._reference import load_reference

    reports = [reports] if isinstance(reports, ComplexityReport) else list(reports)
    if not reports:
        raise ValueError("plot_spider needs at least one report")
    entries = load_reference(reference) if reference is None or isinstance(reference, (str, Path)) else list(reference)
    values = [spider_values(r) for r in reports]
    ranges = _ranges(entries, values)
    n = len(AXES)
    angles = [2 * math.pi * i / n for i in range(n)]

    fig = Figure(figsize=(8.0, 8.0))
    ax = fig.add_axes((0.2, 0.2, 0.6, 0.6), projection="polar")  # placed by _layout once the legend is known
    # Size on top, then clockwise: the usual reading order of a spider chart.
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(0, 1.0)
    # Rings at the reference minimum, the thirds ("low / typical / high" of compare_to_reference) and the maximum.
    rings = [_INNER + (1 - _INNER) * k / 3 for k in range(4)]
    ax.set_yticks(rings)
    ax.set_yticklabels([])
    ax.yaxis.grid(True, color="0.8", linewidth=0.7, linestyle=":")
    ax.set_xticks(angles)
    ax.set_xticklabels([])  # drawn below as plain text, aligned away from the ring
    ax.xaxis.grid(True, color="0.75", linewidth=0.8)
    ax.spines["polar"].set_color("0.6")
    handles: list[Any] = []

    closed = angles + angles[:1]
    if show_reference and entries:
        from nas_complexity.report._reference import _entry_value

        n_drawn = 0
        for entry in entries:
            raw = [_entry_value(entry, axis) for axis in AXES]
            if all(v is None for v in raw):
                continue
            # A value the reference lacks breaks the line (NaN) rather than pulling it to the centre.
            radii = [math.nan if v is None else _radius(v, lo, hi)[0] for v, (lo, hi, _) in zip(raw, ranges)]
            ax.plot(closed, radii + radii[:1], color="0.55", linewidth=0.7, alpha=0.55, zorder=1,
                    gid=f"reference:{entry['name']}")
            n_drawn += 1
        if n_drawn:
            handles.append(Line2D([], [], color="0.55", linewidth=0.7, alpha=0.7, label=f"built-in spaces ({n_drawn})"))

    colors = [f"C{i % 10}" for i in range(len(reports))]
    outside_marked = False
    for k, (report, vals, color) in enumerate(zip(reports, values, colors)):
        scaled, sides = [], []
        for v, (lo, hi, _) in zip(vals, ranges):
            r, side = (0.0, 0) if v is None else _radius(v, lo, hi)
            scaled.append(r)
            sides.append(side)
        missing = [AXES[i] for i, v in enumerate(vals) if v is None]
        label = report.space + (f" (n/a: {', '.join(missing)})" if missing else "")
        line, = ax.plot(closed, scaled + scaled[:1], color=color, linewidth=1.9, marker="o", markersize=3.5,
                        zorder=4, gid=f"report:{report.space}", label=label)
        ax.fill(closed, scaled + scaled[:1], color=color, alpha=0.10, zorder=2)
        handles.append(line)
        for i, side in enumerate(sides):
            if side:
                # Clipped at the rim (or the inner ring): a triangle pointing out of (into) the circle says so.
                ax.plot([angles[i]], [scaled[i]], marker=_triangle(ax, angles[i], side), markersize=9, color=color,
                        markeredgecolor="black", markeredgewidth=0.6, linestyle="none", zorder=6,
                        gid=f"outside:{report.space}:{AXES[i]}")
                outside_marked = True
        perf = report.performance_diversity or {}
        ci = perf.get("ci")
        if perf.get("sd") is not None and ci and None not in ci:
            lo, hi, _ = ranges[1]
            r_lo, r_hi = _radius(ci[0], lo, hi)[0], _radius(ci[1], lo, hi)[0]
            # The CI runs along the axis; several reports' intervals are shifted sideways (parallel to the axis,
            # a fixed distance in inches) so they do not hide each other.
            d = ax.get_theta_offset() + ax.get_theta_direction() * angles[1]
            shift = (k - (len(reports) - 1) / 2) * 0.07
            beside = ScaledTranslation(-math.sin(d) * shift, math.cos(d) * shift, fig.dpi_scale_trans)
            ax.plot([angles[1], angles[1]], [r_lo, r_hi], color=color, linewidth=5 if len(reports) == 1 else 3,
                    alpha=0.45, solid_capstyle="butt", zorder=5, gid=f"ci:{report.space}",
                    transform=ax.transData + beside)
        if len(reports) == 1:  # one report: print its numbers next to its points
            for i, v in enumerate(vals):
                if v is None:  # said on the axis label instead: "n/a" texts would pile up at the centre
                    continue
                # Just inside the point and beside the axis line, so the text never sits on the rim.
                d = ax.get_theta_offset() + ax.get_theta_direction() * angles[i]
                inward, beside = (-math.cos(d), -math.sin(d)), (-math.sin(d), math.cos(d))
                offset = (10 * inward[0] + 6 * beside[0], 10 * inward[1] + 6 * beside[1])
                ha, va = _alignment(math.atan2(beside[1], beside[0]))
                ax.annotate(_fmt(i, v), (angles[i], scaled[i]), xytext=offset,
                            textcoords="offset points", ha=ha, va=va, fontsize=8, color=color, zorder=7,
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    if any((line.get_gid() or "").startswith("ci:") for line in ax.lines):
        handles.append(Line2D([], [], color="0.4", linewidth=5, alpha=0.45, solid_capstyle="butt",
                              label="95% CI of performance diversity"))
    if outside_marked:
        handles.append(Line2D([], [], color="0.4", marker="^", markeredgecolor="black", linestyle="none",
                              label="outside the built-in range (clipped)"))

    display = [ax.get_theta_offset() + ax.get_theta_direction() * a for a in angles]
    for i, (axis, (lo, hi, from_reference), d) in enumerate(zip(AXES, ranges, display)):
        span = f"{_fmt(i, lo)} to {_fmt(i, hi)}"
        text = f"{axis}\n" + (f"built-in spaces: {span}" if from_reference else f"no reference; shown: {span}")
        if len(reports) == 1 and values[0][i] is None:
            infinite = i == 0 and reports[0].size.provenance == "continuous"
            text += "\n(infinite: continuous parameters)" if infinite else "\n(not available for this report)"
        ha, va = _alignment(d)
        ax.text(angles[i], 1.10, text, ha=ha, va=va, fontsize=9, linespacing=1.3, multialignment="center",
                clip_on=False, gid=f"label:{axis}")
    _layout(fig, ax, handles, title or "Search-space complexity")
    return fig


def _triangle(ax: Any, angle: float, side: int) -> Any:
    """A triangle marker pointing out of the circle (``side`` +1) or into it (-1) along the axis at ``angle``."""
    from matplotlib.markers import MarkerStyle
    from matplotlib.transforms import Affine2D

    d = ax.get_theta_offset() + ax.get_theta_direction() * angle
    pointing = d if side > 0 else d + math.pi
    return MarkerStyle("^", transform=Affine2D().rotate(pointing - math.pi / 2))


def _layout(fig: Any, ax: Any, handles: list[Any], title: str) -> None:
    """Size the figure in inches so the title, the axis labels, the legend (however many rows) and the note never
    overlap each other or the circle."""
    ncol = 1 if len(handles) <= 3 else 2 if len(handles) <= 10 else 3
    rows = math.ceil(len(handles) / ncol)
    width, circle = 8.0, 4.6
    label_room, title_room, legend_room, note_room = 0.75, 0.55, 0.1 + 0.18 * rows, 0.45
    below = label_room + 0.15 + legend_room + note_room
    height = title_room + label_room + circle + below
    fig.set_size_inches(width, height)
    ax.set_position(((width - circle) / 2 / width, below / height, circle / width, circle / height))
    fig.suptitle(title, fontsize=12, y=1 - 0.15 / height, va="top")
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, (below - label_room - 0.15) / height),
               fontsize=8, ncol=ncol, frameon=False)
    fig.text(0.5, 0.1 / height, "Each axis runs from the smallest (inner ring) to the largest (rim) value among the "
                                "built-in spaces;\nthe dotted rings mark thirds. A value not measured is drawn at the "
                                "centre.", ha="center", va="bottom", fontsize=7.5, color="0.35")


def plot_spider(
    reports: ComplexityReport | Sequence[ComplexityReport],
    path: str | Path,
    title: str | None = None,
    reference: str | Path | Sequence[dict] | None = None,
    show_reference: bool = True,
) -> Path:
    """Draw the reports on one spider chart and save it as PNG.

    Each axis runs from the smallest value among the reference spaces (inner ring) to the largest (rim), so a
    chart has the same scale whatever is drawn on it; the axis labels give that range. A value outside it is
    clipped at the rim (or the inner ring) and marked with a triangle; a missing value (e.g. no performance
    diversity measured) is drawn at the centre and marked "n/a" in the legend. The performance diversity's 95%
    confidence interval is drawn as a band along its axis, and the built-in spaces as thin grey lines behind.

    Args:
        reports: one report or several (the paper's Figure 2 draws seven).
        path: the PNG to write.
        title: figure title.
        reference: the reference profiles to scale against: ``None`` for the packaged built-in spaces, a path
            to a file written by ``benchmarks/profile_all_spaces.py --write-reference``, or entries as returned
            by :func:`nas_complexity.report.load_reference`.
        show_reference: draw the reference spaces as grey lines behind the reports.

    Example:
        >>> from nas_complexity import profile
        >>> r = profile("mbconv-macro", performance=False)
        >>> plot_spider([r], "/tmp/spider.png").name
        'spider.png'
    """
    fig = spider_figure(reports, title=title, reference=reference, show_reference=show_reference)
    path = Path(path)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    return path
