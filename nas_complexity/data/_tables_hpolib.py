"""Loader of the HPOLib FCNet tabular HPO benchmark (Klein & Hutter 2019): 4 regression sets x 62,208 configurations.

Each file holds every point of a 9-parameter grid for a 2-layer MLP: 3 categorical parameters
(:data:`FCNET_CATEGORICAL`) and 6 ordinal numeric ones (:data:`FCNET_ORDINAL`), with the validation MSE of 4 seeds
and their mean (lower is better), the mean training time and the model size. Unlike the NAS tables there is no
built-in space and no ``arch`` column: a row is keyed by its 9 parameter values, and the table is described to the
generic grid-table reader by :data:`FCNET_DESCRIPTION`, in the same format as a user's own table (see
:func:`nas_complexity.benchmarking.load_user_table`).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from nas_complexity.data._files import resolve

__all__ = [
    "FCNET_CATEGORICAL",
    "FCNET_DATASETS",
    "FCNET_DESCRIPTION",
    "FCNET_METRICS",
    "FCNET_ORDINAL",
    "FCNET_PARAMS",
    "fcnet_file",
    "load_fcnet",
]

FCNET_DATASETS = ("naval_propulsion", "parkinsons_telemonitoring", "protein_structure", "slice_localization")
FCNET_CATEGORICAL = ("activation_fn_1", "activation_fn_2", "lr_schedule")
FCNET_ORDINAL = ("batch_size", "dropout_1", "dropout_2", "init_lr", "n_units_1", "n_units_2")
FCNET_PARAMS = ("activation_fn_1", "activation_fn_2", "batch_size", "dropout_1", "dropout_2", "init_lr",
                "lr_schedule", "n_units_1", "n_units_2")
"""The 9 parameter columns in file order (the order a search suggests them in)."""
FCNET_METRICS = ("val_loss_seed0", "val_loss_seed1", "val_loss_seed2", "val_loss_seed3", "val_loss_mean",
                 "train_time_mean", "model_size")

# batch_size (8..64), init_lr (5e-4..0.1) and n_units (16..512) are log-spaced grids; dropout (0, 0.3, 0.6) is
# evenly spaced. The description is the same format a user writes for their own table, so the FCNet settings go
# through exactly the code path user tables do.
FCNET_DESCRIPTION: dict[str, Any] = {
    "metric": "val_loss_mean",
    "direction": "minimize",
    "kind": "hyperparameter",
    "space": "fcnet",
    "columns": {
        "activation_fn_1": {"type": "categorical"},
        "activation_fn_2": {"type": "categorical"},
        "batch_size": {"type": "ordinal", "log": True},
        "dropout_1": {"type": "ordinal"},
        "dropout_2": {"type": "ordinal"},
        "init_lr": {"type": "ordinal", "log": True},
        "lr_schedule": {"type": "categorical"},
        "n_units_1": {"type": "ordinal", "log": True},
        "n_units_2": {"type": "ordinal", "log": True},
    },
}
"""The FCNet table in the user-table description format (metric ``val_loss_mean``, minimised)."""

_ROWS = 62_208


def _dataset(dataset: str) -> str:
    for option in FCNET_DATASETS:
        if str(dataset).lower() == option:
            return option
    raise ValueError(f"unknown FCNet dataset {dataset!r}; accepted: {', '.join(FCNET_DATASETS)}")


def fcnet_file(dataset: str) -> str:
    """The file of one FCNet dataset, relative to the data folder.

    Example:
        >>> fcnet_file("protein_structure")
        'hpolib/fcnet_protein_structure_62208.csv.gz'
    """
    return f"hpolib/fcnet_{_dataset(dataset)}_{_ROWS}.csv.gz"


def load_fcnet(root: str | Path | None = None, dataset: str = "naval_propulsion", *,
               metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """One HPOLib FCNet table: the 9 parameter columns (:data:`FCNET_PARAMS`) and the metric columns.

    ``metrics`` picks metric columns from :data:`FCNET_METRICS` (default: all); only those are read, which keeps a
    table of 62,208 rows at about 3 MB instead of 18 MB. Categorical parameters are strings (``relu``/``tanh``,
    ``cosine``/``const``), ordinal ones numbers (``batch_size``, ``n_units_*`` integers; ``dropout_*``,
    ``init_lr`` floats). The losses are validation MSE after 100 epochs, lower is better.

    Raises:
        FileNotFoundError: the file is not under ``root`` (the message names it).
        ValueError: an unknown dataset or metric, or a file without the expected columns or rows.

    Example:
        >>> df = load_fcnet("../shared/data", "naval_propulsion", metrics=["val_loss_mean"])  # doctest: +SKIP
        >>> df.shape, df["batch_size"].unique().tolist()  # doctest: +SKIP
        ((62208, 10), [8, 16, 32, 64])
    """
    path = resolve(root, fcnet_file(dataset))
    wanted = list(FCNET_METRICS if metrics is None else metrics)
    unknown = [m for m in wanted if m not in FCNET_METRICS]
    if unknown:
        raise ValueError(f"unknown FCNet metric column(s) {unknown}; accepted: {', '.join(FCNET_METRICS)}")
    header = pd.read_csv(path, nrows=0).columns
    absent = [c for c in (*FCNET_PARAMS, *wanted) if c not in header]
    if absent:
        raise ValueError(f"{path}: column(s) {absent} are missing; an FCNet table has {list(FCNET_PARAMS)} and "
                         f"{list(FCNET_METRICS)}")
    frame = pd.read_csv(path, usecols=[*FCNET_PARAMS, *wanted])[[*FCNET_PARAMS, *wanted]]
    if len(frame) != _ROWS:
        raise ValueError(f"{path}: {len(frame)} rows; an FCNet table has every point of its grid, {_ROWS:,} rows")
    return frame
