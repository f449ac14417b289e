"""Reproduce the paper's Figure 1 (performance-diversity comparison) and Figure 2 (property spider chart).

Figure 1 is computed from the stored jacob_cov and accuracy of the shared benchmark tables; Figure 2 from this
library's own profiles of the seven benchmarks. Benchmarks without an accuracy table (NAS-Bench-ASR, and
NAS-Bench-NLP, whose table has perplexities but no stored proxy) are shown as not available, never filled in.

Example:
    >>> from nas_complexity.paper import reproduce_figures
    >>> paths = reproduce_figures("out", data_root="../shared/data", performance=False)  # doctest: +SKIP
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nas_complexity.logging import get_logger

__all__ = ["PAPER_SPACES", "reproduce_figures", "figure1_table", "figure2_reports", "default_data_root"]

_log = get_logger(__name__)

PAPER_SPACES = ("nb101", "nb201", "darts", "proxylessnas", "nbnlp", "nbasr", "nb360")
"""The seven benchmarks of the paper, in its order."""

# Benchmarks of Figure 1 that have no (jacob_cov, accuracy) table here, and why.
_NOT_AVAILABLE = {
    "nbasr": "not available: no NAS-Bench-ASR result table could be obtained",
    "nbnlp": "not available: the NAS-Bench-NLP table has perplexities but no stored jacob_cov",
    "proxylessnas": "not available: the FBNet (ProxylessNAS-like) table has jacob_cov but no accuracy",
}


def default_data_root() -> Path:
    """``../shared/data`` next to the current directory (where the project's tests find the tables)."""
    return Path.cwd().parent / "shared" / "data"


def figure1_table(data_root: str | Path, scaling: str = "clip_minmax", seed: int = 0) -> pd.DataFrame:
    """The numbers behind Figure 1: one row per (benchmark, task) with stored jacob_cov and accuracy, plus a row
    saying "not available" for each benchmark of the paper without such a table."""
    from nas_complexity.data import validation_table

    table = validation_table(data_root, scalings=(scaling,), seed=seed)
    table["available"] = True
    table["note"] = ""
    missing = pd.DataFrame([
        {"benchmark": name, "task": "-", "space": name, "scaling": scaling, "available": False, "note": note}
        for name, note in _NOT_AVAILABLE.items()
    ])
    return pd.concat([table, missing], ignore_index=True)


def _plot_figure1(table: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{b}\n{t}" if t != "-" else f"{b}\n(n/a)" for b, t in zip(table["benchmark"], table["task"])]
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(max(10, 0.45 * len(table)), 5.5))
    avail = table["available"].to_numpy(bool)
    width = 0.38
    ax.bar(x[avail] - width / 2, table.loc[avail, "sd_jc"], width, label="SD jacob_cov (scaled)", color="#7a9cc6")
    ax.bar(x[avail] + width / 2, table.loc[avail, "sd_acc"], width, label="SD accuracy (scaled)", color="#c6c6c6")
    ax.plot(x[avail], table.loc[avail, "pds"], "o", color="tab:blue", label="PDS (Eq. 1)")
    ax.plot(x[avail], table.loc[avail, "kendall_tau"], "s", color="tab:red", label="Kendall tau (jacob_cov vs accuracy)")
    for xi in x[~avail]:
        ax.text(xi, 0.02, "not available", rotation=90, ha="center", va="bottom", fontsize=8, color="dimgray")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_ylabel("value")
    ax.set_title(f"Performance diversity: jacob_cov vs accuracy ({table['scaling'].iloc[0]} scaling)")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def figure2_reports(seed: int = 0, performance: bool = True, max_archs: int = 100, progress: bool = False) -> list[Any]:
    """Profiles of the seven benchmarks (performance diversity from this library's own jacob_cov scoring)."""
    from nas_complexity.profiling import profile
    from nas_complexity.spaces import list_spaces

    reports = []
    for name in PAPER_SPACES:
        if name not in list_spaces():
            _log.warning("space %s is not built in; left out of Figure 2", name)
            continue
        options = {"max_archs": max_archs, "min_archs": min(100, max_archs)}
        try:
            _log.info("Figure 2: profiling %s", name)
            reports.append(profile(name, seed=seed, performance=performance, performance_options=options,
                                   progress=progress))
        except Exception as exc:  # one benchmark failing must not hide the others
            _log.warning("profiling %s failed (%s); profiling it without performance diversity", name, exc)
            report = profile(name, seed=seed, performance=False)
            report.warnings.append(f"performance diversity failed: {exc}")
            reports.append(report)
    return reports


def _figure2_table(reports: list[Any]) -> pd.DataFrame:
    rows = []
    for r in reports:
        perf = r.performance_diversity or {}
        rows.append({
            "space": r.space,
            "size_total": r.size.total,
            "size_log10": r.size.log10,
            "size_provenance": r.size.provenance,
            "size_unique": r.size.unique,
            "performance_sd": perf.get("sd"),
            "performance_ci": perf.get("ci"),
            "performance_n": perf.get("n_samples"),
            "performance_note": perf.get("note", "not measured") if perf.get("sd") is None else perf.get("note", ""),
            "architecture_diversity": r.architecture_diversity.value,
            "n_tasks": r.multi_task.n_tasks,
        })
    return pd.DataFrame(rows)


def reproduce_figures(
    out: str | Path,
    data_root: str | Path | None = None,
    seed: int = 0,
    performance: bool = True,
    max_archs: int = 100,
    progress: bool = False,
) -> list[Path]:
    """Write Figure 1 and Figure 2 (PNG) and the tables behind them (CSV and JSON) into ``out``.

    Figure 1 needs the benchmark tables (``data_root``, default ``../shared/data``); without them it is skipped
    with a warning and Figure 2 is still drawn.
    """
    from nas_complexity.report import plot_spider

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    root = Path(data_root) if data_root is not None else default_data_root()
    if root.is_dir():
        table = figure1_table(root, seed=seed)
        table.to_csv(out / "figure1.csv", index=False)
        (out / "figure1.json").write_text(table.replace({np.nan: None}).to_json(orient="records", indent=1))
        written += [out / "figure1.csv", out / "figure1.json", _plot_figure1(table, out / "figure1.png")]
    else:
        _log.warning("benchmark tables not found at %s: Figure 1 skipped", root)
    reports = figure2_reports(seed=seed, performance=performance, max_archs=max_archs, progress=progress)
    fig2 = _figure2_table(reports)
    fig2.to_csv(out / "figure2.csv", index=False)
    (out / "figure2.json").write_text(json.dumps([r.to_dict() for r in reports], indent=1))
    written += [out / "figure2.csv", out / "figure2.json"]
    written.append(plot_spider(reports, out / "figure2.png", title="Property analysis of NAS benchmarks"))
    return written
