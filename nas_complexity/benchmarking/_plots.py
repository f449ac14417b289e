"""PNG plots of a strategy comparison (matplotlib, Agg): regret curves, the rank table, and strategy efficiency
across complexity levels. Each function takes the tables :func:`~nas_complexity.benchmarking.compare` writes and
returns the path it wrote; a strategy keeps its colour in every plot.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["plot_efficiency", "plot_rank_table", "plot_regret_curves"]

_LINESTYLES = ("-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)))
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p")


def _max_n_locator(nbins: int):
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=nbins)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed (and none on a cluster node)
    import matplotlib.pyplot as plt

    return plt


def _colours(strategies: Sequence[str]) -> dict[str, tuple]:
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    return {s: cmap(i % 10) for i, s in enumerate(strategies)}


def _label(feature: str) -> str:
    return {"log10_size": "log10 size", "architecture_diversity": "architecture diversity",
            "table_performance_sd": "performance diversity (table SD)",
            "performance_diversity": "performance diversity (proxy SD)",
            "landscape_fdc": "FDC (table's metric; < 0: easy)",
            "landscape_autocorrelation": "walk autocorrelation rho(1) (table)",
            "landscape_additivity": "additivity R^2 (table)",
            "proxy_landscape_fdc": "FDC (proxy)"}.get(feature, feature.replace("_", " "))


def plot_regret_curves(curves: pd.DataFrame, summary: pd.DataFrame, path: str | Path,
                       budget_aware: Sequence[str] = ()) -> Path:
    """Mean best-so-far normalised regret against trials, one panel per setting, a 95% CI band per strategy.

    Curves come from the runs to the largest budget; the results of ``budget_aware`` strategies at smaller
    budgets come from runs of their own and are drawn as points with their CI.

    Example:
        >>> import tempfile, pandas as pd
        >>> curves = pd.DataFrame({"setting": "s", "strategy": "random", "trial": [1, 2, 3],
        ...                        "mean_regret": [2.0, 1.0, 0.5], "ci_low": [1.5, 0.5, 0.0],
        ...                        "ci_high": [2.5, 1.5, 1.0]})
        >>> summary = pd.DataFrame({"setting": ["s"], "budget": [3], "strategy": ["random"], "mean_regret": [0.5],
        ...                         "ci_low": [0.0], "ci_high": [1.0]})
        >>> plot_regret_curves(curves, summary, tempfile.mkdtemp() + "/curves.png").name
        'curves.png'
    """
    plt = _pyplot()
    path = Path(path)
    settings = list(dict.fromkeys(summary["setting"]))
    strategies = list(dict.fromkeys(summary["strategy"]))
    colours = _colours(strategies)
    # Strategies that sample alike (the advisor and what it chose, Optuna 5's TPE and the rule's multivariate TPE)
    # draw identical curves: distinct dash patterns keep both visible.
    dashes = {s: _LINESTYLES[i % len(_LINESTYLES)] for i, s in enumerate(strategies)}
    largest = int(summary["budget"].max())
    band_from = max(1, math.ceil(int(summary["budget"].min()) / 10))
    ncols = min(3, len(settings))
    nrows = math.ceil(len(settings) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows + 0.8), squeeze=False)
    for ax, setting in zip(axes.flat, settings):
        for strategy in strategies:
            c = curves[(curves["setting"] == setting) & (curves["strategy"] == strategy)]
            if not c.empty:
                # solid lines lowest, broken ones above them, so that a broken line over an identical one shows
                ax.plot(c["trial"], c["mean_regret"], color=colours[strategy], lw=1.5, ls=dashes[strategy],
                        zorder=3 + strategies.index(strategy) % len(_LINESTYLES))
                # bands from the first budget's tenth on: before that, few-seed intervals only hide the curves
                band = c[c["trial"] >= band_from]
                ax.fill_between(band["trial"], band["ci_low"], band["ci_high"], color=colours[strategy], alpha=0.12,
                                lw=0)
            points = summary[(summary["setting"] == setting) & (summary["strategy"] == strategy)
                             & (summary["budget"] < largest)]
            if not points.empty and strategy in budget_aware:
                # budget-aware strategy: each smaller budget is its own run, shown as a point with its CI
                err = np.vstack([points["mean_regret"] - points["ci_low"], points["ci_high"] - points["mean_regret"]])
                ax.errorbar(points["budget"], points["mean_regret"], yerr=np.nan_to_num(err), fmt="o",
                            color=colours[strategy], ms=4, capsize=2, lw=1)
        ax.set_xscale("log")
        ax.set_title(setting, fontsize=10)
        ax.set_xlabel("trials")
        ax.set_ylabel("normalised regret")
        ax.set_ylim(0, _top(curves[curves["setting"] == setting], summary[summary["setting"] == setting]))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(settings):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=colours[s], lw=2, ls=dashes[s]) for s in strategies]
    per_row = max(1, min(5, int(4.6 * ncols / 2.0)))  # legend entries that fit across the figure
    legend_rows = math.ceil(len(strategies) / per_row)
    fig.legend(handles, strategies, loc="lower center", ncol=math.ceil(len(strategies) / legend_rows),
               frameon=False, fontsize=9)
    title = "Best-so-far normalised regret (mean, 95% CI over seeds)"
    pointed = [s for s in budget_aware if s in strategies]
    if pointed and summary["budget"].nunique() > 1:
        title += f"\npoints: {', '.join(pointed)}, run for each smaller budget"
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.06 * legend_rows / nrows + 0.03, 1, 0.94 if "\n" in title else 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _top(curves: pd.DataFrame, summary: pd.DataFrame) -> float:
    """Upper y limit: the mean curves from a tenth of the smallest budget on, and the CI from half of it on.

    With few seeds the first trials' t-intervals are many times the regrets that matter (the budgets'), so
    they are cut off rather than allowed to flatten everything else.
    """
    start = max(1, math.ceil(int(summary["budget"].min()) / 10))
    later = curves[curves["trial"] >= max(start, math.ceil(int(summary["budget"].min()) / 2))]
    shown = [curves.loc[curves["trial"] >= start, "mean_regret"].max(), summary["mean_regret"].max(),
             later["ci_high"].max() if not later.empty else np.nan]
    top = float(np.nanmax(np.asarray(shown, dtype=float))) if np.isfinite(shown).any() else 1.0
    return 1.1 * top if top > 0 else 1.0


def plot_rank_table(summary: pd.DataFrame, path: str | Path) -> Path:
    """Heatmap of each strategy's rank per setting (1 = lowest mean regret) and its mean rank, one panel per budget.

    Example:
        >>> import tempfile, pandas as pd
        >>> summary = pd.DataFrame({"setting": ["s", "s"], "budget": [5, 5], "strategy": ["a", "b"],
        ...                         "rank": [1.0, 2.0]})
        >>> plot_rank_table(summary, tempfile.mkdtemp() + "/ranks.png").name
        'ranks.png'
    """
    plt = _pyplot()
    path = Path(path)
    budgets = sorted(summary["budget"].unique())
    settings = list(dict.fromkeys(summary["setting"]))
    strategies = list(dict.fromkeys(summary["strategy"]))
    width = max(5.0, 0.62 * (len(settings) + 1) + 2.4)
    height = max(2.0, 0.42 * len(strategies) + 1.6)
    fig, axes = plt.subplots(len(budgets), 1, figsize=(width, height * len(budgets)), squeeze=False,
                             layout="constrained")  # keeps each panel's title clear of the tick labels above
    vmax = max(2, len(strategies))
    for ax, budget in zip(axes[:, 0], budgets):
        block = summary[summary["budget"] == budget]
        table = block.pivot(index="strategy", columns="setting", values="rank").reindex(index=strategies,
                                                                                        columns=settings)
        table["mean rank"] = table.mean(axis=1, skipna=True)
        values = table.to_numpy(dtype=float)
        ax.imshow(np.ma.masked_invalid(values), cmap="viridis_r", vmin=1, vmax=vmax, aspect="auto")
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.1f}" if v != int(v) else f"{int(v)}", ha="center", va="center", fontsize=8,
                        color="black" if v < (1 + vmax) / 2 else "white")  # viridis_r: light at low ranks
        ax.axvline(len(settings) - 0.5, color="white", lw=3)  # separates the mean from the settings
        ax.set_xticks(range(len(table.columns)), table.columns, rotation=40, ha="right", fontsize=8)
        ax.set_yticks(range(len(strategies)), strategies, fontsize=9)
        ax.set_title(f"{budget} trials: rank by mean regret (1 = best)", fontsize=10)  # cells hold the numbers
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_efficiency(efficiency: pd.DataFrame, features: Sequence[str], path: str | Path) -> Path:
    """Strategy efficiency across complexity levels: each setting placed by a profile feature (x) against each
    strategy's regret minus the setting's best (y; 0 = the winner there), colour = strategy, marker = setting; one
    row of panels per budget, one column per feature.

    Example:
        >>> import tempfile, pandas as pd
        >>> eff = pd.DataFrame({"setting": ["s", "s"], "budget": [5, 5], "strategy": ["a", "b"],
        ...                     "regret_minus_best": [0.0, 0.3], "log10_size": [2.0, 2.0]})
        >>> plot_efficiency(eff, ["log10_size"], tempfile.mkdtemp() + "/eff.png").name
        'eff.png'
    """
    plt = _pyplot()
    path = Path(path)
    features = [f for f in features if f in efficiency and efficiency[f].notna().any()]
    if not features:
        raise ValueError("no profile feature with values to place the settings by")
    budgets = sorted(efficiency["budget"].unique())
    strategies = list(dict.fromkeys(efficiency["strategy"]))
    settings = list(dict.fromkeys(efficiency["setting"]))
    colours = _colours(strategies)
    markers = {s: _MARKERS[i % len(_MARKERS)] for i, s in enumerate(settings)}
    fig, axes = plt.subplots(len(budgets), len(features), figsize=(4.2 * len(features) + 2.6, 3.2 * len(budgets)),
                             squeeze=False)
    for r, budget in enumerate(budgets):
        block = efficiency[efficiency["budget"] == budget]
        for c, feature in enumerate(features):
            ax = axes[r, c]
            xs = block[feature].dropna().to_numpy(dtype=float)
            span = float(np.ptp(xs)) if xs.size else 0.0
            magnitude = float(np.abs(xs).max()) if xs.size else 1.0
            if span <= 1e-3 * magnitude:
                span = 0.0  # the settings do not differ in this feature (beyond rounding): one level
            # One level: no spread to scale by, so the axis gets a width of its own.
            scale = span if span > 0 else max(magnitude, 1e-3)
            # strategies of one setting share x: spread them a little so that equal values stay visible
            offsets = {s: (i - (len(strategies) - 1) / 2) * 0.012 * scale for i, s in enumerate(strategies)}
            if span == 0 and xs.size:
                ax.set_xlim(xs.mean() - 0.25 * scale, xs.mean() + 0.25 * scale)
            ax.xaxis.set_major_locator(_max_n_locator(5))
            for _, row in block.iterrows():
                if pd.isna(row[feature]) or pd.isna(row["regret_minus_best"]):
                    continue
                ax.scatter(row[feature] + offsets[row["strategy"]], row["regret_minus_best"],
                           color=colours[row["strategy"]], marker=markers[row["setting"]], s=30, alpha=0.85,
                           edgecolors="none")
            ax.axhline(0, color="grey", lw=0.8)
            ax.ticklabel_format(axis="x", useOffset=False)  # an offset label would sit on the axis label
            ax.grid(alpha=0.3)
            ax.set_xlabel(_label(feature), fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{budget} trials:\nregret - best regret", fontsize=9)
    # One legend, two sections (a heading entry with an empty handle), so that nothing has to be placed by hand.
    blank = plt.Line2D([], [], ls="", marker="")
    handles = [blank, *(plt.Line2D([], [], color=colours[s], marker="o", ls="", ms=6) for s in strategies),
               blank, *(plt.Line2D([], [], color="black", marker=markers[s], ls="", ms=6) for s in settings)]
    labels = ["strategy (colour)", *strategies, "setting (marker)", *settings]
    fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 0.95), frameon=False, fontsize=8)
    fig.suptitle("Strategy efficiency across complexity levels (0 = best strategy on that setting)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
