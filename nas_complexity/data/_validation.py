"""The performance-diversity validation table: every proxy/accuracy set in the data folder under every scaling."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from nas_complexity.data._registry import _spec, available_tables
from nas_complexity.metrics import SCALINGS, performance_diversity_from_table

__all__ = ["validation_table"]


def validation_table(
    root: str | Path | None,
    scalings: Sequence[str] = SCALINGS,
    proxy: str = "jacov",
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """PDS, Kendall tau, Spearman, the two SDs and the proxy SD's bootstrap interval for every available
    (benchmark, task) set with ``proxy`` and accuracy, under each scaling in ``scalings``.

    Columns: ``benchmark``, ``task``, ``space``, ``scaling``, ``n`` (rows), ``n_samples`` (finite proxy),
    ``n_failed``, ``kendall_tau``, ``spearman``, ``sd_jc``, ``sd_jc_lo``, ``sd_jc_hi``, ``sd_acc``, ``pds``.
    Each table is loaded once; the bootstrap draws from one generator seeded with ``seed``.

    Example:
        >>> table = validation_table("../shared/data", scalings=["clip_minmax"], n_boot=0)  # doctest: +SKIP
        >>> len(table)  # doctest: +SKIP
        30
    """
    rng = np.random.default_rng(seed)
    rows = []
    for benchmark, task in available_tables(root, "proxy"):
        spec = _spec("proxy", benchmark, task)
        frame = spec.load(root)  # type: ignore[arg-type]
        for scaling in scalings:
            result = performance_diversity_from_table(frame, proxy=proxy, scaling=scaling, seed=rng, n_boot=n_boot,
                                                      level=level)
            rows.append({
                "benchmark": benchmark, "task": task, "space": spec.space, "scaling": scaling, "n": len(frame),
                "n_samples": result.n_samples, "n_failed": result.n_failed, "kendall_tau": result.kendall_tau,
                "spearman": result.spearman, "sd_jc": result.sd, "sd_jc_lo": result.ci[0], "sd_jc_hi": result.ci[1],
                "sd_acc": result.sd_accuracy, "pds": result.pds,
            })
    return pd.DataFrame(rows)
